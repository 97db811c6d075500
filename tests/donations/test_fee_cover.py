"""GET /api/fee-cover/: the amount the donate form shows beside "cover the
fees" is what the gift is then charged, to the cent."""

import pytest

from tests.api_schema import assert_described
from tests.gifts import gift_body, give

pytestmark = pytest.mark.django_db


def fee_cover(client, **query):
    return client.get("/api/fee-cover/", {"currency": "usd", **query})


@pytest.mark.parametrize("amount_minor", [1000, 2500, 5000, 7500, 12_345])
def test_the_fee_shown_is_what_a_gift_covering_fees_is_charged(client, campaign, amount_minor):
    shown = fee_cover(client, amount_minor=amount_minor).json()

    created = give(client, gift_body(amount_minor=amount_minor, cover_fees=True))

    assert created.status_code == 201
    assert shown["total_minor"] == created.json()["amount_minor"]
    assert shown["fee_minor"] == shown["total_minor"] - amount_minor > 0


def test_fee_cover_answers_the_gift_the_fee_and_the_total_and_may_be_cached(client):
    response = fee_cover(client, amount_minor=5000, currency="USD")

    assert response.status_code == 200
    assert response.json() == {"amount_minor": 5000, "currency": "usd", "fee_minor": 181, "total_minor": 5181}
    assert "public" in response["Cache-Control"]
    assert_described(response)


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"amount_minor": "fifty"}, "amount_minor", "whole number"),
        ({"amount_minor": "0"}, "amount_minor", "greater than or equal to 1"),
        ({"amount_minor": "99999999999"}, "amount_minor", "Gifts must be between"),
        ({"amount_minor": "5000", "currency": "xyz"}, "currency", "not a currency we accept"),
        ({}, "amount_minor", "required"),
    ],
    ids=["not-a-number", "zero", "over-the-limit", "unknown-currency", "missing"],
)
def test_an_amount_or_currency_the_form_could_not_give_is_a_400_naming_it(client, query, field, words):
    response = fee_cover(client, **query)

    assert response.status_code == 400
    assert words in response.json()["errors"][field][0]
    assert_described(response)
