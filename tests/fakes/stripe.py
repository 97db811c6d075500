"""An in-memory Stripe: the calls named in `payments.stripe.CALLS`, with the
same keyword signatures, answering with the same states and raising the
same errors. Objects are kept as Stripe-shaped dicts (Stripe's own example
objects, tests/fixtures/stripe, with the fields a call sets) and every
answer goes through the state's own `from_stripe`, so the fake cannot drift
from the real parsing. tests/payments/test_stripe_contract.py runs the same
scenarios against this fake and localstripe.

Scripting: Stripe's test payment methods and cards behave as they do in
Stripe (`pm_card_chargeCustomerFail` declines, card 4000 0025 0000 3155
asks for 3-D Secure); `decline_next`, `fail_next`, `rate_limit_next` and
`outage` script the rest; `confirm_card_setup` is what Stripe.js does with a SetupIntent's
client secret; `authenticate` is the donor's 3-D Secure step; `renew` bills a
subscription's next month (voided, charging nothing, while its collection is
paused, as Stripe's pause_collection with behavior "void" does), on the
fake's clock, which `advance_clock` moves; `add_payout` records a payout. Every object
change appends the event Stripe would send to `events`; `calls` records
each call made."""

import copy
import functools
import hashlib
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings

from payments.stripe.client import unusable_card
from payments.stripe.errors import NotFound, PaymentDeclined, RefundFailed, StripeRateLimited, StripeUnavailable
from payments.stripe.states import (
    BalanceTransactionState,
    ChargeState,
    InvoiceState,
    PaymentIntentState,
    PaymentMethodState,
    PayoutState,
    RefundState,
    SetupIntentState,
    SubscriptionState,
)
from tests.stripe_events import event, stripe_object

DAY = 24 * 3600
DECLINE_MESSAGE = "Your card was declined."

# Stripe's test payment methods and cards (https://docs.stripe.com/testing).
# Charging these is declined; attaching them to a customer works.
DECLINED_WHEN_CHARGED = {"pm_card_chargeCustomerFail", "4000000000000341"}
# These are declined as soon as they are attached to a customer, or charged.
DECLINED_ALWAYS = {"pm_card_chargeDeclined", "pm_card_visa_chargeDeclined", "4000000000000002"}
NEEDS_AUTHENTICATION = {
    "pm_card_threeDSecure2Required",
    "pm_card_authenticationRequired",
    "4000002500003155",
    "4000002760003184",
    "4000000000003220",
}


def stripe_fee(charged_minor: int) -> int:
    """Stripe's standard pricing, as the site's settings describe it."""
    return round(charged_minor * settings.STRIPE_FEE_PERCENT_BPS / 10_000) + settings.STRIPE_FEE_FIXED_MINOR


def card_fingerprint(card: str) -> str:
    """The fake's fingerprint of a card number or test payment method."""
    return hashlib.sha256(card.encode()).hexdigest()[:16]


def _new_id(prefix: str) -> str:
    return f"{prefix}_fake{uuid.uuid4().hex[:16]}"


def gateway_call(method):
    """Record the call, then fail it if an outage is scripted."""

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with self._lock:
            self.calls.append((method.__name__, args, kwargs))
            if self._rate_limited > 0:
                self._rate_limited -= 1
                raise StripeRateLimited(f"(fake) Stripe's rate limit refused {method.__name__}")
            if self._down or self._failures > 0:
                self._failures = max(self._failures - 1, 0)
                raise StripeUnavailable(f"(fake) Stripe is unavailable for {method.__name__}")
            answer = method(self, *args, **kwargs)
            if self._lost_answers and self._lost_answers[0] in (None, method.__name__):
                self._lost_answers.pop(0)
                raise StripeUnavailable(f"(fake) the answer to {method.__name__} was lost")
            return answer

    call.is_gateway_call = True
    return call


