"""One Stripe client per configuration, and the one place where the SDK's
exceptions become ours."""

import functools
from collections.abc import Callable

import stripe
from django.conf import settings

from payments.stripe.errors import NotFound, PaymentDeclined, StripeUnavailable

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


def client() -> stripe.StripeClient:
    """The client for the current settings. Tests point STRIPE_API_BASE at
    their own server, so the cache is keyed on the settings it is built from."""
    return _client_for(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


@functools.lru_cache(maxsize=8)
def _client_for(secret_key: str, api_base: str) -> stripe.StripeClient:
    # The SDK's RequestsClient keeps one HTTP session per thread, so one
    # client serves every thread of a process.
    return stripe.StripeClient(
        secret_key,
        stripe_version=STRIPE_API_VERSION,
        base_addresses={"api": api_base},
        max_network_retries=MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=REQUEST_TIMEOUT_SECONDS),
    )


InvalidRequestRule = Callable[[stripe.InvalidRequestError], Exception | None]


def translate_stripe_errors(*, declines: bool = False, invalid_request: InvalidRequestRule | None = None):
    """Decorate a function that calls Stripe so that it raises only our
    errors: a missing object is NotFound, anything else StripeUnavailable.
    `declines`: the call presents the donor's card, so a refused card is
    PaymentDeclined, for the donor to try another (elsewhere a card error
    is Stripe's problem, not the donor's). `invalid_request` may name a
    more precise error for a request Stripe refused (None keeps the
    default)."""

    def decorate(call):
        @functools.wraps(call)
        def translated(*args, **kwargs):
            try:
                return call(*args, **kwargs)
            except stripe.CardError as exc:
                raise (declined(exc) if declines else unavailable(exc)) from exc
            except stripe.InvalidRequestError as exc:
                raise (invalid_request and invalid_request(exc)) or unavailable(exc) from exc
            except stripe.StripeError as exc:
                raise unavailable(exc) from exc

        return translated

    return decorate


def declined(exc: stripe.CardError) -> PaymentDeclined:
    error = exc.error
    return PaymentDeclined(
        code=exc.code or "card_declined",
        message=exc.user_message or "Your card was declined.",
        payment_intent_id=error.payment_intent.id if error and error.payment_intent else None,
    )


def unavailable(exc: stripe.StripeError) -> StripeUnavailable:
    missing = exc.http_status == 404 or exc.code == "resource_missing"
    return (NotFound if missing else StripeUnavailable)(str(exc))


def unusable_card() -> PaymentDeclined:
    return PaymentDeclined(
        code="invalid_payment_method",
        message="That card could not be used. Please enter it again.",
        payment_intent_id=None,
    )
