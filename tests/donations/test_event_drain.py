"""The drain: a PaymentIntent's events applied in batches, each gift once,
each counter written once a batch, one event's failure its own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import task_queue
from donations import selectors, tasks
from donations.models import Donation, GivingTotal, StripeEvent
from donations.services import stripe_events
from receipts.models import Receipt
from tests import factories
from tests.stripe_events import payment_intent_event

pytestmark = pytest.mark.django_db


def pending_gifts(count: int, *, team=None, fundraiser=None, campaign, donor=None):
    return [
        factories.DonationFactory(
            campaign=campaign,
            team=team,
            fundraiser=fundraiser,
            payment_intent_id=f"pi_drain_{n}",
            donor=donor or factories.DonorFactory(),
        )
        for n in range(count)
    ]


def stored_successes(gifts, **fields) -> list[StripeEvent]:
    """Each gift's payment_intent.succeeded, stored as the webhook stores it
    (the drain is not woken here: the test runs it)."""
    return [
        StripeEvent.objects.create(
            event_id=f"evt_drain_{gift.pk}",
            type="payment_intent.succeeded",
            payload=payment_intent_event("payment_intent.succeeded", gift, status="succeeded", **fields),
        )
        for gift in gifts
    ]


def counter_writes(queries) -> int:
    return sum(1 for query in queries if query["sql"].startswith('UPDATE "donations_givingtotal"'))


def test_a_batch_applies_every_gift_once_and_writes_each_counter_once(
    campaign, fundraiser, django_capture_on_commit_callbacks
):
    donor = factories.DonorFactory()
    gifts = pending_gifts(5, campaign=campaign, team=fundraiser.team, fundraiser=fundraiser, donor=donor)
    events = stored_successes(gifts)

    with django_capture_on_commit_callbacks(), CaptureQueriesContext(connection) as queries:
        assert stripe_events.drain_stripe_events() == 5

    assert set(Donation.objects.values_list("status", flat=True)) == {Donation.Status.SUCCEEDED}
    assert Receipt.objects.count() == 5
    assert {(event.status, event.attempts) for event in StripeEvent.objects.all()} == {("processed", 1)}
    assert selectors.counters_out_of_step(campaign_id=campaign.pk) == {}
    campaign_total = GivingTotal.objects.get(campaign=campaign, team=None, fundraiser=None)
    assert (campaign_total.gift_count, campaign_total.donor_count) == (5, 1)
    assert campaign_total.raised_minor == sum(gift.charged_minor for gift in gifts)
    # Campaign, team and fundraiser: one write each for the five gifts.
    assert counter_writes(queries.captured_queries) == 3
    assert len(events) == 5


def test_an_event_that_fails_in_a_batch_is_marked_failed_alone_and_given_its_own_task(
    campaign, django_capture_on_commit_callbacks, monkeypatch
):
    gifts = pending_gifts(3, campaign=campaign)
    # The middle event's amount is not its gift's: its handler raises.
    events = [*stored_successes([gifts[0]]), *stored_successes([gifts[1]], amount=1), *stored_successes([gifts[2]])]
    retried = []
    monkeypatch.setattr(task_queue, "enqueue", lambda task, *args: retried.append((task.name, args)))

    with django_capture_on_commit_callbacks(execute=True):
        assert stripe_events.drain_stripe_events() == 3

    statuses = dict(StripeEvent.objects.values_list("pk", "status"))
    assert [statuses[event.pk] for event in events] == ["processed", "failed", "processed"]
    failed = StripeEvent.objects.get(pk=events[1].pk)
    assert failed.attempts == 1
    assert failed.last_error.startswith("ValueError")
    assert Donation.objects.get(pk=gifts[1].pk).status == Donation.Status.PENDING
    assert Receipt.objects.count() == 2
    assert selectors.counters_out_of_step(campaign_id=campaign.pk) == {}
    assert (tasks.process_stripe_event.name, (events[1].pk,)) in retried


def test_an_event_applied_already_is_not_taken_again(campaign, django_capture_on_commit_callbacks):
    gifts = pending_gifts(2, campaign=campaign)
    stored_successes(gifts)
    with django_capture_on_commit_callbacks():
        stripe_events.drain_stripe_events()

    with django_capture_on_commit_callbacks():
        assert stripe_events.drain_stripe_events() == 0

    assert Receipt.objects.count() == 2
    assert GivingTotal.objects.get(campaign=campaign, team=None, fundraiser=None).gift_count == 2


def test_many_webhooks_queue_one_drain_until_it_starts(campaign, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(task_queue, "enqueue", lambda task, *args: queued.append(task.name))
    gifts = pending_gifts(3, campaign=campaign)

    with django_capture_on_commit_callbacks(execute=True):
        for gift in gifts[:2]:
            stripe_events.store_stripe_event(
                event=payment_intent_event("payment_intent.succeeded", gift, status="succeeded")
            )
    assert queued == [tasks.drain_stripe_events.name]

    # Once it has started, work stored after it looked needs another run.
    task_queue.woken(tasks.drain_stripe_events)
    with django_capture_on_commit_callbacks(execute=True):
        stripe_events.store_stripe_event(
            event=payment_intent_event("payment_intent.succeeded", gifts[2], status="succeeded")
        )
    assert queued == [tasks.drain_stripe_events.name] * 2


def test_a_batch_locks_its_gifts_counters_and_donors_before_the_first_receipt_number(
    campaign, django_capture_on_commit_callbacks
):
    """Gift by gift, the second gift's donor would be locked after the
    first gift's receipt number, against the lock order."""
    stored_successes(pending_gifts(2, campaign=campaign))

    with django_capture_on_commit_callbacks(), CaptureQueriesContext(connection) as queries:
        stripe_events.drain_stripe_events()

    statements = [query["sql"] for query in queries.captured_queries]
    # The year's receipt sequence is locked by the upsert that takes a number.
    first_number = next(n for n, sql in enumerate(statements) if '"receipts_receiptsequence"' in sql)
    before = [sql for sql in statements[:first_number] if sql.endswith("FOR UPDATE")]
    assert any('FROM "donations_donation"' in sql and " IN (" in sql for sql in before)
    assert any('FROM "donations_givingtotal"' in sql for sql in before)
    assert any('FROM "donations_donor"' in sql and " IN (" in sql for sql in before)
