"""The public campaign, team and fundraiser pages."""

import pytest

from tests.factories import DonationFactory

pytestmark = pytest.mark.django_db


def test_campaign_page_shows_story_progress_teams_and_a_donate_form(client, team, settings):
    settings.STRIPE_JS_URL = "https://js.stripe.example/v3/"
    DonationFactory(succeeded=True, through_services=True, campaign=team.campaign, amount_minor=5000)

    page = client.get("/campaigns/dressember-2026/").content.decode()

    assert "<h1>Dressember 2026</h1>" in page
    assert "Wear a dress, end trafficking." in page
    assert "$50.00</strong>" in page and "$250,000.00 goal" in page
    assert 'data-testid="donor-count">1<' in page
    assert team.name in page
    assert '<form id="donate-form"' in page
    assert '<script src="https://js.stripe.example/v3/"></script>' in page
    assert 'data-campaign="dressember-2026"' in page
    for fund in ("Rescue", "Aftercare", "Where most needed"):
        assert fund in page


def test_fundraiser_page_attributes_gifts_to_the_fundraiser_and_its_team(client, fundraiser):
    page = client.get(fundraiser.get_absolute_url()).content.decode()

    assert f"<h1>{fundraiser.name.replace(chr(39), '&#x27;')}</h1>" in page
    assert f'data-fundraiser="{fundraiser.slug}"' in page
    assert f'data-team="{fundraiser.team.slug}"' in page


def test_team_page_lists_its_fundraisers(client, fundraiser):
    page = client.get(fundraiser.team.get_absolute_url()).content.decode()

    assert fundraiser.team.name in page
    assert fundraiser.get_absolute_url() in page


def test_closed_campaign_page_says_so_and_offers_no_form(client, campaign):
    campaign.status = campaign.Status.CLOSED
    campaign.save()

    page = client.get("/campaigns/dressember-2026/").content.decode()

    assert "closed" in page
    assert "donate-form" not in page


def test_story_html_is_escaped(client, campaign):
    campaign.story = '<script>alert("x")</script>'
    campaign.save()

    page = client.get("/campaigns/dressember-2026/").content.decode()

    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize(
    "url",
    ["/campaigns/nope/", "/campaigns/dressember-2026/teams/nope/", "/campaigns/dressember-2026/fundraisers/nope/"],
)
def test_unknown_page_is_404(client, campaign, url):
    assert client.get(url).status_code == 404


def test_home_lists_open_campaigns(client, campaign):
    assert campaign.get_absolute_url() in client.get("/").content.decode()


def test_donate_form_shows_the_fee_to_cover_for_the_checked_amount(client, campaign):
    from core.money import format_money
    from donations.services.gifts import covered_fee

    html = client.get("/campaigns/dressember-2026/").content.decode()

    assert 'name="preset" value="5000" checked' in html
    assert f'<strong id="fee-to-cover">{format_money(covered_fee(5000), "usd")}</strong>' in html


@pytest.mark.parametrize(
    ("currency", "country", "region", "postal_code"),
    [
        ("usd", "US", "State", "ZIP code"),
        ("cad", "CA", "Province", "Postal code"),
        ("gbp", "GB", "County (optional)", "Postcode"),
    ],
)
def test_the_address_opens_on_the_campaigns_country_in_its_own_words(
    client, campaign, currency, country, region, postal_code
):
    campaign.currency = currency
    campaign.save()

    html = client.get("/campaigns/dressember-2026/").content.decode()

    assert f'<option value="{country}" selected>' in html
    assert f'<label for="region" id="region-label">{region}</label>' in html
    assert f'<label for="postal-code" id="postal-code-label">{postal_code}</label>' in html
