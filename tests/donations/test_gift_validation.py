"""Bad gift requests get a 400 naming the field, and change nothing."""

import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.money import gift_minimums
from donations.forms import PlanAmountForm
from donations.models import Donation, Donor, RecurringPlan
from tests.factories import CampaignFactory, TeamFactory
from tests.gifts import gift_body, give

pytestmark = pytest.mark.django_db


def without(key: str) -> dict:
    body = gift_body()
    if key.startswith("donor."):
        del body["donor"][key.removeprefix("donor.")]
    else:
        del body[key]
    return body


@pytest.mark.parametrize(
    "body, field, message_part",
    [
        *[
            pytest.param(without(key), key, "required", id=f"missing-{key}")
            for key in [
                "campaign",
                "fund",
                "amount_minor",
                "currency",
                "payment_method",
                "donor.email",
                "donor.first_name",
                "donor.last_name",
            ]
        ],
        pytest.param(gift_body(amount_minor=0), "amount_minor", "greater than or equal to 1", id="zero"),
        pytest.param(gift_body(amount_minor=-500), "amount_minor", "greater than or equal to 1", id="negative"),
        pytest.param(gift_body(amount_minor="5000"), "amount_minor", "whole number", id="string-amount"),
        pytest.param(gift_body(amount_minor=50.5), "amount_minor", "whole number", id="float-amount"),
        pytest.param(gift_body(amount_minor=True), "amount_minor", "whole number", id="bool-amount"),
        pytest.param(gift_body(amount_minor=499), "amount_minor", "between $5.00 and $50,000.00", id="below-minimum"),
        pytest.param(gift_body(amount_minor=10**12), "amount_minor", "between", id="absurd-amount"),
        pytest.param(gift_body(currency="eur"), "currency", "USD", id="other-currency"),
        pytest.param(gift_body(currency="xyz"), "currency", "not a currency", id="unknown-currency"),
        pytest.param(gift_body(campaign="no-such-campaign"), "campaign", "no campaign", id="unknown-campaign"),
        pytest.param(gift_body(fund="yachts"), "fund", "does not offer", id="unknown-fund"),
        pytest.param(gift_body(team="no-such-team"), "team", "no team", id="unknown-team"),
        pytest.param(gift_body(fundraiser="nobody"), "fundraiser", "no fundraiser", id="unknown-fundraiser"),
        pytest.param(gift_body(frequency="weekly"), "frequency", "valid choice", id="bad-frequency"),
        pytest.param(gift_body(cover_fees="yes"), "cover_fees", "true or false", id="bad-boolean"),
        pytest.param(gift_body(message="x" * 501), "message", "at most 500", id="long-message"),
        pytest.param(gift_body(payment_method="4242424242424242"), "payment_method", "pm_", id="card-number"),
        pytest.param(gift_body(payment_method={"id": "pm_x"}), "payment_method", "string", id="object-pm"),
        pytest.param(gift_body(donor__email="not-an-email"), "donor.email", "valid email", id="bad-email"),
        pytest.param(gift_body(donor__first_name="x" * 101), "donor.first_name", "at most 100", id="long-name"),
        pytest.param(gift_body(donor="ada@example.org"), "donor", "object", id="donor-not-object"),
        pytest.param(gift_body(donor__address={"country": "USA"}), "donor.address.country", "two-letter", id="country"),
        pytest.param(gift_body(donor__address=[]), "donor.address", "object", id="address-not-object"),
    ],
)
def test_bad_field_is_400_with_a_message_and_writes_nothing(client, campaign, body, field, message_part):
    response = give(client, body)

    assert response.status_code == 400
    messages = response.json()["errors"][field]
    assert any(message_part.lower() in m.lower() for m in messages), messages
    assert not Donation.objects.exists()
    assert not Donor.objects.exists()


def test_every_bad_field_is_reported_at_once(client, campaign):
    body = gift_body(amount_minor=-1, fund="yachts", donor__email="nope")

    errors = give(client, body).json()["errors"]

    assert {"amount_minor", "fund", "donor.email"} <= set(errors)


def test_fundraiser_on_another_team_is_refused(client, fundraiser):
    other_team = TeamFactory(campaign=fundraiser.campaign, slug="other-team")

    response = give(client, gift_body(team=other_team.slug, fundraiser=fundraiser.slug))

    assert response.status_code == 400
    assert "not on that team" in response.json()["errors"]["fundraiser"][0]


