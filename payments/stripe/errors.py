"""The errors the rest of Hopefund sees from Stripe. Only `client.py`
translates the SDK's exceptions into these."""


class PaymentDeclined(Exception):
    """The card was refused; `message` is safe to show to the donor."""

    def __init__(self, *, code: str, message: str, payment_intent_id: str | None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.payment_intent_id = payment_intent_id


class StripeUnavailable(Exception):
    """Stripe could not be reached or answered with an error of its own."""


class StripeRateLimited(StripeUnavailable):
    """Stripe kept refusing the call for going over the account's rate
    limit (429), after it was tried again for as long as a request may
    wait (client.RATE_LIMIT_WAITS_SECONDS). Nothing was done at Stripe.
    Callers that need no more than Stripe's answer treat it like any other
    unavailability; the API tells the donor to try again in seconds, not
    in a minute."""


class NotFound(StripeUnavailable):
    """Stripe has no such object, so it is not one of ours. Callers that
    only need Stripe's answer treat it like any other unavailability."""


class RefundFailed(Exception):
    """Stripe refused the refund; `message` says why."""


class InvalidWebhook(Exception):
    """The request is not a genuine, well-formed Stripe event."""
