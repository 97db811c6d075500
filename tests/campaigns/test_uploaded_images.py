"""Uploaded images reach the public site and donors' inboxes without what
the camera wrote into them: no EXIF, no GPS position, no file name."""

import io

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from campaigns.models import Campaign, Fundraiser, Team
from receipts.models import ImpactUpdate

pytestmark = pytest.mark.django_db

START = "/campaigns/dressember-2026/start/"
TEAM_DASHBOARD = "/campaigns/dressember-2026/teams/freedom-threads/manage/"


def photo_with_gps(kind: str = "JPEG") -> SimpleUploadedFile:
    """A 40x20 photo taken on its side (EXIF orientation 6) in London."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", (51.0, 30.0, 26.0)
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "W", (0.0, 7.0, 39.0)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(buffer, kind, exif=exif)
    original = Image.open(io.BytesIO(buffer.getvalue()))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test's photo does carry a position
    return SimpleUploadedFile(f"nia-at-home.{kind.lower()}", buffer.getvalue(), content_type=f"image/{kind.lower()}")


def assert_stored_without_metadata(field_file, kind: str) -> None:
    with field_file.open("rb") as stored, Image.open(stored) as image:
        assert image.format == kind
        assert not image.getexif() and "exif" not in image.info
        assert image.size == (20, 40)  # turned upright as the EXIF said
    assert "nia-at-home" not in field_file.name


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_an_uploaded_photos_gps_exif_is_gone(client, campaign, donor_account, settings, tmp_path, kind):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(donor_account)

    response = client.post(START, {"name": "Dana's Dressember", "goal": "100", "photo": photo_with_gps(kind)})

    assert response.status_code == 302
    assert_stored_without_metadata(Fundraiser.objects.get().photo, kind)


def test_a_photo_changed_on_the_dashboard_is_stored_without_exif(client, fundraiser, member, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(member)

    response = client.post(
        f"/campaigns/dressember-2026/fundraisers/{fundraiser.slug}/manage/",
        {"name": fundraiser.name, "goal": "100", "story": "", "photo": photo_with_gps()},
    )

    assert response.status_code == 302
    fundraiser.refresh_from_db()
    assert_stored_without_metadata(fundraiser.photo, "JPEG")


def test_a_photo_in_another_format_is_refused(client, campaign, donor_account, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(donor_account)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "GIF")
    gif = SimpleUploadedFile("me.gif", buffer.getvalue(), content_type="image/gif")

    response = client.post(START, {"name": "Dana's Dressember", "goal": "100", "photo": gif})

    assert response.status_code == 400 and "Use a JPEG, PNG or WebP image." in response.content.decode()
    assert not Fundraiser.objects.exists()


def test_a_phones_jpeg_carrying_a_second_image_is_kept_as_a_plain_jpeg_of_the_photo(
    client, campaign, donor_account, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(donor_account)
    buffer = io.BytesIO()
    photo, gain_map = Image.new("RGB", (40, 20), "red"), Image.new("RGB", (10, 5), "blue")
    photo.save(buffer, "MPO", save_all=True, append_images=[gain_map])
    upload = SimpleUploadedFile("PXL_0001.jpg", buffer.getvalue(), content_type="image/jpeg")
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"  # as Pillow sees such a photo

    response = client.post(START, {"name": "Dana's Dressember", "goal": "100", "photo": upload})

    assert response.status_code == 302
    with Fundraiser.objects.get().photo.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == (40, 20) and getattr(image, "n_frames", 1) == 1


@pytest.mark.parametrize("kind", ["PNG", "WEBP"])
def test_a_photo_whose_exif_block_is_broken_is_refused_with_a_message(
    client, campaign, donor_account, settings, tmp_path, kind
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(donor_account)
    buffer = io.BytesIO()
    # An EXIF block whose TIFF header is garbage: Pillow reads the pixels but
    # fails on the orientation with an error other than OSError.
    Image.new("RGB", (8, 8), "red").save(buffer, kind, exif=b"Exif\x00\x00XX*\x00\x00\x00\x00\x08")
    photo = SimpleUploadedFile(f"me.{kind.lower()}", buffer.getvalue(), content_type=f"image/{kind.lower()}")

    response = client.post(START, {"name": "Dana's Dressember", "goal": "100", "photo": photo})

    assert response.status_code == 400 and "That file is not an image we can read." in response.content.decode()
    assert not Fundraiser.objects.exists()


def test_a_team_photo_changed_by_its_captain_is_stored_without_exif(client, team, captain, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(captain)

    response = client.post(TEAM_DASHBOARD, {"name": team.name, "goal": "100", "story": "", "photo": photo_with_gps()})

    assert response.status_code == 302
    team.refresh_from_db()
    assert_stored_without_metadata(team.photo, "JPEG")


def test_a_team_photo_that_is_not_an_image_is_refused(client, team, captain, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(captain)
    not_an_image = SimpleUploadedFile("team.jpg", b"GIF89a but not really", content_type="image/jpeg")

    response = client.post(TEAM_DASHBOARD, {"name": team.name, "goal": "100", "story": "", "photo": not_an_image})

    assert response.status_code == 400 and "Upload a valid image" in response.content.decode()
    team.refresh_from_db()
    assert not team.photo


def test_a_captain_removes_the_team_photo(client, team, captain, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(captain)
    client.post(TEAM_DASHBOARD, {"name": team.name, "goal": "100", "story": "", "photo": photo_with_gps()})

    response = client.post(TEAM_DASHBOARD, {"name": team.name, "goal": "100", "story": "", "remove_photo": "on"})

    assert response.status_code == 302
    team.refresh_from_db()
    assert not team.photo


ADMIN_IMAGES = [(ImpactUpdate, "image"), (Fundraiser, "photo"), (Team, "photo"), (Campaign, "hero_image")]


@pytest.mark.parametrize(("model", "field"), ADMIN_IMAGES)
def test_an_image_uploaded_in_the_admin_is_cleaned_of_exif(rf, model, field):
    model_admin = admin.site._registry[model]
    form_field = model_admin.formfield_for_dbfield(model._meta.get_field(field), request=rf.get("/"))

    cleaned = form_field.clean(photo_with_gps())

    with Image.open(cleaned) as image:
        assert not image.getexif() and image.size == (20, 40)


@pytest.mark.parametrize(("model", "field"), ADMIN_IMAGES)
def test_a_file_that_is_not_an_image_is_refused_in_the_admin(rf, model, field):
    model_admin = admin.site._registry[model]
    form_field = model_admin.formfield_for_dbfield(model._meta.get_field(field), request=rf.get("/"))

    with pytest.raises(ValidationError):
        form_field.clean(SimpleUploadedFile("hero.png", b"<svg onload=alert(1)>", content_type="image/png"))


def test_an_impact_update_image_is_stored_without_exif(settings, tmp_path, rf):
    settings.MEDIA_ROOT = tmp_path
    update_admin = admin.site._registry[ImpactUpdate]
    image_field = update_admin.formfield_for_dbfield(ImpactUpdate._meta.get_field("image"), request=rf.get("/"))

    update = ImpactUpdate.objects.create(title="Spring", body="News.", image=image_field.clean(photo_with_gps()))

    assert_stored_without_metadata(update.image, "JPEG")


def test_a_multipart_body_over_the_cap_is_refused_before_it_is_read(
    client, campaign, donor_account, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(donor_account)
    photo = photo_with_gps()
    settings.MULTIPART_MAX_BYTES = photo.size  # the form's other fields take it over the cap

    response = client.post(START, {"name": "Dana's Dressember", "goal": "100", "photo": photo})

    assert response.status_code == 400
    assert not Fundraiser.objects.exists()