class FakeStripe:
    def __init__(self):
        self.objects: dict[str, dict] = {}
        self.payment_methods: dict[str, str] = {}
        self.payout_transactions: dict[str, list[dict]] = {}
        self.events: list[dict] = []
        self.calls: list[tuple[str, tuple, dict]] = []
        self._replies: dict[str, object] = {}
        self._declines: list[dict] = []
        self._failures = 0
        self._rate_limited = 0
        self._lost_answers: list[str | None] = []
        self._down = False
        # Seconds the fake's clock is ahead of the real one (advance_clock).
        self.clock_offset = 0
        # Payment method -> the customer it is attached to.
        self.attached: dict[str, str] = {}
        # The test client and eager Celery run in one thread, but a test may
        # give from several.
        self._lock = threading.RLock()

    # --- Scripting -------------------------------------------------------

    def decline_next(self, *, code: str = "card_declined", message: str = DECLINE_MESSAGE, decline_code: str = ""):
        """The next charge (one-time or a subscription's first invoice) is
        declined with this code, whatever the card."""
        self._declines.append({"code": code, "message": message, "decline_code": decline_code})

    def fail_next(self, count: int = 1) -> None:
        """The next `count` calls raise StripeUnavailable."""
        self._failures += count

    def rate_limit_next(self, count: int = 1) -> None:
        """The next `count` calls raise StripeRateLimited, as the real
        gateway does once Stripe's 429s outlast its waits."""
        self._rate_limited += count

    def lose_next_answer(self, call: str | None = None) -> None:
        """The next call (or the next call of `call`) is carried out, but
        its answer never arrives."""
        self._lost_answers.append(call)

    @contextmanager
    def outage(self):
        """Every call raises StripeUnavailable while inside."""
        self._down = True
        try:
            yield
        finally:
            self._down = False

    def now(self) -> int:
        """The fake Stripe's clock, as a Unix timestamp."""
        return int(time.time()) + self.clock_offset

    def advance_clock(self, seconds: int) -> None:
        """Move the fake's clock ahead (as Stripe's test clocks do)."""
        self.clock_offset += seconds

    def card_payment_method(self, number: str) -> str:
        """A payment method for a Stripe test card number, as Stripe.js
        makes one in the browser."""
        method_id = _new_id("pm")
        self.payment_methods[method_id] = number
        return method_id

    def calls_to(self, name: str) -> list[tuple[tuple, dict]]:
        return [(args, kwargs) for called, args, kwargs in self.calls if called == name]

    def objects_of(self, kind: str) -> list[dict]:
        return [obj for obj in self.objects.values() if obj["object"] == kind]

    def events_of(self, event_type: str) -> list[dict]:
        return [sent for sent in self.events if sent["type"] == event_type]

    def confirm_card_setup(self, client_secret: str, card: str) -> str:
        """What Stripe.js's confirmCardSetup does with the card element:
        the new payment method's id, or PaymentDeclined. As in Stripe, a
        declined card leaves the intent waiting for another card (and sends
        setup_intent.setup_failed); a canceled or finished intent refuses
        any card with `setup_intent_unexpected_state`."""
        with self._lock:
            intent = self._get(client_secret.split("_secret_")[0])
            assert intent["client_secret"] == client_secret
            if intent["status"] != "requires_payment_method":
                raise PaymentDeclined(
                    code="setup_intent_unexpected_state",
                    message=f"This SetupIntent is {intent['status']}: it cannot be confirmed.",
                    payment_intent_id=None,
                )
            method_id = self.card_payment_method(card)
            if card in DECLINED_ALWAYS:
                intent["last_setup_error"] = {"code": "card_declined", "message": DECLINE_MESSAGE}
                self._send("setup_intent.setup_failed", intent)
                raise PaymentDeclined(code="card_declined", message=DECLINE_MESSAGE, payment_intent_id=None)
            intent.update(status="succeeded", payment_method=method_id, last_setup_error=None)
            if intent.get("customer"):
                # Stripe attaches the card to the SetupIntent's customer.
                self.attached[method_id] = intent["customer"]
            self._send("setup_intent.succeeded", intent)
            return method_id

    def authenticate(self, payment_intent_id: str, *, success: bool) -> None:
        """The donor passes (or fails) their bank's 3-D Secure check.
        Accepts the intent's id or its client secret."""
        with self._lock:
            intent = self._get(payment_intent_id.split("_secret_")[0])
            assert intent["status"] == "requires_action", intent["status"]
            intent["next_action"] = None
            if success:
                self._pay(intent)
            else:
                intent["status"] = "requires_payment_method"
                intent["last_payment_error"] = {
                    "code": "payment_intent_authentication_failure",
                    "message": "The provided PaymentMethod has failed authentication.",
                }
                self._send("payment_intent.payment_failed", intent)

    def renew(self, subscription_id: str, *, paid: bool = True) -> dict:
        """Bill the subscription's next month; returns the invoice event
        Stripe sends (invoice.paid or invoice.payment_failed)."""
        with self._lock:
            subscription = self._get(subscription_id)
            customer = self._get(subscription["customer"])
            pause = subscription.get("pause_collection")
            if pause and pause.get("resumes_at") is not None and pause["resumes_at"] <= self.now():
                # Stripe resumes collection on its own at resumes_at.
                subscription["pause_collection"] = None
                self._send("customer.subscription.updated", subscription)
            elif pause:
                return self._void_invoice(subscription)
            if not paid:
                self.decline_next()
            invoice = self._bill(subscription, customer["invoice_settings"]["default_payment_method"])
            return self.events_of("invoice.paid" if invoice["status"] == "paid" else "invoice.payment_failed")[-1]

    def add_payout(
        self,
        payout_id: str,
        *,
        amount: int,
        status: str = "in_transit",
        days_ago: int = 1,
        automatic: bool = True,
        lines: tuple[dict, ...] | list[dict] = (),
    ) -> dict:
        """A payout and the balance transactions it settled; its own
        `payout` transaction is added as Stripe adds it."""
        created = int(time.time()) - days_ago * DAY
        payout = stripe_object(
            "payout",
            id=payout_id,
            amount=amount,
            currency="usd",
            status=status,
            automatic=automatic,
            created=created,
            arrival_date=(created // DAY + 2) * DAY,
            balance_transaction=f"txn_{payout_id}",
            reconciliation_status="completed" if status == "paid" else "in_progress",
        )
        own = balance_transaction("payout", f"txn_{payout_id}", payout_id, -amount, created=created)
        self.objects[payout_id] = payout
        self.payout_transactions[payout_id] = [*lines, own]
        return payout

    # --- payments.stripe.CALLS -------------------------------------------

    @gateway_call
    def create_setup_intent(self) -> str:
        intent_id = _new_id("seti")
        intent = stripe_object(
            "setup_intent",
            id=intent_id,
            client_secret=f"{intent_id}_secret_{uuid.uuid4().hex[:16]}",
            status="requires_payment_method",
            usage="on_session",
            last_setup_error=None,
            next_action=None,
            created=int(time.time()),
        )
        return self._store(intent)["client_secret"]

    @gateway_call
    def cancel_setup_intent(self, setup_intent_id: str) -> SetupIntentState:
        intent = self._get(setup_intent_id)
        if intent["status"] not in ("canceled", "succeeded"):
            intent.update(status="canceled", cancellation_reason="requested_by_customer", next_action=None)
            self._send("setup_intent.canceled", intent)
        return SetupIntentState.from_stripe(intent)

    @gateway_call
    def retrieve_payment_method(self, payment_method_id: str) -> PaymentMethodState:
        if not self._knows_payment_method(payment_method_id):
            raise NotFound(f"(fake) No such PaymentMethod: '{payment_method_id}'")
        card = self._card(payment_method_id)
        method = stripe_object("payment_method", id=payment_method_id)
        method["card"]["fingerprint"] = card_fingerprint(card)
        return PaymentMethodState.from_stripe(method)

    @gateway_call
    def charge(
        self, *, amount_minor: int, currency: str, payment_method: str, donation_public_id: str
    ) -> PaymentIntentState:
        if not self._knows_payment_method(payment_method):
            # Stripe refuses it before making an intent (resource_missing on
            # payment_method), which the gateway calls an unusable card.
            raise unusable_card()
        intent = self._idempotent(
            f"donation-{donation_public_id}",
            lambda: self._confirm(
                self._intent(amount_minor, currency, metadata={"donation_id": donation_public_id}), payment_method
            ),
        )
        return PaymentIntentState.from_stripe(intent)

    @gateway_call
    def refund(self, *, payment_intent_id: str, amount_minor: int, hopefund_refund_id: int, reason: str) -> RefundState:
        made = self._idempotent(
            f"refund-{hopefund_refund_id}",
            lambda: self._refund(payment_intent_id, amount_minor, hopefund_refund_id=hopefund_refund_id, reason=reason),
        )
        return RefundState.from_stripe(made)

    @gateway_call
    def retrieve_charge(self, charge_id: str) -> ChargeState:
        return ChargeState.from_stripe(self._get(charge_id))

    @gateway_call
    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentState:
        return PaymentIntentState.from_stripe(self._get(payment_intent_id))

    @gateway_call
    def find_gift_payment_intent(self, donation_public_id: str) -> PaymentIntentState | None:
        intents = [
            intent
            for intent in self.objects_of("payment_intent")
            if (intent.get("metadata") or {}).get("donation_id") == donation_public_id
        ]
        return PaymentIntentState.from_stripe(max(intents, key=lambda i: i["created"])) if intents else None

    @gateway_call
    def processing_fee(self, charge_id: str) -> int:
        return self._get(self._get(charge_id)["balance_transaction"])["fee"]

    @gateway_call
    def new_customer_with_card(self, *, email: str, name: str, payment_method: str, plan_public_id: str) -> str:
        def create() -> dict:
            customer_id = _new_id("cus")
            return self._store(
                stripe_object("customer", id=customer_id, email=email, name=name, metadata={"plan_id": plan_public_id})
            )

        customer_id = self._idempotent(f"plan-customer-{plan_public_id}", create)["id"]
        if self._card(payment_method) in DECLINED_ALWAYS:
            raise PaymentDeclined(code="card_declined", message=DECLINE_MESSAGE, payment_intent_id=None)
        self.objects[customer_id]["invoice_settings"] = {"default_payment_method": payment_method}
        return customer_id

    @gateway_call
    def subscribe(self, *, customer_id: str, currency: str, quantity: int, plan_public_id: str) -> SubscriptionState:
        subscription = self._idempotent(
            f"plan-{plan_public_id}", lambda: self._subscription(customer_id, currency, quantity, plan_public_id)
        )
        invoice = self._get(subscription["latest_invoice"])
        return SubscriptionState.from_stripe(subscription, latest_invoice=InvoiceState.from_stripe(invoice))

    @gateway_call
    def subscription_plan_id(self, subscription_id: str) -> str | None:
        return (self._get(subscription_id).get("metadata") or {}).get("plan_id")

    @gateway_call
    def change_subscription_quantity(self, subscription_id: str, quantity: int) -> None:
        subscription = self._get(subscription_id)
        subscription["items"]["data"][0]["quantity"] = quantity
        subscription["quantity"] = quantity
        self._send("customer.subscription.updated", subscription)

    @gateway_call
    def cancel_subscription(self, subscription_id: str) -> None:
        subscription = self._get(subscription_id)
        if subscription["status"] != "canceled":
            subscription.update(status="canceled", canceled_at=int(time.time()))
            self._send("customer.subscription.deleted", subscription)

    @gateway_call
    def create_customer_setup_intent(self, *, customer_id: str) -> str:
        self._get(customer_id)
        intent_id = _new_id("seti")
        intent = stripe_object(
            "setup_intent",
            id=intent_id,
            client_secret=f"{intent_id}_secret_{uuid.uuid4().hex[:16]}",
            customer=customer_id,
            status="requires_payment_method",
            usage="off_session",
            payment_method=None,
            last_setup_error=None,
            next_action=None,
            created=self.now(),
        )
        return self._store(intent)["client_secret"]

    @gateway_call
    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupIntentState:
        intent = self._get(setup_intent_id)
        if intent.get("object") != "setup_intent":
            raise NotFound(f"(fake) No such setupintent: '{setup_intent_id}'")
        return SetupIntentState.from_stripe(intent)

    @gateway_call
    def set_default_card(self, *, customer_id: str, payment_method: str) -> None:
        customer = self._get(customer_id)
        if not self._knows_payment_method(payment_method):
            raise unusable_card()
        if self._card(payment_method) in DECLINED_ALWAYS:
            raise PaymentDeclined(code="card_declined", message=DECLINE_MESSAGE, payment_intent_id=None)
        self.attached[payment_method] = customer_id
        settings_now = customer.get("invoice_settings") or {}
        customer["invoice_settings"] = {**settings_now, "default_payment_method": payment_method}
        self._send("customer.updated", customer)

    @gateway_call
    def pause_subscription(self, subscription_id: str, *, resumes_at: datetime) -> SubscriptionState:
        subscription = self._get(subscription_id)
        subscription["pause_collection"] = {"behavior": "void", "resumes_at": int(resumes_at.timestamp())}
        self._send("customer.subscription.updated", subscription)
        return SubscriptionState.from_stripe(subscription)

    @gateway_call
    def resume_subscription(self, subscription_id: str) -> SubscriptionState:
        subscription = self._get(subscription_id)
        if subscription.get("pause_collection"):
            subscription["pause_collection"] = None
            self._send("customer.subscription.updated", subscription)
        return SubscriptionState.from_stripe(subscription)

    @gateway_call
    def retrieve_subscription(self, subscription_id: str) -> SubscriptionState:
        return SubscriptionState.from_stripe(self._get(subscription_id))

    @gateway_call
    def delete_customer(self, customer_id: str) -> bool:
        customer = self.objects.get(customer_id)
        if customer is None or customer.get("object") != "customer":
            return False
        for subscription in self.objects_of("subscription"):
            if subscription["customer"] == customer_id and subscription["status"] != "canceled":
                subscription.update(status="canceled", canceled_at=self.now())
                self._send("customer.subscription.deleted", subscription)
        del self.objects[customer_id]
        self._send("customer.deleted", {**customer, "deleted": True})
        return True

    @gateway_call
    def list_payouts(self, *, created_since: datetime) -> list[PayoutState]:
        since = int(created_since.timestamp())
        payouts = [p for p in self.objects_of("payout") if p["created"] >= since]
        return [PayoutState.from_stripe(p) for p in sorted(payouts, key=lambda p: -p["created"])]

    @gateway_call
    def retrieve_payout(self, payout_id: str) -> PayoutState:
        return PayoutState.from_stripe(self._get(payout_id))

    @gateway_call
    def payout_balance_transactions(self, payout_id: str) -> list[BalanceTransactionState]:
        self._get(payout_id)
        return [BalanceTransactionState.from_stripe(t) for t in self.payout_transactions[payout_id]]

    # --- Stripe's side ---------------------------------------------------

    def _get(self, object_id: str | None) -> dict:
        found = self.objects.get(object_id or "")
        if found is None:
            raise NotFound(f"(fake) No such object: '{object_id}'")
        return found

    def _store(self, obj: dict) -> dict:
        self.objects[obj["id"]] = obj
        return obj

    def _send(self, event_type: str, obj: dict) -> None:
        # An event carries the object as it was when the event was sent.
        self.events.append(event(event_type, copy.deepcopy(obj)))

    def _idempotent(self, key: str, make):
        """As Stripe answers a repeated idempotency key: with the first
        answer, an error included."""
        if key not in self._replies:
            try:
                self._replies[key] = make()
            except PaymentDeclined as decline:
                self._replies[key] = decline
        reply = self._replies[key]
        if isinstance(reply, PaymentDeclined):
            raise reply
        return reply

    def _knows_payment_method(self, payment_method: str) -> bool:
        # Stripe's test payment methods (pm_card_visa, ...) and those made
        # from a card number; the fingerprint follows the card, as Stripe's does.
        return payment_method in self.payment_methods or payment_method.startswith("pm_card_")

    def _card(self, payment_method: str) -> str:
        return self.payment_methods.get(payment_method, payment_method)

    def _intent(self, amount: int, currency: str, *, metadata: dict, invoice: str | None = None) -> dict:
        intent_id = _new_id("pi")
        return self._store(
            stripe_object(
                "payment_intent",
                id=intent_id,
                amount=amount,
                currency=currency,
                client_secret=f"{intent_id}_secret_{uuid.uuid4().hex[:16]}",
                metadata=metadata,
                invoice=invoice,
                latest_charge=None,
                last_payment_error=None,
                next_action=None,
                created=int(time.time()),
            )
        )

    def _confirm(self, intent: dict, payment_method: str) -> dict:
        """Charge the intent with the card: paid, declined, or waiting for
        the donor's bank. A decline raises, as the API answers 402."""
        intent["payment_method"] = payment_method
        card = self._card(payment_method)
        decline = self._declines.pop(0) if self._declines else None
        if decline is None and card in DECLINED_WHEN_CHARGED | DECLINED_ALWAYS:
            decline = {"code": "card_declined", "message": DECLINE_MESSAGE, "decline_code": ""}
        if decline:
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {key: value for key, value in decline.items() if value}
            self._send("payment_intent.payment_failed", intent)
            raise PaymentDeclined(code=decline["code"], message=decline["message"], payment_intent_id=intent["id"])
        if card in NEEDS_AUTHENTICATION:
            intent["status"] = "requires_action"
            intent["next_action"] = {"type": "use_stripe_sdk"}
            self._send("payment_intent.requires_action", intent)
        else:
            self._pay(intent)
        return intent

    def _pay(self, intent: dict) -> None:
        charge_id, transaction_id = _new_id("ch"), _new_id("txn")
        amount = intent["amount"]
        self._store(balance_transaction("charge", transaction_id, charge_id, amount, fee=stripe_fee(amount)))
        self._store(
            stripe_object(
                "charge",
                id=charge_id,
                amount=amount,
                amount_captured=amount,
                amount_refunded=0,
                refunded=False,
                currency=intent["currency"],
                paid=True,
                status="succeeded",
                payment_intent=intent["id"],
                invoice=intent["invoice"],
                balance_transaction=transaction_id,
                metadata=dict(intent["metadata"]),
                refunds={"object": "list", "data": [], "has_more": False, "url": f"/v1/charges/{charge_id}/refunds"},
            )
        )
        intent.update(status="succeeded", latest_charge=charge_id, last_payment_error=None)
        self._send("payment_intent.succeeded", intent)
        if intent["invoice"]:
            self._invoice_paid(self._get(intent["invoice"]), intent)

    def _refund(self, payment_intent_id: str, amount: int, *, hopefund_refund_id: int, reason: str) -> dict:
        intent = self.objects.get(payment_intent_id)
        if intent is None or intent["status"] != "succeeded":
            raise RefundFailed(f"(fake) {payment_intent_id} has no successful charge to refund.")
        charge = self._get(intent["latest_charge"])
        remaining = charge["amount"] - charge["amount_refunded"]
        if amount > remaining:
            raise RefundFailed(f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining}).")
        made = self._store(
            stripe_object(
                "refund",
                id=_new_id("re"),
                amount=amount,
                charge=charge["id"],
                payment_intent=payment_intent_id,
                currency=charge["currency"],
                status="succeeded",
                metadata={"hopefund_refund_id": str(hopefund_refund_id), "hopefund_reason": reason},
            )
        )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        charge["refunds"]["data"].insert(0, made)
        self._send("charge.refunded", charge)
        return made

    def _subscription(self, customer_id: str, currency: str, quantity: int, plan_public_id: str) -> dict:
        customer = self._get(customer_id)
        subscription_id = _new_id("sub")
        subscription = self._store(
            stripe_object(
                "subscription",
                id=subscription_id,
                customer=customer_id,
                currency=currency,
                status="incomplete",
                quantity=quantity,
                metadata={"plan_id": plan_public_id},
                latest_invoice=None,
                # (The example object's is paused.)
                pause_collection=None,
                items={
                    "object": "list",
                    "data": [
                        stripe_object(
                            "subscription_item",
                            id=_new_id("si"),
                            subscription=subscription_id,
                            quantity=quantity,
                            plan=stripe_object("plan", id=f"hopefund-monthly-{currency}", amount=1, currency=currency),
                        )
                    ],
                    "has_more": False,
                },
            )
        )
        self._send("customer.subscription.created", subscription)
        self._bill(subscription, customer["invoice_settings"]["default_payment_method"])
        return subscription

    def _bill(self, subscription: dict, payment_method: str) -> dict:
        """A month's invoice, charged at once."""
        amount = subscription["items"]["data"][0]["quantity"]
        invoice_id = _new_id("in")
        invoice = self._store(
            stripe_object(
                "invoice",
                id=invoice_id,
                customer=subscription["customer"],
                subscription=subscription["id"],
                status="open",
                amount_due=amount,
                amount_paid=0,
                currency=subscription["currency"],
                charge=None,
                payment_intent=None,
            )
        )
        # Shaped as the pinned API version (payments.stripe.client) sends it:
        # the subscription, intent and charge on the invoice itself, no
        # `parent` (the example object is a newer version's).
        invoice.pop("parent", None)
        subscription["latest_invoice"] = invoice_id
        intent = self._intent(amount, subscription["currency"], metadata={}, invoice=invoice_id)
        invoice["payment_intent"] = intent["id"]
        try:
            self._confirm(intent, payment_method)
        except PaymentDeclined:
            invoice["charge"] = None
            self._send("invoice.payment_failed", invoice)
            if subscription["status"] == "active":
                subscription["status"] = "past_due"
                self._send("customer.subscription.updated", subscription)
        return invoice

    def _void_invoice(self, subscription: dict) -> dict:
        """A month of a paused subscription: its invoice is made and voided
        at once, charging nothing (pause_collection's behavior "void").
        Returns the invoice.voided event."""
        invoice = self._store(
            stripe_object(
                "invoice",
                id=_new_id("in"),
                customer=subscription["customer"],
                subscription=subscription["id"],
                status="void",
                amount_due=subscription["items"]["data"][0]["quantity"],
                amount_paid=0,
                currency=subscription["currency"],
                charge=None,
                payment_intent=None,
            )
        )
        invoice.pop("parent", None)
        subscription["latest_invoice"] = invoice["id"]
        self._send("invoice.created", invoice)
        self._send("invoice.voided", invoice)
        return self.events_of("invoice.voided")[-1]

    def _invoice_paid(self, invoice: dict, intent: dict) -> None:
        invoice.update(status="paid", amount_paid=invoice["amount_due"], charge=intent["latest_charge"])
        self._send("invoice.paid", invoice)
        self._send("invoice.payment_succeeded", invoice)
        subscription = self._get(invoice["subscription"])
        if subscription["status"] != "active":
            subscription["status"] = "active"
            self._send("customer.subscription.updated", subscription)


