"""Re-driving what did not finish: stored events, and gifts whose outcome
never arrived."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from donations import tasks
from donations.models import Donation, StripeEvent
from donations.selectors import counters_out_of_step
from receipts.models import Receipt
from tests.gifts import THREE_D_SECURE_PAYMENT_METHOD, gift_body, give
from tests.stripe_events import payment_intent_event, post_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_success_event(client, campaign, django_capture_on_commit_callbacks):
    """A success event stored while the broker was down: never processed."""
    give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD))
    donation = Donation.objects.get()
    with django_capture_on_commit_callbacks(execute=False):
        post_event(client, payment_intent_event("payment_intent.succeeded", donation, status="succeeded"))
    return StripeEvent.objects.get()


def test_reprocess_applies_events_that_were_never_processed(stored_success_event, capsys):
    call_command("reprocess_stripe_events")

    stored_success_event.refresh_from_db()
    assert stored_success_event.status == StripeEvent.Status.PROCESSED
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED
    assert "1 of 1 event(s) applied" in capsys.readouterr().out


def test_reprocess_failed_leaves_received_events_alone(stored_success_event):
    call_command("reprocess_stripe_events", "--failed")

    stored_success_event.refresh_from_db()
    assert stored_success_event.status == StripeEvent.Status.RECEIVED


def test_reprocess_one_event_again_changes_nothing_the_second_time(stored_success_event):
    call_command("reprocess_stripe_events", "--event", stored_success_event.event_id)
    call_command("reprocess_stripe_events", "--event", stored_success_event.event_id)

    assert Receipt.objects.count() == 1
    assert counters_out_of_step() == {}


def test_reprocess_unknown_event_is_a_one_line_error(db):
    with pytest.raises(CommandError, match="no stored event with id 'evt_nope'"):
        call_command("reprocess_stripe_events", "--event", "evt_nope")


def test_reprocess_reports_an_event_that_fails_again_and_exits_non_zero(stored_success_event, capsys):
    payload = stored_success_event.payload
    payload["data"]["object"]["amount"] = 1  # disagrees with the gift
    StripeEvent.objects.filter(pk=stored_success_event.pk).update(payload=payload)

    with pytest.raises(CommandError, match="1 event"):
        call_command("reprocess_stripe_events")

    assert "failed" in capsys.readouterr().err


def test_redrive_sweep_requeues_events_stuck_as_received(stored_success_event):
    StripeEvent.objects.update(received_at=timezone.now() - timedelta(minutes=5))

    assert tasks.redrive_stripe_events.delay().get() == 1
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED


def test_repeat_of_a_stored_but_unprocessed_event_is_answered_duplicate_and_queued_again(
    client, stored_success_event, django_capture_on_commit_callbacks
):
    """The COMMIT's reply was lost (or the enqueue failed): the event is
    stored, never processed, and Stripe sends it again."""
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, stored_success_event.payload)

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": True}
    stored_success_event.refresh_from_db()
    assert stored_success_event.status == StripeEvent.Status.PROCESSED
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED
    assert Receipt.objects.count() == 1


def test_repeat_of_a_processed_event_queues_nothing(client, stored_success_event, django_capture_on_commit_callbacks):
    tasks.process_stripe_event.delay(stored_success_event.pk)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post_event(client, stored_success_event.payload)

    assert response.json()["duplicate"] is True
    assert queued == []


def test_event_queued_by_its_delivery_and_again_by_its_repeat_is_applied_once(
    client, stored_success_event, django_capture_on_commit_callbacks, mailoutbox
):
    """Both queued before either ran (a slow worker): the second finds it done."""
    with django_capture_on_commit_callbacks(execute=False) as queued:
        post_event(client, stored_success_event.payload)
        post_event(client, stored_success_event.payload)
    assert len(queued) == 2

    with django_capture_on_commit_callbacks(execute=True):
        for run in queued:
            run()

    stored_success_event.refresh_from_db()
    assert (stored_success_event.status, stored_success_event.attempts) == (StripeEvent.Status.PROCESSED, 1)
    assert Receipt.objects.count() == 1
    assert len(mailoutbox) == 1
    assert counters_out_of_step() == {}


def test_stale_gift_sweep_asks_stripe_about_a_gift_whose_webhook_never_came(client, campaign, fake_stripe):
    answer = give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD)).json()
    fake_stripe.authenticate(answer["client_secret"], success=True)
    Donation.objects.update(created_at=timezone.now() - timedelta(minutes=30))

    assert tasks.settle_stale_gifts.delay().get() == 1
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED


def test_stale_gift_sweep_gives_up_on_a_gift_that_never_reached_stripe(client, campaign, fake_stripe):
    with fake_stripe.outage():
        give(client)
    Donation.objects.update(created_at=timezone.now() - timedelta(hours=2))

    tasks.settle_stale_gifts.delay()

    donation = Donation.objects.get()
    assert (donation.status, donation.failure_code) == (Donation.Status.FAILED, "abandoned")


def test_stale_gift_sweep_leaves_recent_gifts_alone(client, campaign, fake_stripe):
    with fake_stripe.outage():
        give(client)

    assert tasks.settle_stale_gifts.delay().get() == 0
    assert Donation.objects.get().status == Donation.Status.PENDING


def test_a_charged_gift_whose_intent_id_was_never_saved_is_recovered_not_abandoned(client, campaign, fake_stripe):
    fake_stripe.lose_next_answer("charge")  # Stripe charged it; the answer never came
    give(client)
    Donation.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert Donation.objects.get().payment_intent_id is None

    tasks.settle_stale_gifts.delay()

    donation = Donation.objects.get()
    [intent] = fake_stripe.objects_of("payment_intent")
    assert (donation.status, donation.payment_intent_id) == (Donation.Status.SUCCEEDED, intent["id"])
    assert fake_stripe.calls_to("find_gift_payment_intent") == [((str(donation.public_id),), {})]


def test_a_stale_gift_stripe_cannot_answer_for_is_left_pending_not_abandoned(client, campaign, fake_stripe):
    from donations.services import gifts
    from payments.stripe import StripeUnavailable

    with fake_stripe.outage():
        give(client)
    Donation.objects.update(created_at=timezone.now() - timedelta(hours=2))

    with fake_stripe.outage(), pytest.raises(StripeUnavailable):
        gifts.settle_stale_gift(donation_id=Donation.objects.get().pk)

    assert Donation.objects.get().status == Donation.Status.PENDING
