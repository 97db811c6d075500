"""Bad gift requests get a 400 naming the field, and change nothing."""

import pytest

from donations.models import Donation, Donor
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
        pytest.param(gift_body(amount_minor=99), "amount_minor", "between $1.00 and $50,000.00", id="below-minimum"),
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
