"""Making gifts in tests the way a browser does: through the API, charged
by localstripe."""

import copy

import stripe
from django.conf import settings

DECLINING_PAYMENT_METHOD = "pm_card_chargeCustomerFail"


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


def card_payment_method(number: str) -> str:
    """A payment method for a Stripe test card number, made in localstripe
    as Stripe.js would make it in the browser."""
    client = stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses={"api": settings.STRIPE_API_BASE})
    method = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2035, "cvc": "123"}}
    )
    return method.id


def intents_for(donation_public_id: str) -> list:
    """Every PaymentIntent localstripe holds for one gift."""
    client = stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses={"api": settings.STRIPE_API_BASE})
    intents = client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    return [i for i in intents if i.to_dict().get("metadata", {}).get("donation_id") == str(donation_public_id)]
