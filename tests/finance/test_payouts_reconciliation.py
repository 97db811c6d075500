"""Payout reconciliation against Stripe-shaped payouts held by the fake
Stripe: lines matched to gifts, refunds and disputes, the unmatched kept,
sums that add up, fetching safe to repeat, retries, webhooks. That the real
gateway pages through and parses the same objects is proven by
tests/payments/test_stripe_contract.py."""

from datetime import timedelta

import pytest
from django.utils import timezone

from donations.models import Dispute, Donation, Refund, StripeEvent
from donations.services import refunds
from finance import tasks
from finance.models import Payout, PayoutLine
from finance.selectors.payouts import payout_report
from hopefund.celery import app as celery_app
from tests.factories import DonationFactory
from tests.fakes.stripe import charge_line, dispute_line, refund_line, stripe_fee_line
from tests.gifts import gift_body, give
from tests.stripe_events import event, post_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_retries(monkeypatch):
    """Eager Celery runs a task's retries at once, without the countdown,
    but only when errors do not propagate."""
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)


@pytest.fixture
def two_gifts_one_partly_refunded(client, campaign, django_capture_on_commit_callbacks):
    """Two gifts paid through the API, the second refunded 15.00."""
    with django_capture_on_commit_callbacks(execute=True):
        give(client, gift_body(amount_minor=5000))
        give(client, gift_body(amount_minor=3000, donor__email="lin@example.org"))
    kept, refunded = Donation.objects.order_by("created_at")
    refunds.request_refund(donation_id=refunded.pk, amount_minor=1500, reason="requested_by_customer")
    return kept, refunded, Refund.objects.get(donation=refunded)


def mixed_payout(fake_stripe, kept, refunded, refund, *, status="in_transit") -> dict:
    return fake_stripe.add_payout(
        "po_test_mixed",
        amount=4825 + 2883 - 1500 - 200 + 1912,
        status=status,
        lines=[
            charge_line(
                "txn_kept", charge_id=kept.charge_id, payment_intent_id=kept.payment_intent_id, amount=5000, fee=175
            ),
            charge_line(
                "txn_refunded",
                charge_id=refunded.charge_id,
                payment_intent_id=refunded.payment_intent_id,
                amount=3000,
                fee=117,
            ),
            refund_line("txn_refund", refund_id=refund.stripe_refund_id, charge_id=refunded.charge_id, amount=1500),
            stripe_fee_line("txn_radar", amount=200),
            charge_line("txn_stranger", charge_id="ch_not_ours", payment_intent_id="pi_not_ours", amount=2000, fee=88),
        ],
    )


def test_a_payout_is_matched_to_its_gifts_and_refund_with_the_fee_and_a_strangers_charge_unmatched(
    fake_stripe, two_gifts_one_partly_refunded
):
    kept, refunded, refund = two_gifts_one_partly_refunded
    mixed_payout(fake_stripe, kept, refunded, refund)

    tasks.fetch_payout.delay("po_test_mixed")

    payout = Payout.objects.get()
    assert (payout.amount_minor, payout.currency, payout.status) == (7920, "usd", "in_transit")
    lines = {line.balance_transaction_id: line for line in payout.lines.all()}
    # The payout's own transaction mirrors the payout and is not a line.
    assert set(lines) == {"txn_kept", "txn_refunded", "txn_refund", "txn_radar", "txn_stranger"}
    assert (lines["txn_kept"].donation, lines["txn_kept"].refund) == (kept, None)
    assert lines["txn_refunded"].donation == refunded
    assert (lines["txn_refund"].donation, lines["txn_refund"].refund) == (refunded, refund)
    assert (lines["txn_refund"].amount_minor, lines["txn_refund"].net_minor) == (-1500, -1500)
    assert not lines["txn_radar"].is_matched and not lines["txn_stranger"].is_matched
    assert len(fake_stripe.calls_to("payout_balance_transactions")) == 1

    report = payout_report("po_test_mixed")
    sums = {total.kind: (total.count, total.amount_minor, total.fee_minor, total.net_minor) for total in report.totals}
    assert sums == {
        "gift": (3, 10000, 380, 9620),
        "refund": (1, -1500, 0, -1500),
        "fee": (1, -200, 0, -200),
        "dispute": (0, 0, 0, 0),
        "other": (0, 0, 0, 0),
    }
    assert {line.balance_transaction_id for line in report.unmatched} == {"txn_radar", "txn_stranger"}
    assert report.adds_up and report.net_minor == 7920


def test_fetching_again_adds_no_line_twice_and_records_the_new_status(fake_stripe, two_gifts_one_partly_refunded):
    kept, refunded, refund = two_gifts_one_partly_refunded
    payout = mixed_payout(fake_stripe, kept, refunded, refund)
    tasks.fetch_payout.delay("po_test_mixed")

    payout["status"] = "paid"
    tasks.fetch_payout.delay("po_test_mixed")
    tasks.fetch_payout.delay("po_test_mixed")

    assert Payout.objects.get().status == "paid"
    assert PayoutLine.objects.count() == 5


def test_a_line_unmatched_at_first_is_matched_once_its_gift_is_recorded(fake_stripe, campaign):
    fake_stripe.add_payout(
        "po_test_late",
        amount=4850,
        lines=[charge_line("txn_late", charge_id="ch_late", payment_intent_id="pi_late", amount=5000, fee=150)],
    )
    tasks.fetch_payout.delay("po_test_late")
    assert not PayoutLine.objects.get().is_matched

    gift = DonationFactory(succeeded=True, campaign=campaign, charge_id="ch_late", payment_intent_id="pi_late")
    tasks.fetch_payout.delay("po_test_late")

    assert PayoutLine.objects.get().donation == gift


