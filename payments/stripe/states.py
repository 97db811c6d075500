"""What Stripe told us, as plain frozen values: built from the API's or an
event's JSON by `from_stripe`, and never an SDK object, so nothing outside
this package depends on the SDK's types or on the API version's shapes.

`from_stripe` reads what it needs through the helpers below, so an object
without a field a state needs, or with one of another type (an event of an
older API version, an object of another kind, a hand-made event), raises
IncompleteObject, saying which field, rather than a KeyError or TypeError
from somewhere inside."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

# The longest id Hopefund stores (its CharFields); Stripe's are far shorter.
MAX_ID_LENGTH = 255
# PostgreSQL's bigint: an amount beyond it cannot be ours, nor stored.
MAX_AMOUNT = 2**63 - 1


class IncompleteObject(ValueError):
    """The object lacks a field its state needs, or has it in another type:
    it cannot be one Hopefund made, so whoever reads it may ignore it."""


def _describe(data: dict) -> str:
    kind = data.get("object") if isinstance(data.get("object"), str) else "object"
    name = data.get("id") if isinstance(data.get("id"), str) else None
    return f"{kind} {name[:MAX_ID_LENGTH]!r}" if name else f"{kind} without an id"


def _kind(data: dict, expected: str) -> None:
    """Objects say what they are; one of another kind is not this state's.
    (Objects that do not say, such as hand-built ones, are taken as asked.)"""
    kind = data.get("object")
    if kind is not None and kind != expected:
        raise IncompleteObject(f"{_describe(data)} is not a {expected}")


def _text(data: dict, name: str) -> str:
    """A string the state needs."""
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise IncompleteObject(f"{_describe(data)} has no {name} (a string)")
    return value


def _optional_text(data: dict, name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def _amount(data: dict, name: str, *, optional: bool = False, signed: bool = False) -> int:
    """A whole number of minor units. Only balance transactions (and what
    is read like them) are `signed`; a negative payment, refund, dispute or
    invoice amount is no object Stripe sends, and stored it would break the
    ledger's constraints on every retry of its event."""
    value = data.get(name)
    if value is None and optional:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_AMOUNT or (value < 0 and not signed):
        raise IncompleteObject(f"{_describe(data)} has no {name} (a whole number)")
    return value


def _timestamp(data: dict, name: str) -> datetime:
    value = _amount(data, name, signed=True)
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise IncompleteObject(f"{_describe(data)} has no {name} (a timestamp)") from None


def _failure_code(error: dict) -> str:
    """A card's own decline code (e.g. insufficient_funds) when Stripe gives
    one, else the error's code (e.g. incorrect_cvc)."""
    return _optional_text(error, "decline_code") or _optional_text(error, "code")


def _mapping(data: dict, name: str) -> dict:
    """A nested object, or {} when absent or not an object."""
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _metadata(data: dict, key: str) -> str | None:
    value = _mapping(data, "metadata").get(key)
    return value if isinstance(value, str) and value else None


def _own_id(data: dict) -> str:
    value = _text(data, "id")
    if len(value) > MAX_ID_LENGTH:
        raise IncompleteObject(f"{_describe(data)} has an id longer than {MAX_ID_LENGTH} characters")
    return value


