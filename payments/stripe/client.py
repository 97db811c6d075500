"""One Stripe client per configuration, and the one place where the SDK's
exceptions become ours.

The SDK is imported inside the functions that call it, here and in the
topic modules: importing it costs about 7 MB and 0.1 s (its HTTP clients,
aiohttp's among them), which every process paid at start-up through the
admin and the services that import this package, though most never call
Stripe (commands, the beat, a web worker serving pages). An import inside
a function is thread-safe, unlike importlib's LazyLoader on Python 3.11.
tests/payments/test_client.py checks that start-up leaves it out."""

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings

from payments.stripe.errors import NotFound, PaymentDeclined, StripeRateLimited, StripeUnavailable

if TYPE_CHECKING:
    import stripe

logger = logging.getLogger(__name__)

# Pinned, so that upgrading the SDK never changes the shape of what Stripe
# sends back without a change here. Invoices of this version still name
# their payment intent and charge, which states.InvoiceState reads (as
# localstripe sends them); 2025-03-31.basil moved both under `payments`.
# Webhook events are shaped by the endpoint's own API version: the endpoint
# must be created with this version too (webhooks.py warns otherwise).
STRIPE_API_VERSION = "2024-06-20"

# Three tries of at most 20 s each stay well inside the two minutes after
# which a gift's charge claim is considered abandoned (donations/services/gifts.py).
REQUEST_TIMEOUT_SECONDS = 20
MAX_NETWORK_RETRIES = 2

# Past its rate limit (by default 25 requests a second per endpoint) Stripe
# answers 429. stripe-python retries only connection errors, 409s, 5xx and
# answers that carry `Stripe-Should-Retry: true` (HTTPClient._should_retry
# in 16.x), so a plain 429 comes back at once as stripe.RateLimitError. A
# burst passes within a second or two, so the call is tried again after
# each of these waits (each one random between half and all of it, so
# that threads refused together do not come back together): at most 3.75 s
# in all, well inside a gift request's budget (gunicorn's 30 s timeout),
# then StripeRateLimited. Trying again is safe: Stripe carried out nothing
# it refused with a 429, and the calls that move money (a charge, a
# refund) send an idempotency key besides, so even one that did go through
# is answered, not repeated. (A SetupIntent is created without one: a
# spare intent moves no money.)
RATE_LIMIT_WAITS_SECONDS = (0.25, 0.5, 1.0, 2.0)


def client() -> "stripe.StripeClient":
    """The client for the current settings. Tests point STRIPE_API_BASE at
    their own server, so the cache is keyed on the settings it is built from."""
    return _client_for(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


@functools.lru_cache(maxsize=8)
def _client_for(secret_key: str, api_base: str) -> "stripe.StripeClient":
    import stripe

    # The SDK's RequestsClient keeps one HTTP session per thread, so one
    # client serves every thread of a process.
    return stripe.StripeClient(
        secret_key,
        stripe_version=STRIPE_API_VERSION,
        base_addresses={"api": api_base},
        max_network_retries=MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=REQUEST_TIMEOUT_SECONDS),
    )


InvalidRequestRule = Callable[["stripe.InvalidRequestError"], Exception | None]


def translate_stripe_errors(*, declines: bool = False, invalid_request: InvalidRequestRule | None = None):
    """Decorate a function that calls Stripe so that it raises only our
    errors: a missing object is NotFound, anything else StripeUnavailable.
    `declines`: the call presents the donor's card, so a refused card is
    PaymentDeclined, for the donor to try another (elsewhere a card error
    is Stripe's problem, not the donor's). `invalid_request` may name a
    more precise error for a request Stripe refused (None keeps the
    default). A call Stripe refuses for its rate limit is tried again after
    each of RATE_LIMIT_WAITS_SECONDS, then is StripeRateLimited."""

    def decorate(call):
        @functools.wraps(call)
        def translated(*args, **kwargs):
            import stripe

            for wait in (*RATE_LIMIT_WAITS_SECONDS, None):
                try:
                    return call(*args, **kwargs)
                except stripe.RateLimitError as exc:
                    if wait is None:
                        logger.warning("Stripe's rate limit still refused %s after every wait", call.__name__)
                        raise StripeRateLimited(str(exc)) from exc
                    time.sleep(wait * random.uniform(0.5, 1))
                except stripe.CardError as exc:
                    raise (declined(exc) if declines else unavailable(exc)) from exc
                except stripe.InvalidRequestError as exc:
                    raise (invalid_request and invalid_request(exc)) or unavailable(exc) from exc
                except stripe.StripeError as exc:
                    raise unavailable(exc) from exc

        return translated

    return decorate


def declined(exc: "stripe.CardError") -> PaymentDeclined:
    error = exc.error
    return PaymentDeclined(
        code=exc.code or "card_declined",
        message=exc.user_message or "Your card was declined.",
        payment_intent_id=error.payment_intent.id if error and error.payment_intent else None,
    )


def unavailable(exc: "stripe.StripeError") -> StripeUnavailable:
    missing = exc.http_status == 404 or exc.code == "resource_missing"
    return (NotFound if missing else StripeUnavailable)(str(exc))


def unusable_card() -> PaymentDeclined:
    return PaymentDeclined(
        code="invalid_payment_method",
        message="That card could not be used. Please enter it again.",
        payment_intent_id=None,
    )
