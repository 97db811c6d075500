"""Telling a genuine Stripe event from anything else posted to the webhook."""

import json
import logging
import math

from django.conf import settings

from payments.stripe.client import STRIPE_API_VERSION
from payments.stripe.errors import InvalidWebhook

logger = logging.getLogger(__name__)

# Stripe's events nest a dozen levels at most. A deeper body is refused
# here, before anything walks it: json.loads stops near Python's recursion
# limit, but whatever walks the result afterwards (storing it, for one)
# would stop sooner, with a 500.
MAX_EVENT_DEPTH = 64


def verify_webhook(payload: bytes, signature_header: str | None) -> dict:
    """Check the signature on the raw body and return the event as a dict."""
    import stripe

    if not signature_header:
        raise InvalidWebhook("missing Stripe-Signature header")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"),
            signature_header,
            settings.STRIPE_WEBHOOK_SECRET,
            settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        )
        event = json.loads(payload, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidWebhook(str(exc)) from exc
    except RecursionError:
        raise InvalidWebhook(f"signed, but nested more than {MAX_EVENT_DEPTH} levels deep") from None
    if _nests_deeper_than(event, MAX_EVENT_DEPTH):
        raise InvalidWebhook(f"signed, but nested more than {MAX_EVENT_DEPTH} levels deep")
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


def _refuse_constant(name: str):
    """NaN and Infinity are not JSON (Python's decoder takes them), and
    PostgreSQL's jsonb refuses them."""
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400
        raise ValueError(f"{text} is too large a number")
    return number


def _nests_deeper_than(value, limit: int) -> bool:
    # A loop rather than recursion: it must not itself hit the limit.
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False