def _id(value) -> str | None:
    """An object reference as Stripe sends it: an id, or the expanded object.
    None when absent, or when it cannot be a Stripe id (so matches nothing)."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        return None
    return value


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
        _kind(data, "payment_intent")
        error = _mapping(data, "last_payment_error")
        return cls(
            id=_own_id(data),
            status=_text(data, "status"),
            amount_minor=_amount(data, "amount"),
            currency=_text(data, "currency"),
            client_secret=_optional_text(data, "client_secret") or None,
            donation_public_id=_metadata(data, "donation_id"),
            charge_id=_id(data.get("latest_charge")),
            failure_code=_failure_code(error),
            failure_message=_optional_text(error, "message"),
        )


@dataclass(frozen=True)
class SetupIntentState:
    id: str
    status: str
    # Stripe's reason for the last failed confirmation: for our logs only.
    failure_code: str
    # The customer it saves a card for (None: the donate form's, no one's)
    # and the card it saved once it succeeded.
    customer_id: str | None = None
    payment_method_id: str | None = None

    @classmethod
    def from_stripe(cls, data: dict) -> "SetupIntentState":
        _kind(data, "setup_intent")
        error = _mapping(data, "last_setup_error")
        return cls(
            id=_own_id(data),
            status=_text(data, "status"),
            failure_code=_failure_code(error),
            customer_id=_id(data.get("customer")),
            payment_method_id=_id(data.get("payment_method")),
        )


@dataclass(frozen=True)
class PaymentMethodState:
    id: str
    # The same for every payment method made from one card number, whoever
    # made it; None when Stripe gives none (not a card).
    card_fingerprint: str | None

    @classmethod
    def from_stripe(cls, data: dict) -> "PaymentMethodState":
        _kind(data, "payment_method")
        return cls(id=_own_id(data), card_fingerprint=_optional_text(_mapping(data, "card"), "fingerprint") or None)


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
        _kind(data, "refund")
        return cls(
            id=_own_id(data),
            amount_minor=_amount(data, "amount"),
            status=_optional_text(data, "status") or "succeeded",
            charge_id=_id(data.get("charge")),
            hopefund_refund_id=_metadata(data, "hopefund_refund_id"),
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
        _kind(data, "charge")
        refunds = _mapping(data, "refunds").get("data")
        return cls(
            id=_own_id(data),
            payment_intent_id=_id(data.get("payment_intent")),
            invoice_id=_id(data.get("invoice")),
            paid=data.get("paid") is True and data.get("status") == "succeeded",
            amount_minor=_amount(data, "amount"),
            amount_refunded_minor=_amount(data, "amount_refunded", optional=True),
            currency=_text(data, "currency"),
            refunds=tuple(
                RefundState.from_stripe(refund)
                for refund in (refunds if isinstance(refunds, list) else [])
                if isinstance(refund, dict)
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
        _kind(data, "dispute")
        return cls(
            id=_own_id(data),
            charge_id=_id(data.get("charge")),
            payment_intent_id=_id(data.get("payment_intent")),
            amount_minor=_amount(data, "amount"),
            reason=_optional_text(data, "reason"),
            status=_text(data, "status"),
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
        _kind(data, "invoice")
        subscription = _id(data.get("subscription")) or _id(
            _mapping(_mapping(data, "parent"), "subscription_details").get("subscription")
        )
        return cls(
            id=_own_id(data),
            subscription_id=subscription,
            payment_intent_id=_id(data.get("payment_intent")),
            charge_id=_id(data.get("charge")),
            status=_optional_text(data, "status"),
            amount_paid_minor=_amount(data, "amount_paid", optional=True),
            amount_due_minor=_amount(data, "amount_due", optional=True),
            currency=_text(data, "currency"),
        )


@dataclass(frozen=True)
class SubscriptionState:
    id: str
    status: str
    plan_public_id: str | None
    latest_invoice: InvoiceState | None
    # Collection paused (Stripe's pause_collection) and until when (None
    # with paused: until someone resumes it).
    paused: bool = False
    paused_until: datetime | None = None

    @classmethod
    def from_stripe(cls, data: dict, *, latest_invoice: InvoiceState | None = None) -> "SubscriptionState":
        _kind(data, "subscription")
        pause = _mapping(data, "pause_collection")
        return cls(
            id=_own_id(data),
            status=_text(data, "status"),
            plan_public_id=_metadata(data, "plan_id"),
            latest_invoice=latest_invoice,
            paused=bool(pause),
            paused_until=_timestamp(pause, "resumes_at") if pause.get("resumes_at") is not None else None,
        )


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
        _kind(data, "payout")
        return cls(
            id=_own_id(data),
            amount_minor=_amount(data, "amount", signed=True),
            currency=_text(data, "currency"),
            status=_text(data, "status"),
            # A timestamp of midnight UTC on the day the bank is expected to
            # receive the money.
            arrival_date=_timestamp(data, "arrival_date").date(),
            created_at=_timestamp(data, "created"),
            automatic=data.get("automatic") is True,
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
        _kind(data, "balance_transaction")
        expanded = _mapping(data, "source")
        return cls(
            id=_own_id(data),
            type=_text(data, "type"),
            source_id=_id(data.get("source")) or "",
            description=_optional_text(data, "description"),
            amount_minor=_amount(data, "amount", signed=True),
            fee_minor=_amount(data, "fee", optional=True, signed=True),
            net_minor=_amount(data, "net", signed=True),
            currency=_text(data, "currency"),
            created_at=_timestamp(data, "created"),
            payment_intent_id=_id(expanded.get("payment_intent")),
            charge_id=_id(expanded.get("charge")),
        )
