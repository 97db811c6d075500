"""What Stripe told us, as plain frozen values: built from the API's or an
event's JSON by `from_stripe`, and never an SDK object, so nothing outside
this package depends on the SDK's types or on the API version's shapes."""

from dataclasses import dataclass
from datetime import UTC, date, datetime


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
class SetupIntentState:
    id: str
    status: str
    # Stripe's reason for the last failed confirmation: for our logs only.
    failure_code: str

    @classmethod
    def from_stripe(cls, data: dict) -> "SetupIntentState":
        error = data.get("last_setup_error") or {}
        return cls(
            id=data["id"],
            status=data["status"],
            failure_code=error.get("decline_code") or error.get("code") or "",
        )


@dataclass(frozen=True)
class PaymentMethodState:
    id: str
    # The same for every payment method made from one card number, whoever
    # made it; None when Stripe gives none (not a card).
    card_fingerprint: str | None

    @classmethod
    def from_stripe(cls, data: dict) -> "PaymentMethodState":
        return cls(id=data["id"], card_fingerprint=(data.get("card") or {}).get("fingerprint") or None)


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
