"""PostgreSQL cut off from the whole stack for 10 s (every connection
reset, new ones refused), with Stripe's events for real gifts arriving
meanwhile. Stripe hears 503 and delivers again until we answer 2xx; each
event is then processed once. Visitors get the friendly 503 page, the API
JSON 503, and a gift attempted meanwhile is refused before Stripe is
asked, so nothing is charged."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from donations.models import Donation, StripeEvent
from receipts.models import Receipt
from tests.gifts import THREE_D_SECURE_CARD
from tests.integration.conftest import wait_for
from tests.localstripe import authenticate, card_payment_method, sdk_client
from tests.reliability.traffic import deliver_like_stripe, give, request
from tests.stripe_events import event

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

CUT_SECONDS = 10
FRIENDLY_503 = "We'll be back in a moment"
# Gifts whose completion only an event brings (3-D Secure: the donor
# passed the bank's check in Stripe, and we hear of it by webhook), and
# gifts already paid whose success Stripe sends again.
AWAITING_EVENT = 4
ALREADY_PAID = 2
ATTEMPTED_DURING_CUT = 3
# The campaign's, a team's and a fundraiser's page, each with its gift form.
PAGES = (
    "/campaigns/dressember-2026/",
    "/campaigns/dressember-2026/teams/freedom-threads/",
    "/campaigns/dressember-2026/fundraisers/ada-lee/",
)


def all_intent_ids() -> set[str]:
    return {intent.id for intent in sdk_client().v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()}


def sessions_of_the_stack() -> int:
    """PostgreSQL's sessions on this database other than the test's own:
    every other one is the stack's, through the proxy."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def succeeded_event_for(intent_id: str) -> dict:
    """Stripe's payment_intent.succeeded, carrying the intent as
    localstripe holds it."""
    return event("payment_intent.succeeded", sdk_client().v1.payment_intents.retrieve(intent_id).to_dict())


def gifts_awaiting_their_event(base_url: str) -> list[str]:
    """3-D Secure gifts the donor authenticated in Stripe: paid there,
    `requires_action` here until the event arrives. Their intents' ids."""
    intent_ids = []
    for number in range(AWAITING_EVENT):
        answer = give(base_url, number, payment_method=card_payment_method(THREE_D_SECURE_CARD))
        assert (answer.status, answer.body["status"]) == (201, "requires_action"), answer.body
        authenticate(answer.body["client_secret"], success=True)
        intent_ids.append(answer.body["client_secret"].split("_secret_")[0])
    return intent_ids


def gifts_already_paid(base_url: str) -> list[str]:
    intent_ids = []
    for number in range(AWAITING_EVENT, AWAITING_EVENT + ALREADY_PAID):
        answer = give(base_url, number)
        assert (answer.status, answer.body["status"]) == (201, "succeeded"), answer.body
        intent_ids.append(Donation.objects.get(public_id=answer.body["id"]).payment_intent_id)
    return intent_ids


def assert_json_503(answer) -> None:
    assert answer.status == 503, answer.body
    assert answer.headers["Retry-After"] == "30"
    assert answer.is_json and answer.body["error"]["code"] == "service_unavailable", answer.body


def assert_friendly_503_page(answer) -> None:
    assert answer.status == 503, answer.body
    assert answer.headers["Retry-After"] == "30"
    assert answer.headers["Content-Type"].startswith("text/html")
    assert FRIENDLY_503 in answer.body
    assert "Traceback" not in answer.body


@pytest.mark.timeout(180)
def test_events_sent_while_postgresql_is_cut_are_refused_503_then_redelivered_and_processed_once(
    stack, settle, fundraiser
):
    base = stack.web.url
    paid = gifts_already_paid(base)
    # Their receipts and fees done first: the worker's pool processes then
    # hold connections the cut will reset, as a busy worker's would.
    wait_for(
        lambda: (
            Receipt.objects.filter(status=Receipt.Status.SENT).count() == ALREADY_PAID
            and not Donation.objects.filter(stripe_fee_minor=None).exists()
        ),
        message="the paid gifts' receipts and fees",
    )
    awaiting = gifts_awaiting_their_event(base)
    events = [succeeded_event_for(intent_id) for intent_id in awaiting + paid]
    intents_before_cut = all_intent_ids()
    restored = threading.Event()
    restored_at = 0.0

    def restore() -> None:
        nonlocal restored_at
        stack.database_proxy.restore()
        restored_at = time.monotonic()
        restored.set()

    stack.database_proxy.cut()
    cut_at = time.monotonic()
    wait_for(lambda: not sessions_of_the_stack(), timeout=5, message="PostgreSQL to end the stack's sessions")
    threading.Timer(CUT_SECONDS, restore).start()
    with ThreadPoolExecutor(len(events)) as stripe:
        deliveries = stripe.map(lambda stripe_event: deliver_like_stripe(base, stripe_event, within=60), events)

        healthz_started = time.monotonic()
        health = request(f"{base}/healthz")
        healthz_seconds = time.monotonic() - healthz_started
        pages = [request(f"{base}{path}") for path in PAGES]
        api = request(f"{base}/api/campaigns/dressember-2026/")
        refused_gifts = [
            give(base, 100 + number, headers={"Idempotency-Key": f"during-the-cut-{number}"})
            for number in range(ATTEMPTED_DURING_CUT)
        ]
        probes_done_while_cut = not restored.is_set()
        deliveries = list(deliveries)

    assert probes_done_while_cut, "the probes outlasted the cut: nothing above proves what a cut looks like"
    assert (health.status, health.body["database"].startswith("down"), health.body["broker"]) == (503, True, "ok")
    assert healthz_seconds < 1.5
    for page in pages:
        assert_friendly_503_page(page)
    assert_json_503(api)
    for answer in refused_gifts:
        assert_json_503(answer)

    for delivery in deliveries:
        statuses = [answer.status for _, answer in delivery.attempts]
        assert delivery.accepted, statuses
        assert set(statuses) <= {200, 503}, statuses
        sent_at, first = delivery.attempts[0]
        assert sent_at < cut_at + CUT_SECONDS
        assert_json_503(first)
        # Accepted by the first delivery after the restore (or by one sent
        # as it happened): Stripe's next try finds us back.
        assert len([sent for sent, _ in delivery.attempts if sent >= restored_at]) <= 1, statuses

    # The gifts refused while cut never reached Stripe; their donors, told
    # to come back, give again with the same key and are charged once.
    assert all_intent_ids() == intents_before_cut
    for number in range(ATTEMPTED_DURING_CUT):
        again = give(base, 100 + number, headers={"Idempotency-Key": f"during-the-cut-{number}"})
        assert (again.status, again.body["status"]) == (201, "succeeded"), again.body

    gifts = AWAITING_EVENT + ALREADY_PAID + ATTEMPTED_DURING_CUT
    result = settle(fault=f"PostgreSQL cut for {CUT_SECONDS} s", attempted=gifts, since=restored_at, within=60)
    result.assert_exact()
    assert (result.recorded, result.charged, result.receipts_sent) == (gifts, gifts, gifts)
    stored = StripeEvent.objects.filter(type="payment_intent.succeeded")
    assert sorted(stored.values_list("event_id", flat=True)) == sorted(e["id"] for e in events)
    assert {(e.status, e.attempts) for e in stored} == {(StripeEvent.Status.PROCESSED, 1)}
    assert [request(f"{base}{path}").status for path in PAGES] == [200] * len(PAGES)
