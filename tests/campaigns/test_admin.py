"""Campaign admin: dates, featured teams and moderation."""

import pytest
from django.contrib.auth.models import Permission

from campaigns.models import Campaign, CampaignUpdate, Fundraiser, Team
from tests.auth import log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    log_in(client, UserFactory(email="admin@example.org", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "model, url, item",
    [
        (Team, "/admin/campaigns/team/", "team"),
        (Fundraiser, "/admin/campaigns/fundraiser/", "fundraiser"),
    ],
)
def test_staff_hide_and_show_pages_again(admin_client, fundraiser, model, url, item, request):
    page = request.getfixturevalue(item)

    hidden = admin_client.post(url, {"action": "hide", "_selected_action": [page.pk]}, follow=True)

    assert hidden.status_code == 200
    assert model.objects.get(pk=page.pk).is_hidden
    assert admin_client.get(page.get_absolute_url()).status_code == 404
    admin_client.post(url, {"action": "show", "_selected_action": [page.pk]})
    assert not model.objects.get(pk=page.pk).is_hidden
    assert admin_client.get(page.get_absolute_url()).status_code == 200


def test_staff_hide_an_update(admin_client, team):
    update = CampaignUpdate.objects.create(campaign=team.campaign, team=team, title="Rude words", body="...")

    admin_client.post("/admin/campaigns/campaignupdate/", {"action": "hide", "_selected_action": [update.pk]})

    assert "Rude words" not in admin_client.get(team.get_absolute_url()).content.decode()


def test_a_campaign_ending_before_it_starts_is_a_form_error_not_a_crash(admin_client, funds):
    response = admin_client.post(
        "/admin/campaigns/campaign/add/",
        {
            "slug": "spring",
            "title": "Spring",
            "story": "",
            "goal_minor": "100000",
            "currency": "usd",
            "status": "active",
            "starts_at_0": "2026-05-01",
            "starts_at_1": "00:00:00",
            "ends_at_0": "2026-04-01",
            "ends_at_1": "00:00:00",
            "teams-TOTAL_FORMS": "0",
            "teams-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "A campaign must end after it starts." in response.content.decode()
    assert not Campaign.objects.filter(slug="spring").exists()


def test_staff_feature_a_team_from_the_list(admin_client, team):
    admin_client.post(
        "/admin/campaigns/team/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(team.pk),
            "form-0-is_featured": "on",
            "_save": "Save",
        },
    )

    team.refresh_from_db()
    assert team.is_featured
    assert 'id="featured-heading"' in admin_client.get(team.campaign.get_absolute_url()).content.decode()


# --- Moderation needs its own permission --------------------------------------

MODERATED = [
    ("team", "/admin/campaigns/team/", "view_team"),
    ("fundraiser", "/admin/campaigns/fundraiser/", "view_fundraiser"),
    ("update", "/admin/campaigns/campaignupdate/", "view_campaignupdate"),
]


@pytest.fixture
def update(team):
    return CampaignUpdate.objects.create(campaign=team.campaign, team=team, title="Rude words", body="...")


def staff_with(*codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.mark.parametrize("item, url, view", MODERATED, ids=[item for item, _, _ in MODERATED])
def test_staff_who_may_only_see_a_list_cannot_hide_from_it(client, fundraiser, update, item, url, view, request):
    page = request.getfixturevalue(item)
    log_in(client, staff_with(view))

    response = client.post(url, {"action": "hide", "_selected_action": [page.pk]}, follow=True)

    assert response.status_code == 200
    assert not type(page).objects.get(pk=page.pk).is_hidden
    assert "Hide the selected" not in client.get(url).content.decode()


@pytest.mark.parametrize("item, url, view", MODERATED, ids=[item for item, _, _ in MODERATED])
def test_a_moderator_hides_without_the_right_to_edit(client, fundraiser, update, item, url, view, request):
    page = request.getfixturevalue(item)
    log_in(client, staff_with(view, "moderate_page"))

    client.post(url, {"action": "hide", "_selected_action": [page.pk]})

    assert type(page).objects.get(pk=page.pk).is_hidden
