"""A draft campaign is not public until staff publish it: its pages and
API answer 404, and no gift can be made to it."""

import pytest

from campaigns.models import Campaign
from tests.gifts import gift_body, give

pytestmark = pytest.mark.django_db

PUBLIC_URLS = [
    "/campaigns/dressember-2026/",
    "/campaigns/dressember-2026/teams/freedom-threads/",
    "/campaigns/dressember-2026/fundraisers/ada-lee/",
    "/api/campaigns/dressember-2026/",
]


@pytest.fixture
def draft(campaign, fundraiser):
    campaign.status = Campaign.Status.DRAFT
    campaign.save()
    return campaign


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_a_draft_campaigns_pages_and_api_are_404(client, draft, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/campaigns/dressember-2026/start/", "/campaigns/dressember-2026/new-team/"])
def test_no_page_can_be_started_in_a_draft_campaign(client, draft, donor_account, url):
    client.force_login(donor_account)

    assert client.get(url).status_code == 404


def test_a_gift_to_a_draft_campaign_is_400_naming_campaign(client, draft):
    response = give(client, gift_body())

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["campaign"]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_a_published_campaigns_pages_and_api_are_public(client, campaign, fundraiser, url):
    assert client.get(url).status_code == 200