def test_team_of_another_campaign_is_refused(client, campaign):
    elsewhere = TeamFactory(campaign=CampaignFactory(), slug="elsewhere")

    response = give(client, gift_body(team=elsewhere.slug))

    assert response.status_code == 400
    assert "team" in response.json()["errors"]


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"a string"', b"\xff\xfe"])
def test_body_that_is_not_a_json_object_is_400(client, campaign, raw):
    response = client.post("/api/donations/", data=raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"]["__all__"]


def test_oversized_body_is_refused_without_a_500(client, campaign):
    body = gift_body(dedication="x" * 200_000)

    response = give(client, body)

    assert response.status_code == 413
    assert response.json()["errors"]["__all__"] == ["The request is too large."]
    assert not Donation.objects.exists()


def test_overlong_idempotency_key_is_refused(client, campaign):
    response = give(client, HTTP_IDEMPOTENCY_KEY="k" * 256)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]


def test_get_on_the_collection_is_405(client, db):
    assert client.get("/api/donations/").status_code == 405


# --- The minimum gift (MIN_GIFT_MINOR) --------------------------------------------------


@pytest.mark.parametrize(
    "currency, minimum, maximum",
    [
        ("usd", "$5.00", "$50,000.00"),
        ("cad", "CA$5.00", "CA$50,000.00"),
        ("gbp", "£5.00", "£50,000.00"),
        ("eur", "€5.00", "€50,000.00"),
        ("aud", "A$5.00", "A$50,000.00"),
    ],
)
def test_gift_under_the_minimum_is_400_in_the_campaigns_currency(client, funds, currency, minimum, maximum):
    CampaignFactory(slug=f"give-in-{currency}", currency=currency)
    body = gift_body(campaign=f"give-in-{currency}", currency=currency, amount_minor=499)

    response = give(client, body)

    assert response.status_code == 400
    assert response.json()["errors"]["amount_minor"] == [f"Gifts must be between {minimum} and {maximum}."]
    assert not Donation.objects.exists()
    assert give(client, {**body, "amount_minor": 500}).status_code == 201


def test_min_gift_setting_changes_the_minimum_of_its_currency_only(client, funds, settings):
    settings.MIN_GIFT_MINOR = gift_minimums("usd=1000, gbp=300")
    CampaignFactory(slug="usd-campaign", currency="usd")
    CampaignFactory(slug="gbp-campaign", currency="gbp")
    CampaignFactory(slug="cad-campaign", currency="cad")

    def status(slug: str, currency: str, amount_minor: int) -> int:
        return give(client, gift_body(campaign=slug, currency=currency, amount_minor=amount_minor)).status_code

    assert (status("usd-campaign", "usd", 999), status("usd-campaign", "usd", 1000)) == (400, 201)
    assert (status("gbp-campaign", "gbp", 299), status("gbp-campaign", "gbp", 300)) == (400, 201)
    assert (status("cad-campaign", "cad", 499), status("cad-campaign", "cad", 500)) == (400, 201)


def test_monthly_gift_under_the_minimum_is_400_and_starts_no_plan(client, campaign, fake_stripe):
    response = give(client, gift_body(frequency="monthly", amount_minor=300))

    assert response.status_code == 400
    assert "$5.00" in response.json()["errors"]["amount_minor"][0]
    assert not RecurringPlan.objects.exists()
    assert fake_stripe.calls == []


@pytest.mark.parametrize("amount, accepted", [("4.99", False), ("5.00", True)])
def test_new_monthly_amount_under_the_minimum_is_refused(client, campaign, amount, accepted):
    give(client, gift_body(frequency="monthly", amount_minor=2500))

    form = PlanAmountForm({"amount": amount}, plan=RecurringPlan.objects.get())

    assert form.is_valid() == accepted
    if not accepted:
        assert form.errors["amount"] == ["Monthly gifts must be between $5.00 and $50,000.00."]


@pytest.mark.parametrize(
    "setting, complaint",
    [
        ("usd:500", "looks like usd=500"),
        ("usd=5.00", "looks like usd=500"),
        ("jpy=500", "not a currency we accept"),
        ("gbp=29", "from 30 (Stripe's smallest charge)"),
        ("usd=5000001", "to 5000000"),
    ],
)
def test_malformed_min_gift_setting_stops_start_up_with_a_reason(setting, complaint):
    with pytest.raises(ImproperlyConfigured, match=re.escape(complaint)):
        gift_minimums(setting)


def test_min_gift_setting_defaults_to_five_in_every_currency():
    assert gift_minimums("") == {"usd": 500, "cad": 500, "eur": 500, "gbp": 500, "aud": 500}
    assert gift_minimums("USD=700")["usd"] == 700