# --- Balance transactions, as a payout's list carries them ---------------


def balance_transaction(
    type_: str,
    txn_id: str,
    source,
    amount: int,
    *,
    fee: int = 0,
    created: int | None = None,
    description: str = "",
    reporting_category: str | None = None,
) -> dict:
    return stripe_object(
        "balance_transaction",
        id=txn_id,
        type=type_,
        source=source,
        amount=amount,
        fee=fee,
        net=amount - fee,
        currency="usd",
        created=created or int(time.time()) - 3 * DAY,
        description=description,
        reporting_category=reporting_category or type_,
        fee_details=[],
    )


def charge_line(txn_id: str, *, charge_id: str, payment_intent_id: str | None, amount: int, fee: int) -> dict:
    charge = stripe_object("charge", id=charge_id, payment_intent=payment_intent_id, amount=amount, currency="usd")
    return balance_transaction("charge", txn_id, charge, amount, fee=fee, description="Gift")


def refund_line(txn_id: str, *, refund_id: str, charge_id: str, amount: int) -> dict:
    refund = stripe_object("refund", id=refund_id, charge=charge_id, amount=amount, currency="usd")
    return balance_transaction("refund", txn_id, refund, -amount, description="REFUND FOR CHARGE (Gift)")


def dispute_line(txn_id: str, *, dispute_id: str, charge_id: str, amount: int, fee: int = 1500) -> dict:
    dispute = stripe_object("dispute", id=dispute_id, charge=charge_id, amount=amount, currency="usd")
    return balance_transaction(
        "adjustment",
        txn_id,
        dispute,
        -amount,
        fee=fee,
        description=f"Chargeback withdrawal for {charge_id}",
        reporting_category="dispute",
    )


def stripe_fee_line(txn_id: str, *, amount: int) -> dict:
    return balance_transaction(
        "stripe_fee",
        txn_id,
        None,
        -amount,
        description="Radar (2026-11-30): Radar for Fraud Teams",
        reporting_category="fee",
    )