def test_a_dispute_is_matched_to_the_disputed_gift_and_a_charge_by_its_payment_intent(fake_stripe, campaign):
    disputed, unknown_charge = DonationFactory.create_batch(2, succeeded=True, campaign=campaign)
    Dispute.objects.create(donation=disputed, stripe_dispute_id="du_test_1", amount_minor=5000, status="lost")
    # A gift whose charge id the ledger never stored, only its intent.
    Donation.objects.filter(pk=unknown_charge.pk).update(charge_id=None)
    fake_stripe.add_payout(
        "po_test_dispute",
        amount=4850 - 5000 - 1500,
        lines=[
            charge_line(
                "txn_by_intent",
                charge_id="ch_never_stored",
                payment_intent_id=unknown_charge.payment_intent_id,
                amount=5000,
                fee=150,
            ),
            dispute_line("txn_chargeback", dispute_id="du_test_1", charge_id=disputed.charge_id, amount=5000),
        ],
    )

    tasks.fetch_payout.delay("po_test_dispute")

    lines = {line.balance_transaction_id: line for line in PayoutLine.objects.all()}
    assert lines["txn_by_intent"].donation == unknown_charge
    assert lines["txn_chargeback"].donation == disputed
    report = payout_report("po_test_dispute")
    assert {t.kind: t.net_minor for t in report.totals}["dispute"] == -6500
    assert report.adds_up


def test_lines_that_do_not_add_up_to_the_payout_are_reported(fake_stripe, campaign):
    gift = DonationFactory(succeeded=True, campaign=campaign)
    fake_stripe.add_payout(
        "po_test_short",
        amount=9999,
        lines=[charge_line("txn_1", charge_id=gift.charge_id, payment_intent_id=None, amount=5000, fee=150)],
    )
    tasks.fetch_payout.delay("po_test_short")

    report = payout_report("po_test_short")
    assert not report.adds_up and report.difference_minor == 9999 - 4850


def test_stripe_being_down_is_retried_until_the_payout_is_recorded(fake_stripe, eager_retries, campaign):
    fake_stripe.add_payout("po_test_retry", amount=0)
    fake_stripe.fail_next(2)

    tasks.fetch_payout.delay("po_test_retry")

    assert len(fake_stripe.calls_to("retrieve_payout")) == 3
    assert Payout.objects.filter(stripe_payout_id="po_test_retry").exists()


def test_a_payout_stripe_does_not_know_is_asked_for_once_and_records_nothing(fake_stripe):

    result = tasks.fetch_payout.delay("po_test_unknown")

    assert result.successful()
    assert fake_stripe.calls_to("retrieve_payout") == [(("po_test_unknown",), {})]
    assert not Payout.objects.exists()


def test_a_manual_payout_is_recorded_without_asking_for_its_transactions(fake_stripe):
    fake_stripe.add_payout("po_test_manual", amount=1000, automatic=False)

    tasks.fetch_payout.delay("po_test_manual")

    assert Payout.objects.get().lines.count() == 0
    assert fake_stripe.calls_to("payout_balance_transactions") == []
    assert not payout_report("po_test_manual").adds_up


def test_a_signed_payout_paid_event_fetches_the_payout(fake_stripe, deliver_events):
    payout = fake_stripe.add_payout(
        "po_test_event",
        amount=4850,
        status="paid",
        lines=[charge_line("txn_1", charge_id="ch_x", payment_intent_id=None, amount=5000, fee=150)],
    )

    deliver_events(event("payout.paid", payout))

    assert StripeEvent.objects.get().status == StripeEvent.Status.PROCESSED
    recorded = Payout.objects.get()
    assert (recorded.stripe_payout_id, recorded.status, recorded.lines.count()) == ("po_test_event", "paid", 1)


def test_a_badly_signed_payout_event_fetches_nothing(client, fake_stripe):
    payout = fake_stripe.add_payout("po_test_forged", amount=0)

    response = post_event(client, event("payout.paid", payout), secret="whsec_wrong")

    assert response.status_code == 400
    assert fake_stripe.calls == [] and not Payout.objects.exists()


def test_the_hourly_sweep_fetches_new_and_moving_payouts_but_not_settled_ones(fake_stripe):
    for payout_id, status in (
        ("po_new", "paid"),
        ("po_moving", "in_transit"),
        ("po_settled", "paid"),
        ("po_turned_failed", "failed"),
    ):
        fake_stripe.add_payout(payout_id, amount=0, status=status)
    fake_stripe.add_payout("po_too_old", amount=0, days_ago=tasks.RECENT_PAYOUT_DAYS + 1)
    for payout_id in ("po_moving", "po_settled"):
        tasks.fetch_payout.delay(payout_id)
    # Paid when we fetched it; Stripe has since reported it failed.
    Payout.objects.create(
        stripe_payout_id="po_turned_failed",
        amount_minor=0,
        currency="usd",
        status="paid",
        arrival_date="2026-11-01",
        created_at="2026-11-01T00:00Z",
        fetched_at="2026-11-02T00:00Z",
    )
    fake_stripe.calls.clear()

    assert tasks.fetch_recent_payouts.delay().get() == 3

    fetched = {args[0] for args, _ in fake_stripe.calls_to("retrieve_payout")}
    assert fetched == {"po_new", "po_moving", "po_turned_failed"}
    assert Payout.objects.get(stripe_payout_id="po_turned_failed").status == "failed"
    [(_, listed)] = fake_stripe.calls_to("list_payouts")
    assert timezone.now() - listed["created_since"] == pytest.approx(
        timedelta(days=tasks.RECENT_PAYOUT_DAYS), abs=timedelta(minutes=1)
    )
