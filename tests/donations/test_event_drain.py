"""The drain: a PaymentIntent's events applied in batches, each gift once,
each counter written once a batch, one event's failure its own."""

import threading
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core import task_queue
from donations import selectors, tasks
from donations.models import Donation, Donor, GivingTotal, StripeEvent
from donations.services import gift_status, stripe_events
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
    # Campaign, team and fundraiser, each moved once for the five gifts,
    # all three in one statement.
    assert counter_writes(queries.captured_queries) == 1
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


class FakeClock:
    """time.monotonic and time.sleep for task_queue and stripe_events."""

    def __init__(self, monkeypatch, on_sleep=None):
        self.now, self.slept, self.on_sleep = 1000.0, [], on_sleep
        for module in (task_queue, stripe_events):
            monkeypatch.setattr(module, "time", SimpleNamespace(monotonic=lambda: self.now, sleep=self.sleep))

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.on_sleep is not None:
            self.on_sleep()
        self.advance(seconds)


def test_many_webhooks_queue_one_drain_until_it_starts(campaign, django_capture_on_commit_callbacks, monkeypatch):
    clock = FakeClock(monkeypatch)
    queued = []
    monkeypatch.setattr(task_queue, "enqueue", lambda task, *args: queued.append(task.name))
    gifts = pending_gifts(3, campaign=campaign)

    with django_capture_on_commit_callbacks(execute=True):
        for gift in gifts[:2]:
            stripe_events.store_stripe_event(
                event=payment_intent_event("payment_intent.succeeded", gift, status="succeeded")
            )
    assert queued == [tasks.drain_stripe_events.name]

    # Once it has started, work stored after it looked needs another run
    # (within WAKE_AGAIN_AFTER_SECONDS of the last wake, it looks again).
    task_queue.woken(tasks.drain_stripe_events)
    clock.advance(2 * task_queue.WAKE_AGAIN_AFTER_SECONDS)
    with django_capture_on_commit_callbacks(execute=True):
        stripe_events.store_stripe_event(
            event=payment_intent_event("payment_intent.succeeded", gifts[2], status="succeeded")
        )
    assert queued == [tasks.drain_stripe_events.name] * 2


def test_webhooks_a_few_milliseconds_after_one_that_woke_the_drain_ask_redis_nothing(
    campaign, django_capture_on_commit_callbacks, monkeypatch
):
    clock = FakeClock(monkeypatch)
    monkeypatch.setattr(task_queue, "enqueue", lambda task, *args: None)
    asked = []
    add = task_queue.shared_cache.add
    monkeypatch.setattr(task_queue.shared_cache, "add", lambda *args, **kw: asked.append(args[0]) or add(*args, **kw))
    gifts = pending_gifts(4, campaign=campaign)

    for gift in gifts[:3]:
        with django_capture_on_commit_callbacks(execute=True):
            stripe_events.store_stripe_event(
                event=payment_intent_event("payment_intent.succeeded", gift, status="succeeded")
            )
        clock.advance(task_queue.WAKE_AGAIN_AFTER_SECONDS / 4)
    assert len(asked) == 1

    clock.advance(task_queue.WAKE_AGAIN_AFTER_SECONDS)
    with django_capture_on_commit_callbacks(execute=True):
        stripe_events.store_stripe_event(
            event=payment_intent_event("payment_intent.succeeded", gifts[3], status="succeeded")
        )
    assert len(asked) == 2


def test_a_drain_that_found_nothing_at_once_looks_again_once_a_skipped_wake_could_have_committed(
    campaign, django_capture_on_commit_callbacks, monkeypatch
):
    """A webhook whose wake was skipped, within WAKE_AGAIN_AFTER_SECONDS of
    the wake that queued this run, may commit just after the run's first
    look: the run looks again when that window has passed."""
    gift = pending_gifts(1, campaign=campaign)[0]
    clock = FakeClock(monkeypatch, on_sleep=lambda: stored_successes([gift]))

    with django_capture_on_commit_callbacks():
        assert stripe_events.drain_stripe_events() == 1

    assert clock.slept == [pytest.approx(task_queue.WAKE_AGAIN_AFTER_SECONDS)]
    assert Donation.objects.get(pk=gift.pk).status == Donation.Status.SUCCEEDED


