"""A team tied to an organisation (a church's team): set by its captains
from the team's settings, matched to the organisation's one record by name
in any case, or by staff in the admin."""

import pytest

from campaigns.models import Organization
from tests.auth import log_in
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

TEAM_DASHBOARD = "/campaigns/dressember-2026/teams/freedom-threads/manage/"
PAGE = {"name": "Freedom Threads", "story": "", "goal": "500.00"}


def test_a_captain_ties_the_team_to_the_organisation_of_that_name_in_any_case(client, captain, team):
    church = OrganizationFactory(name="Grace Church")
    client.force_login(captain)

    response = client.post(TEAM_DASHBOARD, {**PAGE, "organization": "  grace CHURCH "})

    assert response.status_code == 302
    team.refresh_from_db()
    assert team.organization == church
    assert Organization.objects.count() == 1
    assert 'value="Grace Church"' in client.get(TEAM_DASHBOARD).content.decode()


def test_a_new_name_adds_the_organisation_and_an_empty_one_unties_the_team(client, captain, team):
    client.force_login(captain)

    client.post(TEAM_DASHBOARD, {**PAGE, "organization": "St Mary's School"})
    team.refresh_from_db()
    assert team.organization.name == "St Mary's School"

    client.post(TEAM_DASHBOARD, {**PAGE, "organization": ""})
    team.refresh_from_db()
    assert team.organization is None
    assert Organization.objects.filter(name="St Mary's School").exists()  # the record stays


def test_an_organisation_name_too_long_is_refused_on_the_form(client, captain, team):
    client.force_login(captain)

    response = client.post(TEAM_DASHBOARD, {**PAGE, "organization": "x" * 201})

    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()
    team.refresh_from_db()
    assert team.organization is None


def test_staff_tie_a_team_to_an_organisation_in_the_admin(client, admin_user, team):
    church = OrganizationFactory(name="Grace Church")
    log_in(client, admin_user)

    page = client.get(f"/admin/campaigns/team/{team.pk}/change/").content.decode()

    assert 'name="organization"' in page
    found = client.get(
        "/admin/autocomplete/",
        {"term": "grace", "app_label": "campaigns", "model_name": "team", "field_name": "organization"},
    ).json()
    assert [result["id"] for result in found["results"]] == [str(church.pk)]
