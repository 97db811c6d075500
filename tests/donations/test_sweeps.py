"""The beat sweeps of donations' outboxes: work whose task was never
queued (the broker was down when it was accepted) or was lost is found in
the database and done, once. Work recorded here without its on-commit
callbacks run is work whose enqueue failed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from donations import tasks
from donations.models import Donation, PlanChange, RecurringPlan
from donations.selectors import plan_management_path
from donations.services import recurring
from tests.fakes.stripe import stripe_fee
from tests.gifts import give
from tests.stripe_events import invoice_event

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(minutes=5)


def test_a_paid_gift_whose_fee_lookup_was_never_queued_gets_its_fee_from_the_sweep(client, campaign):
    # Outside django_capture_on_commit_callbacks: the fee task is never queued.
    give(client)
    donation = Donation.objects.get()
    assert (donation.status, donation.stripe_fee_minor) == (Donation.Status.SUCCEEDED, None)
    Donation.objects.update(succeeded_at=timezone.now() - LONG_AGO)

    assert tasks.record_missing_fees.delay().get() == 1

    donation.refresh_from_db()
    assert donation.stripe_fee_minor == stripe_fee(donation.charged_minor)
    assert tasks.record_missing_fees.delay().get() == 0


def test_the_fee_sweep_leaves_a_gift_paid_moments_ago_to_its_own_task(client, campaign, fake_stripe):
    give(client)

    assert tasks.record_missing_fees.delay().get() == 0
    assert fake_stripe.calls_to("processing_fee") == []


def test_a_plan_change_whose_email_was_never_queued_is_sent_once_by_the_sweep(monthly_plan, mailoutbox):
    recurring.change_amount(plan=monthly_plan, amount_minor=3000)
    PlanChange.objects.update(made_at=timezone.now() - LONG_AGO)
    mailoutbox.clear()

    assert tasks.resend_donor_notices.delay().get() == 1
    assert tasks.resend_donor_notices.delay().get() == 0

    [notice] = mailoutbox
    assert "$30.00" in notice.body
    assert PlanChange.objects.get().notice_sent_at is not None


def test_a_fresh_link_asked_for_while_the_broker_was_down_is_sent_once_by_the_sweep(
    client, monthly_plan, link_clock, mailoutbox
):
    expired = plan_management_path(monthly_plan)
    link_clock.now += 366 * 24 * 3600
    mailoutbox.clear()
    assert client.post(expired, {"action": "email_fresh_link"}).status_code == 200
    assert mailoutbox == []
    RecurringPlan.objects.update(fresh_link_requested_at=timezone.now() - LONG_AGO)

    assert tasks.resend_donor_notices.delay().get() == 1
    assert tasks.resend_donor_notices.delay().get() == 0

    [email] = mailoutbox
    assert email.to == ["ada@example.org"]


def test_a_failed_renewal_whose_notice_never_went_out_is_sent_once_by_the_sweep(
    client, monthly_plan, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.stripe_events import post_event

    failed = invoice_event(
        "invoice.payment_failed",
        subscription_id=monthly_plan.stripe_subscription_id,
        amount=2500,
        status="open",
        invoice_id="in_renewal_2",
    )
    # The event is processed, but the notice's task is never queued.
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, failed)
    renewal = Donation.objects.get(invoice_id="in_renewal_2")
    mailoutbox.clear()
    RecurringPlan.objects.update(failure_notice_invoice_id="")
    Donation.objects.filter(pk=renewal.pk).update(updated_at=timezone.now() - LONG_AGO)

    assert tasks.resend_donor_notices.delay().get() == 1
    assert tasks.resend_donor_notices.delay().get() == 0

    [notice] = mailoutbox
    assert "could not be charged" in notice.subject


def test_a_renewal_notice_the_provider_failed_to_take_is_sent_by_the_sweep(
    monthly_plan, deliver_events, mailoutbox, settings
):
    from tests.receipts.test_delivery import ScriptedProvider, api_error

    settings.EMAIL_BACKEND = "tests.receipts.test_delivery.ScriptedProvider"
    failed = invoice_event(
        "invoice.payment_failed",
        subscription_id=monthly_plan.stripe_subscription_id,
        amount=2500,
        status="open",
        invoice_id="in_renewal_2",
    )
    deliver_events(failed)
    renewal = Donation.objects.get(invoice_id="in_renewal_2")
    RecurringPlan.objects.update(failure_notice_invoice_id="")
    mailoutbox.clear()
    ScriptedProvider.script = [api_error(500)]

    with pytest.raises(Exception, match="provider said no"):
        recurring.send_renewal_failed_notice(donation_id=renewal.pk)
    Donation.objects.filter(pk=renewal.pk).update(updated_at=timezone.now() - LONG_AGO)
    assert tasks.resend_donor_notices.delay().get() == 1

    [notice] = mailoutbox
    assert "could not be charged" in notice.subject