def test_a_drain_whose_last_look_began_after_the_window_ends_without_waiting(
    campaign, django_capture_on_commit_callbacks, monkeypatch
):
    stored_successes(pending_gifts(3, campaign=campaign))
    clock = FakeClock(monkeypatch)
    taking = stripe_events._apply_batch

    def slow_batch(batch_size):
        clock.advance(task_queue.WAKE_AGAIN_AFTER_SECONDS)
        return taking(batch_size)

    monkeypatch.setattr(stripe_events, "_apply_batch", slow_batch)
    with django_capture_on_commit_callbacks():
        assert stripe_events.drain_stripe_events(batch_size=2) == 3

    assert clock.slept == []


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
    before = [sql for sql in statements[:first_number] if " FOR UPDATE" in sql]
    assert any('FROM "donations_donation"' in sql and " IN (" in sql for sql in before)
    assert any('FROM "donations_givingtotal"' in sql for sql in before)
    assert any('FROM "donations_donor"' in sql and " IN (" in sql for sql in before)


class _RolledBack(Exception):
    pass


@pytest.fixture
def paid_together(monkeypatch):
    """The gifts each drain paid through gift_status.succeed_together, by call."""
    calls = []
    real = gift_status.succeed_together

    def spy(paid):
        calls.append(sorted(donation.pk for donation, _ in paid))
        return real(paid)

    monkeypatch.setattr(gift_status, "succeed_together", spy)
    return calls


def one_by_one(monkeypatch):
    """Leave every event of a batch to the one-by-one path, as before."""
    monkeypatch.setattr(stripe_events, "_plain_successes", lambda *args: {})


def ledger_state() -> dict:
    """What draining leaves, without the moments it happened at."""
    return {
        "gifts": list(
            Donation.objects.order_by("pk").values_list(
                "pk", "status", "payment_intent_id", "charge_id", "failure_code", "failure_message", "receipt_number"
            )
        ),
        "paid_at_set": [
            (pk, at is not None) for pk, at in Donation.objects.order_by("pk").values_list("pk", "succeeded_at")
        ],
        "counters": sorted(
            GivingTotal.objects.values_list(
                "campaign_id", "team_id", "fundraiser_id", "raised_minor", "gift_count", "donor_count"
            ),
            key=repr,
        ),
        "receipts": [
            (*receipt, {**record, "issued_at": None})
            for *receipt, record in Receipt.objects.order_by("pk").values_list(
                "donation_id", "number", "amount_minor", "status", "record"
            )
        ],
        "donors": list(Donor.objects.order_by("pk").values_list("pk", *Donor.DETAIL_FIELDS)),
        "events": list(
            StripeEvent.objects.order_by("pk").values_list("pk", "status", "attempts", "ignored_reason", "last_error")
        ),
    }


def drained_both_ways(monkeypatch, django_capture_on_commit_callbacks) -> tuple[dict, dict]:
    """The ledger after draining the stored events one by one, then (that
    rolled back) after draining them as the drain does now."""
    try:
        with transaction.atomic():
            with monkeypatch.context() as patched:
                one_by_one(patched)
                with django_capture_on_commit_callbacks():
                    stripe_events.drain_stripe_events()
            before = ledger_state()
            raise _RolledBack
    except _RolledBack:
        pass
    with django_capture_on_commit_callbacks():
        stripe_events.drain_stripe_events()
    return before, ledger_state()


def varied_gifts(campaign, fundraiser) -> list[Donation]:
    """Waiting, awaiting 3-D Secure and failed gifts, some from one donor,
    with details that change their donors' records, to the campaign, a
    team and a fundraiser, one found only by the intent's metadata."""
    shared = factories.DonorFactory(first_name="Old")
    gifts = [
        factories.DonationFactory(campaign=campaign, payment_intent_id="pi_a", donor=shared, donor_first_name="Ada"),
        factories.DonationFactory(
            campaign=campaign, team=fundraiser.team, payment_intent_id="pi_b", status="requires_action"
        ),
        factories.DonationFactory(
            campaign=campaign,
            team=fundraiser.team,
            fundraiser=fundraiser,
            payment_intent_id="pi_c",
            status="failed",
            failure_code="card_declined",
            failure_message="Declined",
            donor=shared,
            donor_first_name="Bea",
        ),
        factories.DonationFactory(campaign=campaign, payment_intent_id=None),
        factories.DonationFactory(campaign=campaign, payment_intent_id="pi_e", donor=shared, donor_first_name=""),
    ]
    return gifts


def succeeded_event(gift, *, intent_id=None, **fields) -> StripeEvent:
    payload = payment_intent_event("payment_intent.succeeded", gift, status="succeeded", **fields)
    if intent_id:
        payload["data"]["object"]["id"] = intent_id
    return StripeEvent.objects.create(event_id=payload["id"], type="payment_intent.succeeded", payload=payload)


