"""One-time payments: the card form's SetupIntent, charges, refunds, and
what Stripe knows about a charge or an intent."""

import logging
from typing import TYPE_CHECKING

from payments.stripe.client import client, translate_stripe_errors, unusable_card
from payments.stripe.errors import RefundFailed
from payments.stripe.states import (
    ChargeState,
    PaymentIntentState,
    PaymentMethodState,
    RefundState,
    SetupIntentState,
)

if TYPE_CHECKING:
    import stripe

logger = logging.getLogger(__name__)


@translate_stripe_errors()
def create_setup_intent() -> str:
    """A SetupIntent for the donate form: Stripe.js confirms it with the card
    element and gives us back a payment method id. Returns its client secret."""
    intent = client().v1.setup_intents.create(params={"payment_method_types": ["card"], "usage": "on_session"})
    return intent.client_secret


@translate_stripe_errors()
def cancel_setup_intent(setup_intent_id: str) -> SetupIntentState:
    """Cancel a SetupIntent, so that its client secret can confirm no more
    cards. One that is canceled already (or succeeded) is answered as it
    stands: Stripe refuses to cancel it again, and there is nothing to do."""
    import stripe

    try:
        intent = client().v1.setup_intents.cancel(setup_intent_id)
    except stripe.InvalidRequestError as exc:
        if exc.code != "setup_intent_unexpected_state":
            raise
        intent = client().v1.setup_intents.retrieve(setup_intent_id)
    return SetupIntentState.from_stripe(intent.to_dict())


@translate_stripe_errors()
def retrieve_payment_method(payment_method_id: str) -> PaymentMethodState:
    """The payment method, with its card's fingerprint. NotFound for an id
    Stripe does not know."""
    return PaymentMethodState.from_stripe(client().v1.payment_methods.retrieve(payment_method_id).to_dict())


def _unusable_payment_method(exc: "stripe.InvalidRequestError") -> Exception | None:
    # A payment method id that does not exist (Stripe names the parameter
    # and says resource_missing; localstripe answers a bare 404: the
    # payment method is the only object the call names) or was used
    # already: the donor's input, not our fault.
    missing = exc.http_status == 404 or (exc.code or "").startswith("resource_missing")
    if exc.param == "payment_method" or missing:
        return unusable_card()
    return None


@translate_stripe_errors(declines=True, invalid_request=_unusable_payment_method)
def charge(*, amount_minor: int, currency: str, payment_method: str, donation_public_id: str) -> PaymentIntentState:
    """Create and confirm a PaymentIntent in one call. The idempotency key is
    the donation's id, so a retry after a lost answer never charges twice."""
    import stripe

    try:
        intent = client().v1.payment_intents.create(
            params={
                "amount": amount_minor,
                "currency": currency,
                "payment_method": payment_method,
                "payment_method_types": ["card"],
                "confirm": True,
                "metadata": {"donation_id": donation_public_id},
            },
            options={"idempotency_key": f"donation-{donation_public_id}"},
        )
    except stripe.CardError as exc:
        logger.info("card declined for donation %s: %s", donation_public_id, exc.code)
        raise
    return PaymentIntentState.from_stripe(intent.to_dict())


def _refund_refused(exc: "stripe.InvalidRequestError") -> Exception:
    return RefundFailed(exc.user_message or str(exc))


@translate_stripe_errors(invalid_request=_refund_refused)
def refund(*, payment_intent_id: str, amount_minor: int, hopefund_refund_id: int, reason: str) -> RefundState:
    # The reason travels as metadata: localstripe refuses Stripe's own
    # `reason` parameter, and our Refund row is the record of it anyway.
    params = {
        "payment_intent": payment_intent_id,
        "amount": amount_minor,
        "metadata": {"hopefund_refund_id": str(hopefund_refund_id), "hopefund_reason": reason},
    }
    created = client().v1.refunds.create(params=params, options={"idempotency_key": f"refund-{hopefund_refund_id}"})
    return RefundState.from_stripe(created.to_dict())


@translate_stripe_errors()
def retrieve_charge(charge_id: str) -> ChargeState:
    return ChargeState.from_stripe(client().v1.charges.retrieve(charge_id).to_dict())


@translate_stripe_errors()
def retrieve_payment_intent(payment_intent_id: str) -> PaymentIntentState:
    return PaymentIntentState.from_stripe(client().v1.payment_intents.retrieve(payment_intent_id).to_dict())


@translate_stripe_errors()
def find_gift_payment_intent(donation_public_id: str) -> PaymentIntentState | None:
    """The PaymentIntent `charge` made for a gift, found by the donation id
    it carries as metadata, or None if Stripe has none: for a gift whose
    intent id was never saved (the answer to `charge` was lost). Replaying
    `charge` under its idempotency key would also name it, but would charge
    a gift that never reached Stripe, so Stripe's search is asked instead.
    Search lags new intents by up to a minute; the gifts asked about are
    older. (localstripe has no search: only the fake answers this in tests.)"""
    query = f"metadata['donation_id']:'{donation_public_id}'"
    found = client().v1.payment_intents.search(params={"query": query, "limit": 10}).data
    # Created once per idempotency key, so at most one; the newest if not.
    intents = sorted((intent.to_dict() for intent in found), key=lambda intent: intent["created"])
    return PaymentIntentState.from_stripe(intents[-1]) if intents else None


@translate_stripe_errors()
def processing_fee(charge_id: str) -> int:
    """Stripe's fee on a charge, from its balance transaction."""
    charge = client().v1.charges.retrieve(charge_id, params={"expand": ["balance_transaction"]}).to_dict()
    transaction = charge.get("balance_transaction")
    if not isinstance(transaction, dict):  # not expanded (localstripe): fetch it
        transaction = client().v1.balance_transactions.retrieve(transaction).to_dict()
    return fee_of_balance_transaction(transaction)


def fee_of_balance_transaction(transaction: dict) -> int:
    return int(transaction.get("fee") or 0)
