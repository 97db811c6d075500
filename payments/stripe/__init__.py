"""The only door to Stripe. Everything else in Hopefund calls the functions
named here and deals in the plain values they return (`states`) and the
errors they raise (`errors`), never in Stripe SDK objects, so a change of
API or SDK version stays inside this package.

Callers use this package's names (`stripe_gateway.charge(...)`), never the
topic modules', so that tests can put the in-memory fake in its place."""

from payments.stripe.errors import (
    InvalidWebhook,
    NotFound,
    PaymentDeclined,
    RefundFailed,
    StripeRateLimited,
    StripeUnavailable,
)
from payments.stripe.payments import (
    cancel_setup_intent,
    charge,
    create_setup_intent,
    fee_of_balance_transaction,
    find_gift_payment_intent,
    processing_fee,
    refund,
    retrieve_charge,
    retrieve_payment_intent,
    retrieve_payment_method,
)
from payments.stripe.payouts import list_payouts, payout_balance_transactions, retrieve_payout
from payments.stripe.states import (
    BalanceTransactionState,
    ChargeState,
    DisputeState,
    IncompleteObject,
    InvoiceState,
    PaymentIntentState,
    PaymentMethodState,
    PayoutState,
    RefundState,
    SetupIntentState,
    SubscriptionState,
)
from payments.stripe.subscriptions import (
    cancel_subscription,
    change_subscription_quantity,
    delete_customer,
    new_customer_with_card,
    subscribe,
    subscription_plan_id,
)
from payments.stripe.webhooks import verify_webhook

# The calls a fake must offer (tests/fakes/stripe.py keeps to this list).
CALLS = (
    "create_setup_intent",
    "cancel_setup_intent",
    "retrieve_payment_method",
    "charge",
    "refund",
    "retrieve_charge",
    "retrieve_payment_intent",
    "find_gift_payment_intent",
    "processing_fee",
    "new_customer_with_card",
    "subscribe",
    "subscription_plan_id",
    "change_subscription_quantity",
    "cancel_subscription",
    "delete_customer",
    "list_payouts",
    "retrieve_payout",
    "payout_balance_transactions",
)

__all__ = [
    "BalanceTransactionState",
    "ChargeState",
    "DisputeState",
    "IncompleteObject",
    "InvalidWebhook",
    "InvoiceState",
    "NotFound",
    "PaymentDeclined",
    "PaymentIntentState",
    "PaymentMethodState",
    "PayoutState",
    "RefundFailed",
    "RefundState",
    "SetupIntentState",
    "StripeRateLimited",
    "StripeUnavailable",
    "SubscriptionState",
    "cancel_setup_intent",
    "cancel_subscription",
    "change_subscription_quantity",
    "charge",
    "create_setup_intent",
    "delete_customer",
    "fee_of_balance_transaction",
    "find_gift_payment_intent",
    "list_payouts",
    "new_customer_with_card",
    "payout_balance_transactions",
    "processing_fee",
    "refund",
    "retrieve_charge",
    "retrieve_payment_intent",
    "retrieve_payment_method",
    "retrieve_payout",
    "subscribe",
    "subscription_plan_id",
    "verify_webhook",
]
