"""Real payloads nobody here wrote, signed and sent to the webhook: the 70
events of dj-stripe's test suite (tests/fixtures/djstripe-events, MIT) and
Stripe's own example objects (tests/fixtures/stripe, MIT), as they are and
as every event type we handle that carries their kind of object; and
objects missing what our handlers read. Each is answered 200 and ends
processed or ignored, never failed: a shape we cannot read is not one of
our gifts, so nothing is Stripe's to resend or ours to fix."""

import copy

import pytest

from donations.models import Donation, StripeEvent
from tests.gifts import THREE_D_SECURE_PAYMENT_METHOD, gift_body, give
from tests.stripe_events import FIXTURES, event, invoice_event, payment_intent_event, post_event, stripe_object
from tests.stripe_payloads import DJSTRIPE_EVENTS, as_handled_events, handled_types, object_kind

pytestmark = pytest.mark.django_db

HANDLED_TYPES = handled_types()


def assert_answered_and_settled(response):
    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.status in (StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED), stored.last_error
    return stored


@pytest.mark.parametrize("name", sorted(DJSTRIPE_EVENTS))
def test_djstripe_event_is_answered_200_and_processed_or_ignored(client, db, name, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, DJSTRIPE_EVENTS[name])

    assert_answered_and_settled(response)


def test_stripes_example_event_is_answered_200_and_processed_or_ignored(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, FIXTURES["event"])

    assert_answered_and_settled(response)


@pytest.mark.parametrize(
    ("event_type", "obj"),
    [pytest.param(event_type, obj, id=f"{event_type}<-{source}") for event_type, source, obj in as_handled_events()],
)
def test_example_object_as_a_handled_event_is_answered_200_and_processed_or_ignored(
    client, campaign, event_type, obj, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, event(event_type, copy.deepcopy(obj)))

    assert_answered_and_settled(response)


def partial_objects():
    """For each handled type: an object of its kind with nothing but an id,
    one without even an id, and an object of another kind."""
    for event_type in HANDLED_TYPES:
        kind = object_kind(event_type)
        yield pytest.param(event_type, {"id": f"{kind}_partial", "object": kind}, id=f"{event_type}-only-an-id")
        yield pytest.param(event_type, {"object": kind, "amount": 100}, id=f"{event_type}-without-an-id")
        yield pytest.param(event_type, stripe_object("product"), id=f"{event_type}-carrying-a-product")


@pytest.mark.parametrize(("event_type", "obj"), list(partial_objects()))
def test_handled_event_whose_object_lacks_what_its_handler_reads_is_ignored_with_a_reason(
    client, campaign, event_type, obj, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, event(event_type, obj))

    stored = assert_answered_and_settled(response)
    if stored.status == StripeEvent.Status.IGNORED:
        assert stored.ignored_reason


def test_paid_invoice_without_a_currency_is_ignored_naming_the_field_not_failed(
    client, db, django_capture_on_commit_callbacks
):
    paid = invoice_event("invoice.paid", subscription_id="sub_unknown", amount=2500)
    del paid["data"]["object"]["currency"]

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, paid)

    stored = assert_answered_and_settled(response)
    assert stored.status == StripeEvent.Status.IGNORED
    assert (
        stored.ignored_reason
        == f"incomplete object: invoice {paid['data']['object']['id']!r} has no currency (a string)"
    )
    assert stored.last_error == ""


def test_success_event_carrying_a_charge_with_the_gifts_metadata_is_ignored_and_the_gift_untouched(
    client, campaign, django_capture_on_commit_callbacks
):
    """An object of another kind is not read as the kind the type names,
    even when its fields would pass for one."""
    give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD))
    gift = Donation.objects.get()
    succeeded = payment_intent_event("payment_intent.succeeded", gift, status="succeeded")
    succeeded["data"]["object"]["object"] = "charge"

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, succeeded)

    stored = StripeEvent.objects.get()
    assert stored.status == StripeEvent.Status.IGNORED
    assert "is not a payment_intent" in stored.ignored_reason
    gift.refresh_from_db()
    assert gift.status == Donation.Status.REQUIRES_ACTION


def test_unknown_type_and_foreign_payment_are_ignored_saying_why(client, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, event("plan.created", stripe_object("plan"), event_id="evt_plan"))
        post_event(
            client,
            event(
                "payment_intent.succeeded",
                stripe_object("payment_intent", status="succeeded", metadata={}),
                event_id="evt_foreign",
            ),
        )

    reasons = dict(StripeEvent.objects.values_list("event_id", "ignored_reason"))
    assert reasons == {"evt_plan": "no handler for this event type", "evt_foreign": "not one of ours"}
