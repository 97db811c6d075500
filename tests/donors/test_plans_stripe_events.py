"""customer.subscription.updated carrying Stripe's pause_collection (a
pause made or ended in Stripe's dashboard, or ended by Stripe at its
resumes_at): the plan follows it, once, in whatever order the events come.
localstripe sends no such event, so these are built from Stripe's example
subscription (tests/stripe_events.py) and signed as Stripe signs them."""

import copy
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from donations.models import PlanChange, StripeEvent
from donations.services import recurring
from tests.stripe_events import event

pytestmark = pytest.mark.django_db


def updated(fake_stripe, plan, *, pause) -> dict:
    """The event Stripe sends once the subscription's pause_collection is
    `pause`, Stripe holding it so too (the fake is Stripe here)."""
    subscription = fake_stripe.objects[plan.stripe_subscription_id]
    subscription["pause_collection"] = pause
    return event("customer.subscription.updated", copy.deepcopy(subscription))


def a_pause(days: int) -> dict:
    return {"behavior": "void", "resumes_at": int((timezone.now() + timedelta(days=days)).timestamp())}


def test_an_event_pausing_the_subscription_pauses_the_plan_once_however_often_it_comes(
    monthly_plan, fake_stripe, deliver_events, mailoutbox
):
    pause = a_pause(40)
    paused = updated(fake_stripe, monthly_plan, pause=pause)
    mailoutbox.clear()

    deliver_events(paused)
    deliver_events(paused)  # Stripe sent it again
    deliver_events({**paused, "id": paused["id"] + "_again"})  # or a copy under a new id

    monthly_plan.refresh_from_db()
    assert monthly_plan.paused_until == datetime.fromtimestamp(pause["resumes_at"], tz=UTC)
    assert list(PlanChange.objects.values_list("kind", flat=True)) == ["paused"]
    [email] = mailoutbox
    assert "has been paused" in email.subject
    assert StripeEvent.objects.filter(status="processed").count() == 2


def test_an_event_ending_the_pause_resumes_the_plan_and_tells_the_donor_once(
    monthly_plan, fake_stripe, deliver_events, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recurring.pause(plan=monthly_plan, months=1)
    resumed = updated(fake_stripe, monthly_plan, pause=None)
    mailoutbox.clear()

    deliver_events(resumed)
    deliver_events({**resumed, "id": resumed["id"] + "_again"})

    monthly_plan.refresh_from_db()
    assert monthly_plan.paused_until is None
    assert PlanChange.objects.filter(kind="resumed").count() == 1
    [email] = mailoutbox
    assert "has resumed" in email.subject


def test_our_own_pause_echoed_back_by_stripe_changes_nothing(
    monthly_plan, fake_stripe, deliver_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recurring.pause(plan=monthly_plan, months=2)
    calls_before = len(fake_stripe.calls)

    deliver_events(fake_stripe.events_of("customer.subscription.updated")[-1])

    assert PlanChange.objects.count() == 1
    assert len(fake_stripe.calls) == calls_before  # not even a look at Stripe


def test_an_old_pause_event_arriving_after_the_resume_leaves_the_plan_resumed(
    monthly_plan, fake_stripe, deliver_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recurring.pause(plan=monthly_plan, months=1)
    paused_event = fake_stripe.events_of("customer.subscription.updated")[-1]
    with django_capture_on_commit_callbacks(execute=True):
        recurring.resume(plan=monthly_plan)

    deliver_events(paused_event)  # late: Stripe no longer holds that pause

    monthly_plan.refresh_from_db()
    assert monthly_plan.paused_until is None
    assert list(PlanChange.objects.order_by("made_at").values_list("kind", flat=True)) == ["paused", "resumed"]


def test_an_event_for_a_stopped_plan_does_not_pause_it(
    monthly_plan, fake_stripe, deliver_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recurring.cancel(plan=monthly_plan, by_donor=True)

    deliver_events(updated(fake_stripe, monthly_plan, pause=a_pause(30)))

    monthly_plan.refresh_from_db()
    assert (monthly_plan.status, monthly_plan.paused_until) == ("canceled", None)
