"""Monthly gifts: a customer of the plan's own with the card, and a
subscription priced so that its quantity is the gift in minor units.

A subscription charges its customer's default card. Each plan has a
customer of its own, so that default is this plan's card and no other
plan's: a card given by an unauthenticated request never reaches an
existing customer. (Stripe also takes `default_payment_method` on the
subscription itself; localstripe, which the contract, integration and
browser suites run against, refuses it, so the per-plan customer is the
one mechanism, and it holds on both.)"""

from datetime import datetime

from payments.stripe.client import client, translate_stripe_errors, unusable_card
from payments.stripe.states import InvoiceState, SetupIntentState, SubscriptionState

MONTHLY_PRODUCT_ID = "hopefund-monthly-gift"


@translate_stripe_errors()
def monthly_plan_id(currency: str) -> str:
    """One Plan per currency, priced at one minor unit: a gift of N minor
    units a month is a subscription of quantity N. Created on first use."""
    import stripe

    plan_id = f"hopefund-monthly-{currency}"
    try:
        client().v1.plans.retrieve(plan_id)
        return plan_id
    except stripe.InvalidRequestError:
        pass
    try:
        client().v1.products.retrieve(MONTHLY_PRODUCT_ID)
    except stripe.InvalidRequestError:
        client().v1.products.create(params={"id": MONTHLY_PRODUCT_ID, "name": "Monthly gift"})
    client().v1.plans.create(
        params={"id": plan_id, "amount": 1, "currency": currency, "interval": "month", "product": MONTHLY_PRODUCT_ID}
    )
    return plan_id


@translate_stripe_errors(declines=True, invalid_request=lambda exc: unusable_card())
def new_customer_with_card(*, email: str, name: str, payment_method: str, plan_public_id: str) -> str:
    """A new Stripe customer for one monthly plan, with this card attached
    and set as the card its subscription charges."""
    customer_id = (
        client()
        .v1.customers.create(
            params={"email": email, "name": name, "metadata": {"plan_id": plan_public_id}},
            options={"idempotency_key": f"plan-customer-{plan_public_id}"},
        )
        .id
    )
    client().v1.payment_methods.attach(payment_method, params={"customer": customer_id})
    client().v1.customers.update(customer_id, params={"invoice_settings": {"default_payment_method": payment_method}})
    return customer_id


@translate_stripe_errors()
def subscribe(*, customer_id: str, currency: str, quantity: int, plan_public_id: str) -> SubscriptionState:
    """Start a monthly subscription; its first invoice is charged at once."""
    subscription = (
        client()
        .v1.subscriptions.create(
            params={
                "customer": customer_id,
                "items": [{"plan": monthly_plan_id(currency), "quantity": quantity}],
                "metadata": {"plan_id": plan_public_id},
            },
            options={"idempotency_key": f"plan-{plan_public_id}"},
        )
        .to_dict()
    )
    invoice = subscription.get("latest_invoice")
    if invoice and not isinstance(invoice, dict):
        invoice = client().v1.invoices.retrieve(invoice).to_dict()
    return SubscriptionState.from_stripe(
        subscription, latest_invoice=InvoiceState.from_stripe(invoice) if invoice else None
    )


@translate_stripe_errors()
def subscription_plan_id(subscription_id: str) -> str | None:
    """Our plan's public id, from the subscription's metadata."""
    subscription = client().v1.subscriptions.retrieve(subscription_id).to_dict()
    return (subscription.get("metadata") or {}).get("plan_id")


@translate_stripe_errors()
def change_subscription_quantity(subscription_id: str, quantity: int) -> None:
    subscription = client().v1.subscriptions.retrieve(subscription_id).to_dict()
    item_id = subscription["items"]["data"][0]["id"]
    client().v1.subscriptions.update(subscription_id, params={"items": [{"id": item_id, "quantity": quantity}]})


@translate_stripe_errors()
def cancel_subscription(subscription_id: str) -> None:
    """Safe to repeat: a subscription already canceled stays so."""
    import stripe

    try:
        client().v1.subscriptions.cancel(subscription_id)
    except stripe.InvalidRequestError as exc:
        if "canceled" not in str(exc).lower():
            raise


# --- The donor's changes from their portal -------------------------------


@translate_stripe_errors()
def create_customer_setup_intent(*, customer_id: str) -> str:
    """A SetupIntent that saves a new card for a plan's own customer, to be
    charged later without the donor (off session); Stripe.js confirms it
    with the card element. Returns its client secret."""
    intent = client().v1.setup_intents.create(
        params={"customer": customer_id, "payment_method_types": ["card"], "usage": "off_session"}
    )
    return intent.client_secret


@translate_stripe_errors()
def retrieve_setup_intent(setup_intent_id: str) -> SetupIntentState:
    """NotFound for an id Stripe does not know."""
    return SetupIntentState.from_stripe(client().v1.setup_intents.retrieve(setup_intent_id).to_dict())


@translate_stripe_errors(declines=True, invalid_request=lambda exc: unusable_card())
def set_default_card(*, customer_id: str, payment_method: str) -> None:
    """Make the card the one the customer's subscription charges: attached
    to the customer (a SetupIntent for the customer attaches it on Stripe;
    localstripe leaves that to us) and their invoices' default. The
    subscription itself names no card (see the module's docstring), so it
    charges this one from its next invoice."""
    method = client().v1.payment_methods.retrieve(payment_method).to_dict()
    if _id_of(method.get("customer")) != customer_id:
        client().v1.payment_methods.attach(payment_method, params={"customer": customer_id})
    client().v1.customers.update(customer_id, params={"invoice_settings": {"default_payment_method": payment_method}})


def _id_of(value) -> str | None:
    return value.get("id") if isinstance(value, dict) else value


@translate_stripe_errors()
def pause_subscription(subscription_id: str, *, resumes_at: datetime) -> SubscriptionState:
    """Stop collecting until `resumes_at`: Stripe still makes each month's
    invoice, and voids it at once (behavior "void"), so nothing is charged
    and nothing is owed after; the subscription stays active, and collects
    again on its own from the first invoice after `resumes_at`.
    (localstripe has no pause_collection: tests/payments/test_plan_pause_requests.py
    checks the request against Stripe's documented shape.)"""
    updated = client().v1.subscriptions.update(
        subscription_id,
        params={"pause_collection": {"behavior": "void", "resumes_at": int(resumes_at.timestamp())}},
    )
    return SubscriptionState.from_stripe(updated.to_dict())


@translate_stripe_errors()
def resume_subscription(subscription_id: str) -> SubscriptionState:
    """Collect again from the next invoice: Stripe unsets pause_collection
    when it is sent empty."""
    updated = client().v1.subscriptions.update(subscription_id, params={"pause_collection": ""})
    return SubscriptionState.from_stripe(updated.to_dict())


@translate_stripe_errors()
def retrieve_subscription(subscription_id: str) -> SubscriptionState:
    """The subscription as Stripe holds it now (for events that may arrive
    out of order)."""
    return SubscriptionState.from_stripe(client().v1.subscriptions.retrieve(subscription_id).to_dict())


@translate_stripe_errors()
def delete_customer(customer_id: str) -> bool:
    """Delete a customer and everything Stripe keeps on it (its cards, its
    name and email; its subscriptions are canceled): a donor's erasure.
    True if Stripe deleted it now, False if Stripe no longer had it
    (deleted before, or never made), which is not an error."""
    import stripe

    try:
        client().v1.customers.delete(customer_id)
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404 or exc.code == "resource_missing":
            return False
        raise
    return True
