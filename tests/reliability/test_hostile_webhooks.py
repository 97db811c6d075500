"""POST /stripe/webhook/ under generated events, signed with our secret (so
they pass the door and reach the inbox and its handlers): every type we
handle and others, about gifts we have, with their envelope and object
fields removed or replaced by any JSON value. Whatever arrives: never a
5xx; a refusal stores nothing; an acceptance stores one event, whose
processing ends in a deliberate status and leaves the counters equal to
the ledger. Hand-picked cases: tests/donations/test_hostile_events.py
(unstorable ids, NaN, nesting) and test_stripe_webhook.py."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from donations.models import Donation, RecurringPlan, StripeEvent
from donations.selectors import counters_out_of_step
from donations.services.stripe_events import EVENT_HANDLERS
from payments.stripe import StripeUnavailable
from tests.gifts import THREE_D_SECURE_PAYMENT_METHOD, gift_body, give
from tests.reliability.hostile import (
    HOSTILE_TEXT,
    JSON_VALUES,
    PROPERTY,
    error_message_of,
    json_bytes,
    one_example,
    row_counts,
    rows_written,
)
from tests.stripe_events import (
    charge_event,
    dispute_event,
    event,
    invoice_event,
    payment_intent_event,
    refund_object,
    sign,
    stripe_object,
    subscription_event,
)

pytestmark = pytest.mark.django_db

# How processing may end: applied, or deliberately set aside. `failed` is
# only for a Stripe that cannot answer (retried by the sweep), never for an
# event whose shape surprised a handler.
SETTLED = {StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED}


@pytest.fixture
def gifts(client, fundraiser, make_gift, django_capture_on_commit_callbacks):
    """What events can be about: a paid gift, one awaiting 3-D Secure, and a
    monthly plan with its first month paid."""
    paid = make_gift(fundraiser=fundraiser, team=fundraiser.team)
    with django_capture_on_commit_callbacks(execute=True):
        give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD, donor__email="bo@example.org"))
        give(client, gift_body(frequency="monthly", amount_minor=2500, donor__email="cy@example.org"))
    awaiting = Donation.objects.get(status=Donation.Status.REQUIRES_ACTION)
    return {"paid": paid, "awaiting": awaiting, "plan": RecurringPlan.objects.get()}


def events_about(gifts) -> list:
    """One strategy per kind of event we handle, about a gift we have."""
    paid, awaiting, plan = gifts["paid"], gifts["awaiting"], gifts["plan"]
    donations = st.sampled_from([paid, awaiting])
    intent_types = st.sampled_from([t for t in EVENT_HANDLERS if t.startswith("payment_intent.")])
    intent_statuses = st.sampled_from(["succeeded", "requires_action", "canceled", "requires_payment_method"])
    dispute_types = st.sampled_from([t for t in EVENT_HANDLERS if t.startswith("charge.dispute.")])
    invoice_types = st.sampled_from([t for t in EVENT_HANDLERS if t.startswith("invoice.")])
    subscription_types = st.sampled_from([t for t in EVENT_HANDLERS if t.startswith("customer.subscription.")])
    amounts = st.one_of(st.sampled_from([0, 1, 2500, 5000, 5150, 10**9]), st.integers())
    return [
        st.builds(lambda t, d, s: payment_intent_event(t, d, status=s), intent_types, donations, intent_statuses),
        st.builds(
            lambda t, amount: charge_event(
                t, paid, amount_refunded=amount, refunds=[refund_object(amount)] if amount else []
            ),
            st.sampled_from(["charge.refunded", "charge.succeeded"]),
            amounts,
        ),
        st.builds(
            lambda t, s: dispute_event(t, paid, status=s),
            dispute_types,
            st.sampled_from(["needs_response", "won", "lost", "warning_closed"]),
        ),
        st.builds(
            lambda t, amount, new: invoice_event(
                t, subscription_id=plan.stripe_subscription_id, amount=amount, new_api_shape=new
            ),
            invoice_types,
            amounts,
            st.booleans(),
        ),
        st.builds(
            lambda t, s: subscription_event(
                t, subscription_id=plan.stripe_subscription_id, status=s, plan_public_id=str(plan.public_id)
            ),
            subscription_types,
            st.sampled_from(["active", "past_due", "canceled", "unpaid", "incomplete_expired"]),
        ),
        st.builds(
            lambda t, kind: event(t, stripe_object(kind)),
            st.one_of(st.sampled_from([*EVENT_HANDLERS, "payout.paid", "plan.created"]), HOSTILE_TEXT),
            st.sampled_from(["payment_intent", "charge", "dispute", "invoice", "subscription", "refund", "plan"]),
        ),
    ]


@st.composite
def mutated(draw, events) -> dict:
    """An event with some of its object's fields (or its envelope's)
    removed or replaced by any JSON value."""
    stripe_event = draw(events)
    obj = stripe_event["data"]["object"]
    for target, fields in ((obj, sorted(obj)), (stripe_event, ["id", "type", "data", "api_version", "livemode"])):
        for field in draw(st.lists(st.sampled_from(fields), max_size=2, unique=True)):
            if draw(st.booleans()):
                target.pop(field, None)
            else:
                target[field] = draw(JSON_VALUES)
    return stripe_event


def post_signed(client, raw: bytes):
    return client.post("/stripe/webhook/", data=raw, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(raw))


@PROPERTY
@given(data=st.data())
def test_any_signed_event_is_answered_deliberately_stored_once_and_settled_with_totals_equal_to_the_ledger(
    client, gifts, django_capture_on_commit_callbacks, data
):
    stripe_event = data.draw(mutated(st.one_of(events_about(gifts))))
    with one_example():
        before = row_counts()
        stored_before = set(StripeEvent.objects.values_list("pk", flat=True))
        try:
            with django_capture_on_commit_callbacks(execute=True):
                response = post_signed(client, json_bytes(stripe_event))
        except StripeUnavailable:
            # Only the processing (after the answer) calls Stripe: the event
            # is stored, marked failed, and the sweep retries it.
            assert StripeEvent.objects.exclude(pk__in=stored_before).get().status == StripeEvent.Status.FAILED
            return

        assert response.status_code < 500, response.content[:500]
        if response.status_code != 200:
            assert 400 <= response.status_code < 500
            assert error_message_of(response)
            assert rows_written(before) == {}
            return
        assert response.json() == {"received": True, "duplicate": False}
        stored = StripeEvent.objects.exclude(pk__in=stored_before).get()
        assert stored.status in SETTLED, (stored.status, stored.last_error)
        assert counters_out_of_step() == {}


@PROPERTY
@given(raw=st.one_of(st.binary(max_size=200), st.builds(json_bytes, JSON_VALUES)))
def test_any_signed_body_that_is_no_event_is_a_400_and_stores_nothing(client, db, raw):
    with one_example():
        before = row_counts()
        response = post_signed(client, raw)

        assert response.status_code == 400, response.content[:500]
        assert error_message_of(response)
        assert rows_written(before) == {}


@PROPERTY
@given(raw=st.builds(json_bytes, JSON_VALUES), signature=st.one_of(HOSTILE_TEXT, st.just("t=1,v1=00")))
def test_any_body_with_a_forged_signature_is_a_400_and_stores_nothing(client, db, raw, signature):
    with one_example():
        before = row_counts()
        try:
            response = client.post(
                "/stripe/webhook/", data=raw, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
            )
        except UnicodeEncodeError:
            return  # no client can send a lone surrogate in a header

        assert response.status_code == 400
        assert rows_written(before) == {}


# --- Over STRIPE_WEBHOOK_MAX_BYTES --------------------------------------------------------
# Declared honestly: test_stripe_webhook.py's test_signed_2_mib_event_is_413_and_stores_nothing.
# Nested 5,000 deep: test_hostile_events.py's
# test_signed_event_nested_deeper_than_stripe_nests_is_400_and_stores_nothing.


@pytest.mark.parametrize("content_length", ["10", "", "-1", "junk"])
def test_signed_event_over_the_size_limit_that_misstates_its_length_is_refused_and_stores_nothing(
    client, db, settings, content_length
):
    settings.STRIPE_WEBHOOK_MAX_BYTES = 4096
    raw = json_bytes(event("plan.created", stripe_object("plan", nickname="x" * 4096)))

    response = client.post(
        "/stripe/webhook/",
        data=raw,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(raw),
        CONTENT_LENGTH=content_length,
    )

    # Read no further than the declared length (or the cap): what is left
    # is no longer the signed body.
    assert response.status_code in (400, 413)
    assert error_message_of(response)
    assert not StripeEvent.objects.exists()


def test_signed_event_exactly_at_the_size_limit_is_stored(client, db, settings):
    raw = json_bytes(event("plan.created", stripe_object("plan")))
    settings.STRIPE_WEBHOOK_MAX_BYTES = len(raw)

    assert post_signed(client, raw).status_code == 200
    assert StripeEvent.objects.count() == 1


# --- What the properties found ------------------------------------------------------------


@pytest.mark.parametrize(
    "invoice_fields",
    [
        pytest.param({"amount": 0}, id="zero-dollar-invoice"),
        pytest.param({"amount": 2500, "currency": "eur"}, id="other-currency"),
    ],
)
@pytest.mark.parametrize("event_type", ["invoice.paid", "invoice.payment_failed"])
def test_renewal_invoice_that_is_no_month_of_the_plan_is_ignored_not_a_gift_failing_forever(
    gifts, deliver_events, event_type, invoice_fields
):
    plan = gifts["plan"]
    deliver_events(invoice_event(event_type, subscription_id=plan.stripe_subscription_id, **invoice_fields))

    stored = StripeEvent.objects.get(type=event_type)
    assert stored.status == StripeEvent.Status.IGNORED
    assert "not a month of this plan" in stored.ignored_reason
    assert plan.donations.count() == 1
    assert counters_out_of_step() == {}


@pytest.mark.parametrize("field", ["amount_refunded", "refund"])
def test_charge_event_with_a_negative_refund_is_ignored_and_the_gift_keeps_its_money(gifts, deliver_events, field):
    paid = gifts["paid"]
    if field == "refund":
        refunded = charge_event("charge.refunded", paid, amount_refunded=100, refunds=[refund_object(-1)])
    else:
        refunded = charge_event("charge.refunded", paid, amount_refunded=-100)

    deliver_events(refunded)

    stored = StripeEvent.objects.get(type="charge.refunded")
    assert stored.status == StripeEvent.Status.IGNORED
    assert "(a whole number)" in stored.ignored_reason
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_minor) == (Donation.Status.SUCCEEDED, 0)
    assert counters_out_of_step() == {}
