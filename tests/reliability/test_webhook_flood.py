"""A webhook flood on the real stack: a thousand signed events about real
gifts, three in ten of them repeats, shuffled and sent by twenty senders
at once to gunicorn's two workers, processed by the Celery worker's two
processes. Each event must be stored and applied once, whatever the order,
and the ledger, the totals and the receipts come out exact."""

import random
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from donations.models import Donation, Refund, StripeEvent
from receipts.models import Receipt, VoidNotice
from tests.gifts import THREE_D_SECURE_CARD
from tests.integration.conftest import wait_for
from tests.localstripe import authenticate, card_payment_method, sdk_client
from tests.reliability.audit import audit, delivered_messages
from tests.reliability.traffic import Answer, give, request, send_event
from tests.stripe_events import event

# Over the suite's 120 s a test: some 1,400 tasks (events, fees, receipts)
# on the worker's two processes take one to two minutes on two cores, and
# twice that on a busy machine.
pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True), pytest.mark.timeout(330)]

# Three events per gift (the stale requires_action, payment_intent.succeeded,
# charge.succeeded) and charge.refunded for every third: 700 distinct events.
GIFTS = 210
REPEATS = 300
SENDERS = 20
# Of the repeats, this many events come five times in a row, which the
# senders deliver together (Stripe retrying while a delivery is in flight).
BURSTS = 20
PARTIAL_REFUND_MINOR = 500
FAULT = "webhook flood: 1,000 events, 30 % duplicates, 20 senders"


def refund_of(number: int) -> str | None:
    """Every third gift is refunded in Stripe, in part or in full by turns."""
    if number % 3:
        return None
    return "partial" if number % 6 else "full"


def gift_with_its_events(base_url: str, number: int, payment_method: str) -> list[dict]:
    """A gift made through the API whose bank asks for 3-D Secure, so that
    only events can complete it; the donor passes the check in
    localstripe, and Stripe's events are built from localstripe's own
    objects as each stage left them."""
    answer = give(base_url, number, payment_method=payment_method)
    assert (answer.status, answer.body.get("status")) == (201, "requires_action"), answer
    stripe = sdk_client()
    intent_id = answer.body["client_secret"].split("_secret_")[0]
    waiting = stripe.v1.payment_intents.retrieve(intent_id).to_dict()
    authenticate(answer.body["client_secret"], success=True)
    paid = stripe.v1.payment_intents.retrieve(intent_id).to_dict()
    events = [
        event("payment_intent.requires_action", waiting),
        event("payment_intent.succeeded", paid),
        event("charge.succeeded", paid["latest_charge"]),
    ]
    if refund := refund_of(number):
        amount = {"amount": PARTIAL_REFUND_MINOR} if refund == "partial" else {}
        stripe.v1.refunds.create(params={"payment_intent": intent_id, **amount})
        events.append(event("charge.refunded", stripe.v1.charges.retrieve(paid["latest_charge"]["id"]).to_dict()))
    return events


