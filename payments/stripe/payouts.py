"""Payouts to the charity's bank, and the balance transactions each one
settled (read by finance's reconciliation)."""

from datetime import datetime

from payments.stripe.client import client, translate_stripe_errors
from payments.stripe.states import BalanceTransactionState, PayoutState

PAGE_SIZE = 100


@translate_stripe_errors()
def list_payouts(*, created_since: datetime) -> list[PayoutState]:
    """Every payout created since then, newest first, across all pages."""
    pages = client().v1.payouts.list(params={"created": {"gte": int(created_since.timestamp())}, "limit": PAGE_SIZE})
    return [PayoutState.from_stripe(payout.to_dict()) for payout in pages.auto_paging_iter()]


@translate_stripe_errors()
def retrieve_payout(payout_id: str) -> PayoutState:
    return PayoutState.from_stripe(client().v1.payouts.retrieve(payout_id).to_dict())


@translate_stripe_errors()
def payout_balance_transactions(payout_id: str) -> list[BalanceTransactionState]:
    """The balance transactions an automatic payout settled, across all
    pages, with their sources expanded so that lines can be matched to gifts
    whose charge id we never stored."""
    pages = client().v1.balance_transactions.list(
        params={"payout": payout_id, "limit": PAGE_SIZE, "expand": ["data.source"]}
    )
    return [BalanceTransactionState.from_stripe(item.to_dict()) for item in pages.auto_paging_iter()]
