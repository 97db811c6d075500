"""Uploaded images re-encoded from their pixels alone, so nothing the
camera wrote (EXIF, GPS position, XMP, comments, the file's own name)
reaches the public site or donors' inboxes."""

import io
import uuid

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from PIL import Image, ImageOps

# Pillow format -> file extension and content type.
KEPT_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
# The largest photo or update image a person may upload.
IMAGE_MAX_BYTES = 5 * 1024 * 1024
# Decoding needs about 4 bytes a pixel: 50 megapixels is more than any
# phone photo and still bounded in memory.
MAX_PIXELS = 50_000_000


class UnsafeImage(ValueError):
    """Not an image we keep; the message is for the person uploading."""


def without_metadata(upload) -> SimpleUploadedFile:
    """The upload's pixels in its own format (JPEG, PNG or WebP), turned
    upright as its EXIF orientation says, with no metadata and a random
    name. Only the colour profile is kept, because colours depend on it."""
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            # A phone's JPEG that carries a second image (an HDR gain map, a
            # depth map) opens as MPO: it is a JPEG, and its first image is
            # the photo; only that one is kept.
            kind = "JPEG" if image.format == "MPO" else image.format
            if kind not in KEPT_FORMATS:
                raise UnsafeImage("Use a JPEG, PNG or WebP image.")
            if image.width * image.height > MAX_PIXELS:
                raise UnsafeImage("That image has too many pixels; choose a smaller one.")
            icc_profile = image.info.get("icc_profile")
            upright = ImageOps.exif_transpose(image)
            if upright.mode in ("P", "PA"):
                upright = upright.convert("RGBA")
            # A new image from the pixels alone carries no info, EXIF or text.
            clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    except UnsafeImage:
        raise
    except Exception as error:
        # Pillow raises more than OSError on a file it cannot read: a broken
        # EXIF block alone gives SyntaxError, TypeError or struct.error.
        raise UnsafeImage("That file is not an image we can read.") from error
    extension, content_type = KEPT_FORMATS[kind]
    options = {"icc_profile": icc_profile} if icc_profile else {}
    if kind == "JPEG":
        options.update(quality=90, optimize=True)
    elif kind == "WEBP":
        options.update(quality=90)
    encoded = io.BytesIO()
    clean.save(encoded, format=kind, **options)
    return SimpleUploadedFile(f"{uuid.uuid4().hex}.{extension}", encoded.getvalue(), content_type=content_type)


class MetadataFreeImageField(forms.ImageField):
    """An ImageField whose cleaned value is the image re-encoded by
    `without_metadata`; anything else is refused with a message."""

    def __init__(self, *args, max_bytes: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    def to_python(self, data):
        if data and self.max_bytes is not None and getattr(data, "size", 0) > self.max_bytes:
            raise forms.ValidationError(
                f"That image is larger than {self.max_bytes // (1024 * 1024)} MB; choose a smaller one."
            )
        checked = super().to_python(data)
        if checked is None:
            return None
        try:
            return without_metadata(checked)
        except UnsafeImage as refusal:
            raise forms.ValidationError(str(refusal)) from None


# For a ModelAdmin's formfield_overrides: every image uploaded in the
# admin is re-encoded too.
ADMIN_IMAGE_FIELDS = {models.ImageField: {"form_class": MetadataFreeImageField, "max_bytes": IMAGE_MAX_BYTES}}
