"""Real payloads nobody here wrote (tests/stripe_payloads.py), signed and
posted to the live stack's webhook, processed by the real worker against
localstripe: dj-stripe's 70 events, Stripe's example event, Stripe's and
dj-stripe's objects as every type we handle that carries their kind, and
Stripe's objects as types we do not handle. The in-process unit test
(tests/donations/test_stripe_fixtures.py) proves each handler's answer;
this proves the deployed processes: gunicorn never answers 5xx, the worker
settles every event (processed or ignored) and neither logs a traceback."""

import copy
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from donations.models import StripeEvent
from donations.services.stripe_events import EVENT_HANDLERS
from tests.integration.conftest import wait_for
from tests.reliability.traffic import send_event
from tests.stripe_events import FIXTURES, event
from tests.stripe_payloads import DJSTRIPE_EVENTS, as_handled_events

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

# Types Stripe sends that no handler of ours takes, with the example
# object each carries.
UNHANDLED = {
    "payment_intent.created": "payment_intent",
    "payment_intent.processing": "payment_intent",
    "charge.captured": "charge",
    "charge.updated": "charge",
    "charge.refund.updated": "refund",
    "refund.created": "refund",
    "customer.created": "customer",
    "invoice.finalized": "invoice",
    "invoice_payment.paid": "invoice_payment",
    "payment_method.attached": "payment_method",
    "setup_intent.succeeded": "setup_intent",
    "customer.subscription.trial_will_end": "subscription",
    "payout.created": "payout",
    "plan.created": "plan",
    "price.created": "price",
    "product.created": "product",
}
SETTLED = (StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED)


def real_payloads() -> list[dict]:
    """Every payload, each under an id of its own: dj-stripe's events share
    ids among them (a repeat would be stored once and the rest never
    processed), so a repeated id gets its fixture's name appended."""
    events = [copy.deepcopy(stripe_event) for stripe_event in DJSTRIPE_EVENTS.values()]
    events.append(copy.deepcopy(FIXTURES["event"]))
    events += [event(event_type, copy.deepcopy(obj)) for event_type, _source, obj in as_handled_events()]
    assert not set(UNHANDLED) & set(EVENT_HANDLERS), "a type listed as unhandled has a handler"
    events += [event(event_type, copy.deepcopy(FIXTURES[kind])) for event_type, kind in UNHANDLED.items()]
    seen = set()
    for number, stripe_event in enumerate(events):
        if stripe_event["id"] in seen:
            stripe_event["id"] = f"{stripe_event['id']}_{number}"
        seen.add(stripe_event["id"])
    return events


def unsettled(event_ids: set[str]) -> list[tuple[str, str, str, str]]:
    return list(
        StripeEvent.objects.filter(event_id__in=event_ids)
        .exclude(status__in=SETTLED)
        .values_list("event_id", "type", "status", "last_error")
    )


def tracebacks(log: str) -> list[str]:
    """Each traceback in a log, with the lines that say where it came from."""
    lines = log.splitlines()
    return ["\n".join(lines[max(0, i - 2) : i + 25]) for i, line in enumerate(lines) if "Traceback" in line]


@pytest.mark.timeout(180)
def test_real_stripe_payloads_on_the_live_stack_are_answered_below_500_and_settled_without_a_traceback(stack, settle):
    payloads = real_payloads()
    started = time.monotonic()

    with ThreadPoolExecutor(5) as stripe:
        answers = list(stripe.map(lambda stripe_event: send_event(stack.web.url, stripe_event), payloads))

    sent = list(zip(payloads, answers, strict=True))
    assert not [(e["id"], e["type"], a.status, a.body) for e, a in sent if a.status >= 500]
    refused = [(e["type"], a.body) for e, a in sent if 400 <= a.status < 500]
    # A refusal is deliberate: JSON naming its reason, never a bare page.
    assert all(isinstance(body, dict) and body.get("error", {}).get("code") for _, body in refused), refused
    accepted = {e["id"] for e, a in sent if 200 <= a.status < 300}
    assert StripeEvent.objects.filter(event_id__in=accepted).count() == len(accepted)
    try:
        wait_for(lambda: not unsettled(accepted), timeout=60, message="every event processed or ignored")
    except AssertionError:
        raise AssertionError(f"not processed nor ignored: {unsettled(accepted)}") from None

    result = settle(fault=f"real Stripe payloads, {len(payloads)} events", attempted=0, since=started, within=30)
    result.assert_exact()
    for log in (stack.worker.log_path.read_text(errors="replace"), stack.web.log()):
        found = tracebacks(log)
        assert not found, "\n\n".join(found)