def test_a_batch_paid_together_ends_exactly_as_its_events_applied_one_by_one(
    campaign, fundraiser, monkeypatch, paid_together, django_capture_on_commit_callbacks
):
    gifts = varied_gifts(campaign, fundraiser)
    for n, gift in enumerate(gifts):
        succeeded_event(gift, intent_id="pi_by_metadata" if gift.payment_intent_id is None else None,
                        latest_charge=f"ch_varied_{n}")  # fmt: skip

    by_one, together = drained_both_ways(monkeypatch, django_capture_on_commit_callbacks)

    assert paid_together == [[gift.pk for gift in gifts]]
    assert together == by_one
    assert {status for _, status, *_ in together["gifts"]} == {Donation.Status.SUCCEEDED}
    assert Donor.objects.get(pk=gifts[0].donor_id).first_name == "Bea"
    assert selectors.counters_out_of_step(campaign_id=campaign.pk) == {}


def test_a_mixed_batch_pays_the_plain_successes_together_and_applies_the_rest_one_by_one(
    campaign, monkeypatch, paid_together, django_capture_on_commit_callbacks
):
    plain = pending_gifts(3, campaign=campaign)
    canceled, mismatched, repeated, same_donor = (
        factories.DonationFactory(campaign=campaign, payment_intent_id=f"pi_mixed_{n}") for n in range(4)
    )
    same_donor.donor = mismatched.donor
    same_donor.save()
    succeeded_event(plain[0])
    StripeEvent.objects.create(
        event_id="evt_canceled",
        type="payment_intent.canceled",
        payload=payment_intent_event("payment_intent.canceled", canceled, status="canceled"),
    )
    unknown = succeeded_event(canceled, intent_id="pi_nobody", metadata={})
    succeeded_event(mismatched, amount=1)
    succeeded_event(repeated)
    succeeded_event(plain[1])
    succeeded_event(same_donor)
    again = StripeEvent.objects.create(
        event_id="evt_again",
        type="payment_intent.succeeded",
        payload=payment_intent_event("payment_intent.succeeded", repeated, status="succeeded"),
    )
    succeeded_event(plain[2])
    retried = []
    monkeypatch.setattr(task_queue, "enqueue", lambda task, *args: retried.append((task.name, args)))

    by_one, together = drained_both_ways(monkeypatch, django_capture_on_commit_callbacks)

    # The mismatched gift's donor has another gift in the batch: both wait
    # for their turn, one by one; the repeated gift is paid by its first event.
    assert paid_together == [sorted([plain[0].pk, plain[1].pk, plain[2].pk, repeated.pk])]
    # The same but for the receipt numbers: the gifts paid together take
    # theirs first, in gift order (docs/architecture.md).
    for part in ("counters", "donors", "events", "paid_at_set"):
        assert together[part] == by_one[part], part
    assert [gift[:-1] for gift in together["gifts"]] == [gift[:-1] for gift in by_one["gifts"]]
    status = dict(Donation.objects.values_list("pk", "status"))
    assert [status[gift.pk] for gift in (*plain, repeated, same_donor)] == [Donation.Status.SUCCEEDED] * 5
    assert (status[canceled.pk], status[mismatched.pk]) == (Donation.Status.FAILED, Donation.Status.PENDING)
    events = {event.pk: event for event in StripeEvent.objects.all()}
    assert (events[unknown.pk].status, events[unknown.pk].ignored_reason) == ("ignored", "not one of ours")
    assert events[again.pk].status == "processed"
    assert [e.last_error.split(":")[0] for e in events.values() if e.status == "failed"] == ["ValueError"]
    assert Receipt.objects.count() == 5
    assert selectors.counters_out_of_step(campaign_id=campaign.pk) == {}


def test_draining_the_same_events_again_changes_nothing(
    campaign, fundraiser, paid_together, django_capture_on_commit_callbacks
):
    for gift in varied_gifts(campaign, fundraiser):
        succeeded_event(gift, intent_id="pi_by_metadata" if gift.payment_intent_id is None else None)
    with django_capture_on_commit_callbacks():
        stripe_events.drain_stripe_events()
    first = ledger_state()

    StripeEvent.objects.update(status=StripeEvent.Status.RECEIVED)
    with django_capture_on_commit_callbacks():
        assert stripe_events.drain_stripe_events() == 5

    again = ledger_state()
    assert len(paid_together) == 1
    assert {**again, "events": []} == {**first, "events": []}
    assert {(status, attempts) for _, status, attempts, *_ in again["events"]} == {("processed", 2)}


