"""Stripe events for tests, built from Stripe's own example objects
(tests/fixtures/stripe, MIT) and signed the way Stripe signs them."""

import copy
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path

from django.conf import settings

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "stripe" / "fixtures.json").read_text())["resources"]


def stripe_object(kind: str, **fields) -> dict:
    obj = copy.deepcopy(FIXTURES[kind])
    obj.update(fields)
    return obj


def event(event_type: str, obj: dict, *, event_id: str | None = None) -> dict:
    return stripe_object(
        "event",
        id=event_id or f"evt_test_{uuid.uuid4().hex[:20]}",
        type=event_type,
        created=int(time.time()),
        data={"object": obj},
    )


def payment_intent_event(event_type: str, donation, *, status: str, **fields) -> dict:
    """An event for the PaymentIntent that charged `donation`."""
    intent = stripe_object(
        "payment_intent",
        **{
            "id": donation.payment_intent_id or f"pi_test_{uuid.uuid4().hex[:16]}",
            "amount": donation.charged_minor,
            "currency": donation.currency,
            "status": status,
            "metadata": {"donation_id": str(donation.public_id)},
            **fields,
        },
    )
    return event(event_type, intent)


def sign(body: bytes, *, secret: str | None = None, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    secret = secret or settings.STRIPE_WEBHOOK_SECRET
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_event(client, stripe_event: dict, **sign_options):
    body = json.dumps(stripe_event).encode()
    return client.post(
        "/stripe/webhook/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, **sign_options),
    )


def charge_event(event_type: str, donation, *, amount_refunded: int = 0, refunds: list[dict] = (), **fields) -> dict:
    """An event for the charge that paid `donation`, as Stripe sends it."""
    charge = stripe_object(
        "charge",
        **{
            "id": donation.charge_id or f"ch_test_{uuid.uuid4().hex[:16]}",
            "payment_intent": donation.payment_intent_id,
            "amount": donation.charged_minor,
            "amount_refunded": amount_refunded,
            "refunded": amount_refunded >= donation.charged_minor,
            "currency": donation.currency,
            "paid": True,
            "status": "succeeded",
            "refunds": {"object": "list", "data": list(refunds), "has_more": False},
            **fields,
        },
    )
    return event(event_type, charge)


def refund_object(amount: int, **fields) -> dict:
    return stripe_object(
        "refund",
        **{"id": f"re_test_{uuid.uuid4().hex[:16]}", "amount": amount, "status": "succeeded", "metadata": {}, **fields},
    )


def dispute_event(event_type: str, donation, *, status: str, dispute_id: str = "dp_test_1", **fields) -> dict:
    dispute = stripe_object(
        "dispute",
        **{
            "id": dispute_id,
            "charge": donation.charge_id,
            "payment_intent": donation.payment_intent_id,
            "amount": donation.charged_minor,
            "currency": donation.currency,
            "status": status,
            "reason": "fraudulent",
            **fields,
        },
    )
    return event(event_type, dispute)


def invoice_event(
    event_type: str,
    *,
    subscription_id: str,
    amount: int,
    invoice_id: str | None = None,
    status: str = "paid",
    new_api_shape: bool = False,
    **fields,
) -> dict:
    """An invoice event for a subscription. Stripe's newer API versions name
    the subscription under `parent`; older ones (and localstripe) on the
    invoice itself."""
    invoice = stripe_object(
        "invoice",
        **{
            "id": invoice_id or f"in_test_{uuid.uuid4().hex[:16]}",
            "status": status,
            "amount_paid": amount if status == "paid" else 0,
            "amount_due": amount,
            "currency": "usd",
            **fields,
        },
    )
    if new_api_shape:
        invoice["parent"] = {
            "type": "subscription_details",
            "subscription_details": {"subscription": subscription_id, "metadata": {}},
        }
    else:
        invoice["subscription"] = subscription_id
    return event(event_type, invoice)


def subscription_event(
    event_type: str, *, subscription_id: str, status: str, plan_public_id: str | None = None
) -> dict:
    subscription = stripe_object(
        "subscription",
        id=subscription_id,
        status=status,
        metadata={"plan_id": plan_public_id} if plan_public_id else {},
        # Collecting (the example object's collection is paused).
        pause_collection=None,
    )
    return event(event_type, subscription)
