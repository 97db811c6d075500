"""Redis (the shared cache and the broker, keeping nothing on disk) killed
for 20 s while donors give and Stripe's webhooks arrive, then started
again empty. No donor gets a 5xx, and once it is back every gift is
charged, recorded, fee'd and receipted exactly once without anyone acting.

The bound: tasks whose enqueue found Redis down were parked and run
within seconds of its return (core/task_queue.py); tasks that were inside
Redis when it died are gone with it, and their sweeps queue them again
once the work is older than the sweep's age (2 min for a fee, 1 min for an
email or an event) plus one 30 s period: 150 s, plus the time to run."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.gifts import THREE_D_SECURE_CARD
from tests.localstripe import authenticate, card_payment_method
from tests.reliability.traffic import Answer, give, give_many

OUTAGE_SECONDS = 20
RECOVERY_BOUND_SECONDS = 200

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(RECOVERY_BOUND_SECONDS + 180),
]


def give_with_3d_secure(base_url: str, number: int, payment_method: str) -> Answer:
    """A gift whose bank asks for 3-D Secure: answered pending, and
    completed only by the webhook Stripe sends once the donor passes."""
    answer = give(base_url, number, payment_method=payment_method)
    if answer.is_json and answer.body.get("client_secret"):
        authenticate(answer.body["client_secret"], success=True)
    return answer


def test_redis_killed_while_donors_give_loses_and_doubles_nothing_and_answers_no_5xx(
    stack, settle, localstripe_webhooks_to
):
    localstripe_webhooks_to(f"{stack.web.url}/stripe/webhook/")
    secure_card = card_payment_method(THREE_D_SECURE_CARD)
    before = give_many(stack.web.url, 15)

    stack.redis.kill()
    killed_at = time.monotonic()
    with ThreadPoolExecutor(5) as pool:
        secure = list(pool.map(lambda number: give_with_3d_secure(stack.web.url, number, secure_card), range(50, 55)))
    during = give_many(stack.web.url, 20, first_number=100)
    assert time.monotonic() - killed_at < OUTAGE_SECONDS, "the outage ended before its gifts were made"
    time.sleep(max(0.0, killed_at + OUTAGE_SECONDS - time.monotonic()))  # the outage's own length
    stack.redis.start()
    back_at = time.monotonic()
    after = give_many(stack.web.url, 10, first_number=200)

    answers = before + secure + during + after
    server_errors = [answer for answer in answers if answer.status >= 500]
    assert not server_errors, server_errors
    assert [answer.status for answer in before + during + after] == [201] * 45
    assert all(answer.body["status"] == "requires_action" for answer in secure), secure
    result = settle(
        fault=f"Redis killed for {OUTAGE_SECONDS} s while donors give",
        attempted=len(answers),
        since=back_at,
        within=RECOVERY_BOUND_SECONDS,
        server_errors=len(server_errors),
    )
    result.assert_exact()
    assert (result.recorded, result.charged, result.receipts_sent) == (50, 50, 50)