def test_when_paying_together_fails_the_batch_is_applied_one_by_one_with_nothing_of_it_kept(
    campaign, fundraiser, monkeypatch, django_capture_on_commit_callbacks
):
    gifts = varied_gifts(campaign, fundraiser)
    for gift in gifts:
        succeeded_event(gift, intent_id="pi_by_metadata" if gift.payment_intent_id is None else None)
    real = gift_status.succeed_together

    def pay_then_fail(paid):
        real(paid)
        raise RuntimeError("the bulk step broke after writing")

    queued = []
    monkeypatch.setattr(task_queue, "enqueue", lambda task, *args: queued.append((task.name, args)))
    monkeypatch.setattr(gift_status, "succeed_together", pay_then_fail)
    with django_capture_on_commit_callbacks(execute=True):
        assert stripe_events.drain_stripe_events() == 5

    assert set(Donation.objects.values_list("status", flat=True)) == {Donation.Status.SUCCEEDED}
    assert sorted(Receipt.objects.values_list("sequence", flat=True)) == [1, 2, 3, 4, 5]
    assert {(event.status, event.attempts) for event in StripeEvent.objects.all()} == {("processed", 1)}
    assert selectors.counters_out_of_step(campaign_id=campaign.pk) == {}
    # The fee lookups of the one-by-one path, none of the rolled-back fan-out.
    fees = sorted(args for name, args in queued if name.startswith("donations.tasks.record_processing_fee"))
    assert fees == [(gift.pk,) for gift in gifts]
    assert sum(name == "receipts.tasks.send_email" for name, _ in queued) == 5


def test_gifts_paid_together_queue_one_fee_lookup_task_for_the_batch(
    campaign, monkeypatch, django_capture_on_commit_callbacks
):
    gifts = pending_gifts(4, campaign=campaign)
    stored_successes(gifts)
    queued = []
    monkeypatch.setattr(task_queue, "enqueue", lambda task, *args: queued.append((task.name, args)))

    with django_capture_on_commit_callbacks(execute=True):
        stripe_events.drain_stripe_events()

    fees = [args for name, args in queued if name.startswith("donations.tasks.record_processing_fee")]
    assert fees == [([gift.pk for gift in gifts],)]


def test_the_fee_lookups_task_queues_each_gifts_own_and_may_run_twice(campaign, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.record_processing_fee, "delay", queued.append)

    tasks.record_processing_fees([3, 5])
    tasks.record_processing_fees([3, 5])

    assert queued == [3, 5, 3, 5]


def drain_queries(campaign, count: int, django_capture_on_commit_callbacks) -> int:
    gifts = [
        factories.DonationFactory(campaign=campaign, payment_intent_id=f"pi_count_{count}_{n}") for n in range(count)
    ]
    stored_successes(gifts)
    with django_capture_on_commit_callbacks(), CaptureQueriesContext(connection) as queries:
        assert stripe_events.drain_stripe_events() == count
    return len(queries.captured_queries)


def test_a_batch_of_plain_successes_takes_as_many_queries_for_fifty_gifts_as_for_five(
    campaign, paid_together, django_capture_on_commit_callbacks
):
    drain_queries(campaign, 1, django_capture_on_commit_callbacks)  # the counters and sequence created
    five = drain_queries(campaign, 5, django_capture_on_commit_callbacks)
    fifty = drain_queries(campaign, 50, django_capture_on_commit_callbacks)

    assert len(paid_together) == 3
    assert fifty == five


@pytest.mark.django_db(transaction=True)
def test_three_drains_at_once_apply_every_gift_exactly_once(campaign, fundraiser, monkeypatch, paid_together):
    monkeypatch.setattr(task_queue, "enqueue", lambda task, *args: None)
    donors = [factories.DonorFactory() for _ in range(7)]
    gifts = [
        factories.DonationFactory(
            campaign=campaign,
            team=fundraiser.team if n % 3 == 0 else None,
            fundraiser=fundraiser if n % 6 == 0 else None,
            donor=donors[n % len(donors)],
            payment_intent_id=f"pi_race_{n}",
        )
        for n in range(90)
    ]
    stored_successes(gifts)
    failures = []

    def drain():
        try:
            stripe_events.drain_stripe_events(batch_size=10)
        except Exception as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=drain) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert sorted(pk for paid in paid_together for pk in paid) == sorted(gift.pk for gift in gifts)
    assert set(Donation.objects.values_list("status", flat=True)) == {Donation.Status.SUCCEEDED}
    assert {(event.status, event.attempts) for event in StripeEvent.objects.all()} == {("processed", 1)}
    assert sorted(Receipt.objects.values_list("sequence", flat=True)) == list(range(1, 91))
    assert Receipt.objects.values("donation_id").distinct().count() == 90
    assert selectors.counters_out_of_step(campaign_id=campaign.pk) == {}
    campaign_total = GivingTotal.objects.get(campaign=campaign, team=None, fundraiser=None)
    assert (campaign_total.raised_minor, campaign_total.gift_count, campaign_total.donor_count) == (
        sum(gift.charged_minor for gift in gifts),
        90,
        7,
    )
