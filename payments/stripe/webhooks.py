"""Telling a genuine Stripe event from anything else posted to the webhook."""

import json
import logging

import stripe
from django.conf import settings

from payments.stripe.client import STRIPE_API_VERSION
from payments.stripe.errors import InvalidWebhook

logger = logging.getLogger(__name__)


def verify_webhook(payload: bytes, signature_header: str | None) -> dict:
    """Check the signature on the raw body and return the event as a dict."""
    if not signature_header:
        raise InvalidWebhook("missing Stripe-Signature header")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"),
            signature_header,
            settings.STRIPE_WEBHOOK_SECRET,
            settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        )
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidWebhook(str(exc)) from exc
    if not _is_event(event):
        raise InvalidWebhook("signed, but not a Stripe event")
    if event.get("api_version") not in (None, STRIPE_API_VERSION):
        # Still stored and applied: refusing it would lose the gift. But an
        # endpoint on another version sends other shapes (a newer invoice
        # names no payment intent), so whoever runs Stripe must hear of it.
        logger.warning(
            "Stripe event %s is shaped for API version %s, not %s: set the webhook endpoint's version",
            event["id"],
            event["api_version"],
            STRIPE_API_VERSION,
        )
    return event


def _is_event(event) -> bool:
    return (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    )
