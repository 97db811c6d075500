"""Asking localstripe directly, for the suites that run against it
(stripe_contract, integration, e2e): what Stripe.js would do in the
browser, and what Stripe holds. Unit tests ask the fake instead."""

import json
import urllib.parse
import urllib.request

import stripe
from django.conf import settings


def sdk_client() -> stripe.StripeClient:
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses={"api": settings.STRIPE_API_BASE})


def card_payment_method(number: str) -> str:
    """A payment method for a Stripe test card number, made in localstripe
    as Stripe.js would make it in the browser."""
    method = sdk_client().v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2035, "cvc": "123"}}
    )
    return method.id


def intents_for(donation_public_id: str) -> list:
    """Every PaymentIntent localstripe holds for one gift."""
    intents = sdk_client().v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    return [i for i in intents if i.to_dict().get("metadata", {}).get("donation_id") == str(donation_public_id)]


def authenticate(client_secret: str, *, success: bool) -> None:
    """What Stripe.js does when the donor passes (or fails) the bank's
    3-D Secure check (localstripe's private endpoint)."""
    intent_id = client_secret.split("_secret_")[0]
    request = urllib.request.Request(
        f"{settings.STRIPE_API_BASE}/v1/payment_intents/{intent_id}/_authenticate?success={str(success).lower()}",
        data=json.dumps({"client_secret": client_secret, "key": "pk_test_x"}).encode(),
    )
    urllib.request.urlopen(request, timeout=10).close()


def subscription(subscription_id: str) -> dict:
    return sdk_client().v1.subscriptions.retrieve(subscription_id).to_dict()


def send_webhooks_to(url: str) -> None:
    """Have localstripe deliver its events to `url`, signed with our secret
    (one registration: a later call moves it)."""
    data = urllib.parse.urlencode({"url": url, "secret": settings.STRIPE_WEBHOOK_SECRET}).encode()
    urllib.request.urlopen(f"{settings.STRIPE_API_BASE}/_config/webhooks/hopefund-tests", data=data, timeout=5).close()
