"""The donor's changes to a monthly gift from its link: each confirmed to
the donor by one email, raises capped, and every change made under the
plan's lock before Stripe is called."""

import threading

import pytest
from django.db import connection

from donations.models import PlanChange, RecurringPlan
from donations.selectors import plan_management_path
from donations.services import recurring
from payments import stripe as stripe_gateway
from tests.gifts import DECLINING_PAYMENT_METHOD, gift_body, give

pytestmark = pytest.mark.django_db


def quantity_at_stripe(fake_stripe, plan: RecurringPlan) -> int:
    return fake_stripe.objects[plan.stripe_subscription_id]["items"]["data"][0]["quantity"]


def test_changing_the_amount_sends_the_donor_exactly_one_email_with_the_old_and_new_amounts(
    client, monthly_plan, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(plan_management_path(monthly_plan), {"action": "change", "amount": "40.00"})

    [email] = mailoutbox
    assert email.to == ["ada@example.org"]
    assert "has been changed" in email.subject
    assert "from $25.00 to $40.00 a month" in email.body
    assert "<strong>$25.00</strong> to <strong>$40.00</strong>" in email.alternatives[0][0]
    change = PlanChange.objects.get()
    assert (change.kind, change.old_monthly_minor, change.new_monthly_minor) == ("amount", 2500, 4000)
    assert email.extra_headers["Message-ID"].startswith(f"<plan-change-{change.pk}@")

    # The task delivered again (a worker lost after sending) sends nothing more.
    assert recurring.send_plan_change_notice(change_id=change.pk) is False
    assert len(mailoutbox) == 1


def test_the_change_email_carries_a_link_that_opens_the_page(
    client, monthly_plan, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        recurring.change_amount(plan=monthly_plan, amount_minor=3000)

    [email] = mailoutbox
    path = "/monthly/" + email.body.split("/monthly/")[1].split()[0]
    assert "$30.00 a month" in client.get(path).content.decode()


def test_two_changes_send_two_emails_each_with_its_own_amounts(
    monthly_plan, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        recurring.change_amount(plan=monthly_plan, amount_minor=4000)
        recurring.change_amount(plan=monthly_plan, amount_minor=1000)

    assert [("from $25.00 to $40.00" in m.body, "from $40.00 to $10.00" in m.body) for m in mailoutbox] == [
        (True, False),
        (False, True),
    ]


def test_the_same_amount_sent_again_asks_nothing_of_stripe_and_sends_no_second_email(
    client, monthly_plan, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    path = plan_management_path(monthly_plan)
    with django_capture_on_commit_callbacks(execute=True):
        answers = [client.post(path, {"action": "change", "amount": "40.00"}) for _ in range(2)]

    assert [answer.status_code for answer in answers] == [302, 302]
    assert len(mailoutbox) == 1
    assert PlanChange.objects.count() == 1
    assert len(fake_stripe.calls_to("change_subscription_quantity")) == 1
    monthly_plan.refresh_from_db()
    assert monthly_plan.amount_minor == quantity_at_stripe(fake_stripe, monthly_plan) == 4000


def test_stopping_the_gift_sends_the_donor_exactly_one_email_even_if_stopped_twice(
    client, monthly_plan, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    path = plan_management_path(monthly_plan)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path, {"action": "cancel"})
        client.post(path, {"action": "cancel"})

    [email] = mailoutbox
    assert email.to == ["ada@example.org"]
    assert "has been stopped" in email.subject
    assert "monthly gift of $25.00" in email.body
    assert "/monthly/" not in email.body
    change = PlanChange.objects.get()
    assert (change.kind, change.old_monthly_minor, change.new_monthly_minor) == ("stopped", 2500, 0)
    assert len(fake_stripe.calls_to("cancel_subscription")) == 1


def test_a_plan_stopped_because_its_first_payment_failed_sends_no_stop_email(
    client, campaign, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = give(client, gift_body(frequency="monthly", payment_method=DECLINING_PAYMENT_METHOD))

    assert response.status_code == 402
    assert RecurringPlan.objects.get().status == RecurringPlan.Status.CANCELED
    assert not PlanChange.objects.exists()
    assert not [m for m in mailoutbox if "stopped" in m.subject]


def test_raising_above_twice_the_starting_amount_from_a_link_is_refused_with_a_form_error(
    client, monthly_plan, fake_stripe, mailoutbox
):
    path = plan_management_path(monthly_plan)
    mailoutbox.clear()

    too_much = client.post(path, {"action": "change", "amount": "50.01"})

    assert too_much.status_code == 400
    assert 'id="amount-error"' in too_much.content.decode()
    assert "up to $50.00, twice what it started at" in too_much.content.decode()
    monthly_plan.refresh_from_db()
    assert (monthly_plan.amount_minor, quantity_at_stripe(fake_stripe, monthly_plan)) == (2500, 2500)
    assert mailoutbox == []


def test_repeated_doubling_from_a_link_stops_at_twice_the_starting_amount(client, monthly_plan, fake_stripe):
    path = plan_management_path(monthly_plan)

    assert client.post(path, {"action": "change", "amount": "50.00"}).status_code == 302
    assert client.post(path, {"action": "change", "amount": "100.00"}).status_code == 400

    monthly_plan.refresh_from_db()
    assert (monthly_plan.amount_minor, quantity_at_stripe(fake_stripe, monthly_plan)) == (5000, 5000)


def test_a_change_stripe_cannot_make_changes_nothing_and_tells_nobody(
    client, monthly_plan, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    with fake_stripe.outage(), django_capture_on_commit_callbacks(execute=True):
        answer = client.post(plan_management_path(monthly_plan), {"action": "change", "amount": "40.00"})

    assert answer.status_code == 400
    assert "could not reach our payment processor" in answer.content.decode()
    monthly_plan.refresh_from_db()
    assert monthly_plan.amount_minor == 2500
    assert not PlanChange.objects.exists()
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_changes_leave_plan_and_subscription_equal(monthly_plan, fake_stripe, monkeypatch):
    """The first change has reached Stripe and not yet saved the plan when
    the second arrives. Were Stripe called before the lock, the second
    would reach Stripe last but save first, and the plan would keep the
    first change's amount while Stripe charges the second's."""
    first_at_stripe, let_first_finish = threading.Event(), threading.Event()
    second_reached_stripe = threading.Event()
    change_at_stripe = fake_stripe.change_subscription_quantity

    def stripe_then_pause_the_first(subscription_id, quantity):
        change_at_stripe(subscription_id, quantity)
        if quantity == 3000:
            first_at_stripe.set()
            let_first_finish.wait(timeout=10)
        else:
            second_reached_stripe.set()

    monkeypatch.setattr(stripe_gateway, "change_subscription_quantity", stripe_then_pause_the_first)

    def change(amount_minor):
        try:
            recurring.change_amount(plan=monthly_plan, amount_minor=amount_minor)
        finally:
            connection.close()

    first = threading.Thread(target=change, args=(3000,))
    second = threading.Thread(target=change, args=(4000,))
    first.start()
    try:
        assert first_at_stripe.wait(timeout=10)
        second.start()
        # The second waits for the plan's lock, never reaching Stripe meanwhile.
        second_overtook = second_reached_stripe.wait(timeout=0.5)
    finally:
        let_first_finish.set()
        for thread in (first, second):
            if thread.ident is not None:  # started
                thread.join(timeout=10)

    assert not second_overtook

    monthly_plan.refresh_from_db()
    assert monthly_plan.amount_minor == quantity_at_stripe(fake_stripe, monthly_plan) == 4000
    assert list(PlanChange.objects.order_by("made_at").values_list("old_monthly_minor", "new_monthly_minor")) == [
        (2500, 3000),
        (3000, 4000),
    ]


def test_stopping_a_gift_whose_subscription_stripe_no_longer_has_stops_it_and_tells_the_donor_once(
    client, monthly_plan, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    del fake_stripe.objects[monthly_plan.stripe_subscription_id]  # deleted in Stripe's dashboard: a 404
    mailoutbox.clear()
    path = plan_management_path(monthly_plan)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(path, {"action": "cancel"})
        client.post(path, {"action": "cancel"})

    assert answer.status_code == 302
    monthly_plan.refresh_from_db()
    assert monthly_plan.status == RecurringPlan.Status.CANCELED
    [email] = mailoutbox
    assert "has been stopped" in email.subject


def test_stopping_a_gift_while_stripe_is_unreachable_is_refused_and_changes_nothing(
    client, monthly_plan, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    with fake_stripe.outage(), django_capture_on_commit_callbacks(execute=True):
        answer = client.post(plan_management_path(monthly_plan), {"action": "cancel"})

    assert answer.status_code == 400
    assert "could not reach our payment processor" in answer.content.decode()
    monthly_plan.refresh_from_db()
    assert monthly_plan.status == RecurringPlan.Status.ACTIVE
    assert not PlanChange.objects.exists()
    assert mailoutbox == []
