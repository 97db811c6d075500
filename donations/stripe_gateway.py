"""The only door to Stripe. Everything else in Hopefund deals in the plain
values returned here, never in Stripe SDK objects, so a change of API or
SDK version stays inside this module."""

import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

import stripe
from django.conf import settings

logger = logging.getLogger(__name__)


class PaymentDeclined(Exception):
    """The card was refused; `message` is safe to show to the donor."""

    def __init__(self, *, code: str, message: str, payment_intent_id: str | None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.payment_intent_id = payment_intent_id


class StripeUnavailable(Exception):
    """Stripe could not be reached or answered with an error of its own."""


class NotFound(StripeUnavailable):
    """Stripe has no such object, so it is not one of ours. Callers that
    only need Stripe's answer treat it like any other unavailability."""


class InvalidWebhook(Exception):
    """The request is not a genuine, well-formed Stripe event."""


def _id(value) -> str | None:
    """An object reference as Stripe sends it: an id, or the expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


@dataclass(frozen=True)
class PaymentIntentState:
    id: str
    status: str
    amount_minor: int
    currency: str
    client_secret: str | None
    donation_public_id: str | None
    charge_id: str | None
    failure_code: str
    failure_message: str

    @classmethod
    def from_stripe(cls, data: dict) -> "PaymentIntentState":
        """From a PaymentIntent as the API or an event carries it."""
        error = data.get("last_payment_error") or {}
        return cls(
            id=data["id"],
            status=data["status"],
            amount_minor=data["amount"],
            currency=data["currency"],
            client_secret=data.get("client_secret"),
            donation_public_id=(data.get("metadata") or {}).get("donation_id"),
            charge_id=_id(data.get("latest_charge")),
            failure_code=error.get("decline_code") or error.get("code") or "",
            failure_message=error.get("message") or "",
        )


@dataclass(frozen=True)
class RefundState:
    id: str
    amount_minor: int
    status: str
    charge_id: str | None
    # Our Refund row, for refunds we asked for.
    hopefund_refund_id: str | None

    @classmethod
    def from_stripe(cls, data: dict) -> "RefundState":
        return cls(
            id=data["id"],
            amount_minor=data["amount"],
            status=data.get("status") or "succeeded",
            charge_id=_id(data.get("charge")),
            hopefund_refund_id=(data.get("metadata") or {}).get("hopefund_refund_id"),
        )


@dataclass(frozen=True)
class ChargeState:
    id: str
    payment_intent_id: str | None
    invoice_id: str | None
    # The money was taken: a refunded or disputed charge proves the gift paid.
    paid: bool
    amount_minor: int
    amount_refunded_minor: int
    currency: str
    refunds: tuple[RefundState, ...]

    @classmethod
    def from_stripe(cls, data: dict) -> "ChargeState":
        refunds = data.get("refunds")
        return cls(
            id=data["id"],
            payment_intent_id=_id(data.get("payment_intent")),
            invoice_id=_id(data.get("invoice")),
            paid=bool(data.get("paid")) and data.get("status") == "succeeded",
            amount_minor=data["amount"],
            amount_refunded_minor=data.get("amount_refunded") or 0,
            currency=data["currency"],
            refunds=tuple(
                RefundState.from_stripe(r) for r in (refunds.get("data") if isinstance(refunds, dict) else []) or []
            ),
        )


@dataclass(frozen=True)
class DisputeState:
    id: str
    charge_id: str | None
    payment_intent_id: str | None
    amount_minor: int
    reason: str
    status: str

    @classmethod
    def from_stripe(cls, data: dict) -> "DisputeState":
        return cls(
            id=data["id"],
            charge_id=_id(data.get("charge")),
            payment_intent_id=_id(data.get("payment_intent")),
            amount_minor=data["amount"],
            reason=data.get("reason") or "",
            status=data["status"],
        )


@dataclass(frozen=True)
class InvoiceState:
    id: str
    subscription_id: str | None
    payment_intent_id: str | None
    charge_id: str | None
    status: str
    amount_paid_minor: int
    amount_due_minor: int
    currency: str

    @classmethod
    def from_stripe(cls, data: dict) -> "InvoiceState":
        # Older API versions (and localstripe) put the subscription and the
        # payment on the invoice itself; newer ones under `parent`.
        subscription = _id(data.get("subscription")) or _id(
            ((data.get("parent") or {}).get("subscription_details") or {}).get("subscription")
        )
        return cls(
            id=data["id"],
            subscription_id=subscription,
            payment_intent_id=_id(data.get("payment_intent")),
            charge_id=_id(data.get("charge")),
            status=data.get("status") or "",
            amount_paid_minor=data.get("amount_paid") or 0,
            amount_due_minor=data.get("amount_due") or 0,
            currency=data["currency"],
        )


@dataclass(frozen=True)
class SubscriptionState:
    id: str
    status: str
    plan_public_id: str | None
    latest_invoice: InvoiceState | None

    @classmethod
    def from_stripe(cls, data: dict, *, latest_invoice: InvoiceState | None = None) -> "SubscriptionState":
        return cls(
            id=data["id"],
            status=data["status"],
            plan_public_id=(data.get("metadata") or {}).get("plan_id"),
            latest_invoice=latest_invoice,
        )


def _utc(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


@dataclass(frozen=True)
class PayoutState:
    id: str
    amount_minor: int
    currency: str
    # pending, in_transit, paid, failed or canceled.
    status: str
    arrival_date: date
    created_at: datetime
    # Only automatic payouts can list the balance transactions they settled.
    automatic: bool

    @classmethod
    def from_stripe(cls, data: dict) -> "PayoutState":
        return cls(
            id=data["id"],
            amount_minor=data["amount"],
            currency=data["currency"],
            status=data["status"],
            # A timestamp of midnight UTC on the day the bank is expected to
            # receive the money.
            arrival_date=_utc(data["arrival_date"]).date(),
            created_at=_utc(data["created"]),
            automatic=bool(data.get("automatic")),
        )


@dataclass(frozen=True)
class BalanceTransactionState:
    """One movement of money in a payout. Amounts are signed as Stripe signs
    them: a refund or a fee is negative. `source_id` is what caused it
    (ch_/py_ charge, re_/pyr_ refund, du_ dispute, po_ payout, ...)."""

    id: str
    type: str
    source_id: str
    description: str
    amount_minor: int
    fee_minor: int
    net_minor: int
    currency: str
    created_at: datetime
    # From the expanded source: the intent a charge paid, the charge a refund
    # or dispute is about. They match a line to a gift when its own id is
    # not one we stored.
    payment_intent_id: str | None
    charge_id: str | None

    @classmethod
    def from_stripe(cls, data: dict) -> "BalanceTransactionState":
        source = data.get("source")
        expanded = source if isinstance(source, dict) else {}
        return cls(
            id=data["id"],
            type=data["type"],
            source_id=_id(source) or "",
            description=data.get("description") or "",
            amount_minor=data["amount"],
            fee_minor=data.get("fee") or 0,
            net_minor=data["net"],
            currency=data["currency"],
            created_at=_utc(data["created"]),
            payment_intent_id=_id(expanded.get("payment_intent")),
            charge_id=_id(expanded.get("charge")),
        )


# Three tries of at most 20 s each stay well inside the two minutes after
# which a gift's charge claim is considered abandoned (services/gifts.py).
REQUEST_TIMEOUT_SECONDS = 20


def _client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=REQUEST_TIMEOUT_SECONDS),
    )


def _declined(exc: stripe.CardError) -> PaymentDeclined:
    error = exc.error
    return PaymentDeclined(
        code=exc.code or "card_declined",
        message=exc.user_message or "Your card was declined.",
        payment_intent_id=error.payment_intent.id if error and error.payment_intent else None,
    )


def _unusable_card() -> PaymentDeclined:
    return PaymentDeclined(
        code="invalid_payment_method",
        message="That card could not be used. Please enter it again.",
        payment_intent_id=None,
    )


def create_setup_intent() -> str:
    """A SetupIntent for the donate form: Stripe.js confirms it with the card
    element and gives us back a payment method id. Returns its client secret."""
    try:
        intent = _client().v1.setup_intents.create(
            params={"payment_method_types": ["card"], "usage": "on_session"}
        )
    except stripe.StripeError as exc:
        raise StripeUnavailable(str(exc)) from exc
    return intent.client_secret


def charge(
    *,
    amount_minor: int,
    currency: str,
    payment_method: str,
    donation_public_id: str,
) -> PaymentIntentState:
    """Create and confirm a PaymentIntent in one call. The idempotency key is
    the donation's id, so a retry after a lost answer never charges twice."""
    try:
        intent = _client().v1.payment_intents.create(
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
        raise _declined(exc) from exc
    except stripe.InvalidRequestError as exc:
        # A payment method id that does not exist or was used already: the
        # donor's input, not our fault.
        if exc.param == "payment_method" or (exc.code or "").startswith("resource_missing"):
            raise _unusable_card() from exc
        raise StripeUnavailable(str(exc)) from exc
    except stripe.StripeError as exc:
        raise StripeUnavailable(str(exc)) from exc
    return PaymentIntentState.from_stripe(intent.to_dict())


class RefundFailed(Exception):
    """Stripe refused the refund; `message` says why."""


def refund(*, payment_intent_id: str, amount_minor: int, hopefund_refund_id: int, reason: str) -> RefundState:
    # The reason travels as metadata: localstripe refuses Stripe's own
    # `reason` parameter, and our Refund row is the record of it anyway.
    params = {
        "payment_intent": payment_intent_id,
        "amount": amount_minor,
        "metadata": {"hopefund_refund_id": str(hopefund_refund_id), "hopefund_reason": reason},
    }
    try:
        created = _client().v1.refunds.create(
            params=params, options={"idempotency_key": f"refund-{hopefund_refund_id}"}
        )
    except stripe.InvalidRequestError as exc:
        raise RefundFailed(exc.user_message or str(exc)) from exc
    except stripe.StripeError as exc:
        raise StripeUnavailable(str(exc)) from exc
    return RefundState.from_stripe(created.to_dict())


def _missing(exc: stripe.StripeError) -> bool:
    return exc.http_status == 404 or exc.code == "resource_missing"


def retrieve_charge(charge_id: str) -> ChargeState:
    try:
        return ChargeState.from_stripe(_client().v1.charges.retrieve(charge_id).to_dict())
    except stripe.StripeError as exc:
        raise (NotFound if _missing(exc) else StripeUnavailable)(str(exc)) from exc


def processing_fee(charge_id: str) -> int:
    """Stripe's fee on a charge, from its balance transaction."""
    try:
        charge = _client().v1.charges.retrieve(charge_id, params={"expand": ["balance_transaction"]}).to_dict()
        transaction = charge.get("balance_transaction")
        if not isinstance(transaction, dict):  # not expanded (localstripe): fetch it
            transaction = _client().v1.balance_transactions.retrieve(transaction).to_dict()
    except stripe.StripeError as exc:
        raise StripeUnavailable(str(exc)) from exc
    return fee_of_balance_transaction(transaction)


def fee_of_balance_transaction(transaction: dict) -> int:
    return int(transaction.get("fee") or 0)


# --- Payouts ---------------------------------------------------------------

PAGE_SIZE = 100


def list_payouts(*, created_since: datetime) -> list[PayoutState]:
    """Every payout created since then, newest first, across all pages."""
    try:
        pages = _client().v1.payouts.list(
            params={"created": {"gte": int(created_since.timestamp())}, "limit": PAGE_SIZE}
        )
        return [PayoutState.from_stripe(payout.to_dict()) for payout in pages.auto_paging_iter()]
    except stripe.StripeError as exc:
        raise StripeUnavailable(str(exc)) from exc


def retrieve_payout(payout_id: str) -> PayoutState:
    try:
        return PayoutState.from_stripe(_client().v1.payouts.retrieve(payout_id).to_dict())
    except stripe.StripeError as exc:
        raise (NotFound if _missing(exc) else StripeUnavailable)(str(exc)) from exc


def payout_balance_transactions(payout_id: str) -> list[BalanceTransactionState]:
    """The balance transactions an automatic payout settled, across all
    pages, with their sources expanded so that lines can be matched to gifts
    whose charge id we never stored."""
    try:
        pages = _client().v1.balance_transactions.list(
            params={"payout": payout_id, "limit": PAGE_SIZE, "expand": ["data.source"]}
        )
        return [BalanceTransactionState.from_stripe(item.to_dict()) for item in pages.auto_paging_iter()]
    except stripe.StripeError as exc:
        raise (NotFound if _missing(exc) else StripeUnavailable)(str(exc)) from exc


# --- Monthly gifts --------------------------------------------------------

MONTHLY_PRODUCT_ID = "hopefund-monthly-gift"


def monthly_plan_id(currency: str) -> str:
    """One Plan per currency, priced at one minor unit: a gift of N minor
    units a month is a subscription of quantity N. Created on first use."""
    plan_id = f"hopefund-monthly-{currency}"
    client = _client()
    try:
        client.v1.plans.retrieve(plan_id)
        return plan_id
    except stripe.InvalidRequestError:
        pass
    except stripe.StripeError as exc:
        raise StripeUnavailable(str(exc)) from exc
    try:
        try:
            client.v1.products.retrieve(MONTHLY_PRODUCT_ID)
        except stripe.InvalidRequestError:
            client.v1.products.create(params={"id": MONTHLY_PRODUCT_ID, "name": "Monthly gift"})
        client.v1.plans.create(
            params={"id": plan_id, "amount": 1, "currency": currency, "interval": "month",
                    "product": MONTHLY_PRODUCT_ID}
        )
    except stripe.StripeError as exc:
        raise StripeUnavailable(str(exc)) from exc
    return plan_id


def customer_with_card(*, customer_id: str | None, email: str, name: str, payment_method: str) -> str:
    """The donor's Stripe customer (created if they have none) with this
    card attached and set as the card their subscriptions charge."""
    client = _client()
    try:
        if customer_id is None:
            customer_id = client.v1.customers.create(params={"email": email, "name": name}).id
        client.v1.payment_methods.attach(payment_method, params={"customer": customer_id})
        client.v1.customers.update(
            customer_id, params={"invoice_settings": {"default_payment_method": payment_method}}
        )
    except stripe.CardError as exc:
        raise _declined(exc) from exc
    except stripe.InvalidRequestError as exc:
        raise _unusable_card() from exc
    except stripe.StripeError as exc:
        raise StripeUnavailable(str(exc)) from exc
    return customer_id


def subscribe(*, customer_id: str, currency: str, quantity: int, plan_public_id: str) -> SubscriptionState:
    """Start a monthly subscription; its first invoice is charged at once."""
    client = _client()
    try:
        subscription = client.v1.subscriptions.create(
            params={
                "customer": customer_id,
                "items": [{"plan": monthly_plan_id(currency), "quantity": quantity}],
                "metadata": {"plan_id": plan_public_id},
            },
            options={"idempotency_key": f"plan-{plan_public_id}"},
        ).to_dict()
        invoice = subscription.get("latest_invoice")
        if invoice and not isinstance(invoice, dict):
            invoice = client.v1.invoices.retrieve(invoice).to_dict()
    except stripe.StripeError as exc:
        raise StripeUnavailable(str(exc)) from exc
    return SubscriptionState.from_stripe(
        subscription, latest_invoice=InvoiceState.from_stripe(invoice) if invoice else None
    )


def subscription_plan_id(subscription_id: str) -> str | None:
    """Our plan's public id, from the subscription's metadata."""
    try:
        subscription = _client().v1.subscriptions.retrieve(subscription_id).to_dict()
    except stripe.StripeError as exc:
        raise (NotFound if _missing(exc) else StripeUnavailable)(str(exc)) from exc
    return (subscription.get("metadata") or {}).get("plan_id")


def change_subscription_quantity(subscription_id: str, quantity: int) -> None:
    client = _client()
    try:
        subscription = client.v1.subscriptions.retrieve(subscription_id).to_dict()
        item_id = subscription["items"]["data"][0]["id"]
        client.v1.subscriptions.update(subscription_id, params={"items": [{"id": item_id, "quantity": quantity}]})
    except stripe.StripeError as exc:
        raise StripeUnavailable(str(exc)) from exc


def cancel_subscription(subscription_id: str) -> None:
    try:
        _client().v1.subscriptions.cancel(subscription_id)
    except stripe.InvalidRequestError as exc:
        if "canceled" not in str(exc).lower():
            raise StripeUnavailable(str(exc)) from exc
    except stripe.StripeError as exc:
        raise StripeUnavailable(str(exc)) from exc


def retrieve_payment_intent(payment_intent_id: str) -> PaymentIntentState:
    try:
        intent = _client().v1.payment_intents.retrieve(payment_intent_id)
    except stripe.StripeError as exc:
        raise (NotFound if _missing(exc) else StripeUnavailable)(str(exc)) from exc
    return PaymentIntentState.from_stripe(intent.to_dict())


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
    return event


def _is_event(event) -> bool:
    return (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    )
