"""GET /api/campaigns/<slug>/ as the contract describes it."""

import pytest

from tests.factories import DonationFactory, FundraiserFactory, TeamFactory
from tests.gifts import gift_body, give

pytestmark = pytest.mark.django_db


def test_campaign_json_has_totals_funds_teams_and_fundraisers(client, fundraiser):
    DonationFactory(succeeded=True, through_services=True, fundraiser=fundraiser, amount_minor=2500)
    DonationFactory(succeeded=True, through_services=True, campaign=fundraiser.campaign, amount_minor=5000)

    data = client.get("/api/campaigns/dressember-2026/").json()

    assert data["slug"] == "dressember-2026"
    assert data["title"] == "Dressember 2026"
    assert (data["currency"], data["goal_minor"]) == ("usd", 250_000_00)
    assert (data["raised_minor"], data["donor_count"], data["gift_count"]) == (7500, 2, 2)
    assert data["url"] == "http://testserver/campaigns/dressember-2026/"
    assert {f["slug"] for f in data["funds"]} == {"rescue", "aftercare", "general"}
    [team] = data["teams"]
    assert team["slug"] == fundraiser.team.slug
    assert team["raised_minor"] == 2500
    assert team["url"] == f"http://testserver/campaigns/dressember-2026/teams/{fundraiser.team.slug}/"
    [page] = team["fundraisers"]
    assert (page["slug"], page["raised_minor"], page["goal_minor"]) == ("ada-lee", 2500, fundraiser.goal_minor)
    assert page["url"] == "http://testserver/campaigns/dressember-2026/fundraisers/ada-lee/"


def test_campaign_offers_only_the_funds_it_restricts_to(client, campaign, funds):
    campaign.funds.set([funds["rescue"]])

    data = client.get("/api/campaigns/dressember-2026/").json()

    assert [f["slug"] for f in data["funds"]] == ["rescue"]
    assert give(client, gift_body(fund="aftercare")).status_code == 400


def test_unknown_campaign_is_404_json(client, db):
    response = client.get("/api/campaigns/nope/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("team_count", [2, 40])
def test_query_count_does_not_grow_with_teams_and_fundraisers(
    client, campaign, team_count, django_assert_max_num_queries
):
    for _ in range(team_count):
        team = TeamFactory(campaign=campaign)
        FundraiserFactory(campaign=campaign, team=team)
        FundraiserFactory(campaign=campaign, team=None)

    with django_assert_max_num_queries(6):
        data = client.get("/api/campaigns/dressember-2026/").json()

    assert len(data["teams"]) == team_count
    assert len(data["fundraisers"]) == team_count