def flood(base_url: str, deliveries: list[dict]) -> tuple[list[Answer], list[float]]:
    """Every delivery, each signed as it is sent, by SENDERS at once: the
    answers, and how long each took to be acknowledged (ms)."""

    def deliver(stripe_event: dict) -> tuple[Answer, float]:
        started = time.perf_counter()
        answer = send_event(base_url, stripe_event)
        return answer, (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(SENDERS) as pool:
        answers, latencies = zip(*pool.map(deliver, deliveries), strict=True)
    return list(answers), list(latencies)


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def test_a_flood_of_repeated_shuffled_events_from_twenty_senders_applies_each_event_once(stack, settle):
    payment_method = card_payment_method(THREE_D_SECURE_CARD)
    preparing = time.monotonic()
    with ThreadPoolExecutor(6) as pool:
        per_gift = list(pool.map(lambda n: gift_with_its_events(stack.web.url, n, payment_method), range(GIFTS)))
    print(f"\n{GIFTS} gifts and their events made in {time.monotonic() - preparing:.1f} s")
    distinct = [stripe_event for events in per_gift for stripe_event in events]
    assert len(distinct) == 700
    shuffler = random.Random(GIFTS)
    bursts = shuffler.sample(distinct, BURSTS)
    deliveries = distinct + shuffler.choices(distinct, k=REPEATS - 4 * BURSTS)
    shuffler.shuffle(deliveries)
    for burst in bursts:
        at = deliveries.index(burst)
        deliveries[at:at] = [burst] * 4
    assert len(deliveries) == 1000

    started = time.monotonic()
    answers, latencies = flood(stack.web.url, deliveries)
    print(
        f"{len(deliveries)} deliveries acknowledged in {time.monotonic() - started:.1f} s: "
        f"p50 {percentile(latencies, 0.5):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms, "
        f"max {max(latencies):.0f} ms"
    )

    assert Counter(answer.status for answer in answers) == {200: 1000}
    # Each event is acknowledged as new exactly once, every repeat as a duplicate.
    firsts = Counter(
        delivered["id"] for delivered, answer in zip(deliveries, answers, strict=True) if not answer.body["duplicate"]
    )
    assert firsts == Counter(stripe_event["id"] for stripe_event in distinct)
    # A sanity bound only: twenty senders queue at two sync workers.
    assert max(latencies) < 10_000

    result = settle(fault=FAULT, attempted=GIFTS, since=started, within=210)
    result.assert_exact()
    refunded_in_full = sum(refund_of(n) == "full" for n in range(GIFTS))
    assert (result.recorded, result.charged, result.receipts_sent) == (GIFTS, GIFTS, GIFTS - refunded_in_full)

    # Stored once and processed once: a failed attempt (a deadlock, a
    # lock timeout) would show as a second attempt.
    wait_for(
        lambda: not StripeEvent.objects.exclude(status=StripeEvent.Status.PROCESSED).exists(),
        timeout=60,
        message="every event to be processed",
    )
    stored = Counter(StripeEvent.objects.values_list("event_id", "attempts"))
    assert stored == Counter((stripe_event["id"], 1) for stripe_event in distinct)
    # Still exact once the stale events that change nothing are done too.
    audit(fault=FAULT, attempted=GIFTS, mail_dir=stack.mail_dir).assert_exact()
    assert_each_refund_recorded_once(distinct)
    kept = sum(gift.kept_minor for gift in Donation.objects.all())
    assert kept == sum(
        1000 + n - {"partial": PARTIAL_REFUND_MINOR, "full": 1000 + n, None: 0}[refund_of(n)] for n in range(GIFTS)
    )
    assert_each_email_sent_once(stack.mail_dir)
    campaign = request(f"{stack.web.url}/api/campaigns/dressember-2026/")
    assert campaign.body["raised_minor"] == kept


def assert_each_refund_recorded_once(distinct: list[dict]) -> None:
    """Each refund made in Stripe is one Refund row, however often it was told."""
    made_in_stripe = [
        (refund["id"], refund["amount"], Refund.Status.SUCCEEDED)
        for stripe_event in distinct
        if stripe_event["type"] == "charge.refunded"
        for refund in stripe_event["data"]["object"]["refunds"]["data"]
    ]
    assert sorted(Refund.objects.values_list("stripe_refund_id", "amount_minor", "status")) == sorted(made_in_stripe)


def assert_each_email_sent_once(mail_dir) -> None:
    """A receipt that reached the donor before a full refund voided it is
    taken back by one void notice; no email of any kind goes out twice."""
    # A send under way when its receipt was voided still finishes (sent_at).
    wait_for(
        lambda: (
            not (
                VoidNotice.objects.exclude(status=VoidNotice.Status.SENT).exists()
                or Receipt.objects.filter(attempts__gt=0, sent_at=None).exists()
            )
        ),
        timeout=60,
        message="every void notice, and every receipt send begun, to be done",
    )
    reached_then_voided = Receipt.objects.filter(
        status=Receipt.Status.VOID, sent_at__isnull=False, donation__status=Donation.Status.REFUNDED
    )
    assert set(VoidNotice.objects.values_list("receipt_id", flat=True)) == set(
        reached_then_voided.values_list("pk", flat=True)
    )
    emails = Counter(message["Message-ID"] for message in delivered_messages(mail_dir))
    print(
        f"{sum(emails.values())} emails, {VoidNotice.objects.count()} of them void notices; "
        f"{Receipt.objects.exclude(replaces=None).count()} corrected receipts"
    )
    assert set(emails.values()) == {1}
    assert sum(emails.values()) == (
        Receipt.objects.filter(sent_at__isnull=False).count() + VoidNotice.objects.filter(sent_at__isnull=False).count()
    )
