"""Placeholder pictures for the demo's pages, drawn when it is seeded so
the repository ships no photos: a soft gradient with out-of-focus lights,
like a photo of an evening event."""

import io
import random

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFilter

Colour = tuple[int, int, int]


def placeholder_photo(*, size: tuple[int, int], colours: tuple[Colour, Colour], seed: int) -> ContentFile:
    """A JPEG of `size`, shading from the first colour to the second
    corner to corner; the same picture for the same seed."""
    width, height = size
    down = Image.linear_gradient("L")
    diagonal = Image.blend(down, down.rotate(90), 0.5).transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize(size)
    picture = Image.composite(Image.new("RGB", size, colours[1]), Image.new("RGB", size, colours[0]), diagonal)
    lights = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(lights)
    chance = random.Random(seed)
    for _ in range(28):
        radius = chance.randint(height // 20, height // 6)
        x, y = chance.randint(0, width), chance.randint(0, height)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(255, 244, 230, chance.randint(25, 70)))
    lights = lights.filter(ImageFilter.GaussianBlur(height // 60))
    picture = Image.alpha_composite(picture.convert("RGBA"), lights).convert("RGB")
    encoded = io.BytesIO()
    picture.save(encoded, "JPEG", quality=82, optimize=True, progressive=True)
    return ContentFile(encoded.getvalue())


def placeholder_signature(name: str) -> ContentFile:
    """A PNG of `name` over a line, standing in for a signatory's scanned signature."""
    picture = Image.new("RGB", (600, 160), (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    draw.text((30, 50), name, fill=(20, 30, 90), font_size=56)
    draw.line((20, 130, 580, 130), fill=(60, 60, 60), width=2)
    encoded = io.BytesIO()
    picture.save(encoded, "PNG", optimize=True)
    return ContentFile(encoded.getvalue())
