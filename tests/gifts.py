"""Making gifts in tests the way a browser does: through the API, charged
by the fake Stripe (or localstripe, in the marked suites).

A thin HTTP helper for the tests whose subject is the request itself (the
gift API, its validation and rate limits, monthly gifts, retries, a
campaign or page refusing gifts) or that need Stripe's own objects for the
gift (a payment intent to refund or authenticate, a charge whose fee is
read, events and payouts that name them). A gift that is only set-up for
something else is built with tests.factories.DonationFactory
(`through_services=True`, or the `make_gift` fixture) instead."""

import copy

# Stripe's test payment methods: one whose charges are declined, and one
# whose bank asks for 3-D Secure (the fake knows both; localstripe only the
# first, so marked tests make a 3-D Secure card from its number).
DECLINING_PAYMENT_METHOD = "pm_card_chargeCustomerFail"
THREE_D_SECURE_PAYMENT_METHOD = "pm_card_threeDSecure2Required"
THREE_D_SECURE_CARD = "4000002500003155"


def gift_body(**overrides) -> dict:
    body = {
        "campaign": "dressember-2026",
        "team": None,
        "fundraiser": None,
        "fund": "aftercare",
        "amount_minor": 5000,
        "currency": "usd",
        "frequency": "one_time",
        "cover_fees": False,
        "anonymous": False,
        "message": "",
        "dedication": "",
        "donor": {
            "email": "ada@example.org",
            "first_name": "Ada",
            "last_name": "Lee",
            "address": {"line1": "1 Main St", "city": "Springfield", "postal_code": "62701", "country": "US"},
        },
        "payment_method": "pm_card_visa",
    }
    body = copy.deepcopy(body)
    for key, value in overrides.items():
        if key.startswith("donor__"):
            body["donor"][key.removeprefix("donor__")] = value
        else:
            body[key] = value
    return body


def give(client, body: dict | None = None, **headers):
    return client.post("/api/donations/", data=body or gift_body(), content_type="application/json", **headers)


def card_form_body(**overrides) -> dict:
    """What the donate page sends to POST /api/setup-intents/: the gift,
    without the payment method its card will become."""
    body = gift_body(**overrides)
    body.pop("payment_method", None)
    return body


def start_card_form(client, body: dict | None = None, **headers):
    return client.post(
        "/api/setup-intents/",
        data=card_form_body() if body is None else body,
        content_type="application/json",
        **headers,
    )
