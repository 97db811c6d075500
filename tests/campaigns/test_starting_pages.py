"""Supporters start fundraiser pages and teams, and join teams; bad input
is refused with a message and writes nothing."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from campaigns.models import Fundraiser, Team
from tests.factories import FundraiserFactory

pytestmark = pytest.mark.django_db

START = "/campaigns/dressember-2026/start/"
NEW_TEAM = "/campaigns/dressember-2026/new-team/"


def png(size=(8, 8)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    return SimpleUploadedFile("me.png", buffer.getvalue(), content_type="image/png")


def test_starting_a_fundraiser_needs_an_account(client, campaign):
    response = client.get(START)

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_a_supporter_starts_a_fundraiser_page_on_a_team_with_a_photo(client, donor_account, team, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(donor_account)

    response = client.post(
        START,
        {
            "name": "Dana's Dressember",
            "slug": "",
            "story": "Why I dress",
            "goal": "1500",
            "team": str(team.pk),
            "photo": png(),
        },
    )

    assert response.status_code == 302
    page = Fundraiser.objects.get(owner=donor_account)
    assert (page.slug, page.team, page.goal_minor) == ("danas-dressember", team, 1500_00)
    assert response["Location"] == "/campaigns/dressember-2026/fundraisers/danas-dressember/manage/"
    public = client.get(page.get_absolute_url()).content.decode()
    assert f'src="{page.photo.url}" alt="Photo for Dana&#x27;s Dressember"' in public
    assert (tmp_path / page.photo.name).exists()


def test_a_second_page_in_the_same_campaign_is_not_made(client, donor_account, campaign):
    FundraiserFactory(campaign=campaign, owner=donor_account, slug="first")
    client.force_login(donor_account)

    response = client.post(START, {"name": "Second", "goal": "10"})

    assert response.status_code == 302 and "/fundraisers/first/manage/" in response["Location"]
    assert Fundraiser.objects.filter(owner=donor_account).count() == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "x" * 121}, "at most 120 characters"),
        ({"story": "s" * 5001}, "at most 5000 characters"),
        ({"goal": "-100"}, "greater than or equal to 0"),
        ({"goal": "99999999999"}, "is that a typo?"),
        ({"goal": ""}, "This field is required."),
        ({"slug": "ada-lee"}, "The address &#x27;ada-lee&#x27; is taken"),
        ({"slug": "Not a slug!"}, "Enter a valid “slug”"),
        ({"name": "🙂🙂", "slug": ""}, "Choose an address made of letters"),
        ({"photo": SimpleUploadedFile("me.png", b"not an image", content_type="image/png")}, "Upload a valid image"),
    ],
)
def test_bad_fundraiser_details_are_refused_with_a_message(client, donor_account, fundraiser, data, message):
    client.force_login(donor_account)

    response = client.post(START, {"name": "My page", "slug": "", "story": "", "goal": "100", **data})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Fundraiser.objects.filter(owner=donor_account).exists()


def test_an_oversized_photo_is_refused(client, donor_account, campaign, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(donor_account)
    oversized = SimpleUploadedFile("me.png", b"0" * (5 * 1024 * 1024 + 1), content_type="image/png")

    response = client.post(START, {"name": "Big photo", "goal": "10", "photo": oversized})

    assert response.status_code == 400 and "larger than 5 MB" in response.content.decode()


def test_creating_a_team_makes_its_creator_captain_and_brings_their_page(client, donor_account, campaign):
    own = FundraiserFactory(campaign=campaign, owner=donor_account, team=None)
    client.force_login(donor_account)

    response = client.post(NEW_TEAM, {"name": "Night Owls", "slug": "", "story": "We run at night", "goal": "5000"})

    team = Team.objects.get(slug="night-owls")
    assert response["Location"] == "/campaigns/dressember-2026/teams/night-owls/manage/"
    assert list(team.captains.all()) == [donor_account]
    own.refresh_from_db()
    assert own.team == team


def test_a_team_address_already_used_is_refused(client, donor_account, team):
    client.force_login(donor_account)

    response = client.post(NEW_TEAM, {"name": "Freedom Threads", "goal": "100"})

    assert response.status_code == 400
    assert "The address &#x27;freedom-threads&#x27; is taken" in response.content.decode()
    assert Team.objects.count() == 1


def test_join_a_team_with_your_page_or_make_one_first(client, donor_account, team, campaign):
    client.force_login(donor_account)

    without_page = client.post(f"{team.get_absolute_url()}join/")
    assert without_page["Location"] == f"{START}?team=freedom-threads"
    assert f'value="{team.pk}" selected' in client.get(without_page["Location"]).content.decode()
    own = FundraiserFactory(campaign=campaign, owner=donor_account, team=None)
    with_page = client.post(f"{team.get_absolute_url()}join/")

    assert with_page.status_code == 302
    own.refresh_from_db()
    assert own.team == team


def test_a_closed_campaign_takes_no_new_pages_or_teams(client, donor_account, campaign):
    campaign.ends_at = timezone.now() - timedelta(days=1)
    campaign.save()
    client.force_login(donor_account)

    fundraiser = client.post(START, {"name": "Too late", "goal": "10"})
    team = client.post(NEW_TEAM, {"name": "Too late", "goal": "10"})

    for response in (fundraiser, team):
        assert response.status_code == 400
        assert "This campaign is closed" in response.content.decode()
    assert not Fundraiser.objects.exists() and not Team.objects.exists()


def test_a_visitor_is_offered_a_log_in_link_to_join_a_team(client, team):
    page = client.get(team.get_absolute_url()).content.decode()

    assert f'href="/accounts/login/?next={team.get_absolute_url()}">Log in to join this team' in page
    assert "Join this team</button>" not in page
