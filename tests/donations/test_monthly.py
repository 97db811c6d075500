"""Monthly gifts: a Stripe subscription per plan; each paid invoice one
gift, attributed like the first; failures recorded; the donor changes or
stops the gift from a signed link."""

import re

import pytest
from django.conf import settings

from donations.models import Donation, RecurringPlan
from donations.selectors import PlanLink, counter_tallies, counters_out_of_step, plan_management_url, read_plan_link
from receipts.models import Receipt
from tests.gifts import DECLINING_PAYMENT_METHOD, THREE_D_SECURE_PAYMENT_METHOD, gift_body, give
from tests.stripe_events import invoice_event, subscription_event

pytestmark = pytest.mark.django_db


def test_monthly_gift_starts_a_subscription_and_its_first_gift(client, monthly_plan, mailoutbox, fake_stripe):
    first = Donation.objects.get()
    assert first.status == Donation.Status.SUCCEEDED
    assert (first.frequency, first.recurring_plan, first.amount_minor) == ("monthly", monthly_plan, 2500)
    assert first.invoice_id.startswith("in_")
    assert monthly_plan.status == RecurringPlan.Status.ACTIVE
    subscription = fake_stripe.objects[monthly_plan.stripe_subscription_id]
    assert subscription["status"] == "active"
    assert subscription["items"]["data"][0]["quantity"] == 2500
    assert len(mailoutbox) == 1


def test_two_renewals_make_two_more_gifts_and_receipts_attributed_like_the_first(
    monthly_plan, deliver_events, mailoutbox
):
    subscription = monthly_plan.stripe_subscription_id
    second = invoice_event("invoice.paid", subscription_id=subscription, amount=2500)
    third = invoice_event("invoice.payment_succeeded", subscription_id=subscription, amount=2500, new_api_shape=True)

    deliver_events(second, second, third)

    gifts = list(Donation.objects.order_by("created_at"))
    assert len(gifts) == 3
    assert {(g.status, g.team_id, g.fund.slug, g.recurring_plan_id) for g in gifts} == {
        ("succeeded", monthly_plan.team_id, "rescue", monthly_plan.pk)
    }
    assert {g.invoice_id for g in gifts[1:]} == {second["data"]["object"]["id"], third["data"]["object"]["id"]}
    assert Receipt.objects.count() == 3
    assert len(mailoutbox) == 3
    tally = counter_tallies(campaign_id=monthly_plan.campaign_id)[
        (monthly_plan.campaign_id, monthly_plan.team_id, None)
    ]
    assert (tally.raised_minor, tally.gift_count, tally.donor_count) == (7500, 3, 1)
    assert counters_out_of_step() == {}


def test_failed_renewal_is_recorded_and_the_donor_told_once_then_a_retry_pays_it(
    monthly_plan, deliver_events, mailoutbox
):
    mailoutbox.clear()
    failed = invoice_event(
        "invoice.payment_failed",
        subscription_id=monthly_plan.stripe_subscription_id,
        amount=2500,
        status="open",
        invoice_id="in_renewal_2",
    )

    deliver_events(failed, failed)

    renewal = Donation.objects.get(invoice_id="in_renewal_2")
    assert (renewal.status, renewal.failure_code) == ("failed", "renewal_failed")
    monthly_plan.refresh_from_db()
    assert monthly_plan.status == RecurringPlan.Status.PAST_DUE
    [notice] = mailoutbox
    assert "could not be charged" in notice.subject
    assert plan_management_url(monthly_plan) in notice.body

    deliver_events(
        invoice_event(
            "invoice.paid", subscription_id=monthly_plan.stripe_subscription_id, amount=2500, invoice_id="in_renewal_2"
        )
    )

    renewal.refresh_from_db()
    monthly_plan.refresh_from_db()
    assert renewal.status == "succeeded"
    assert monthly_plan.status == RecurringPlan.Status.ACTIVE
    assert Donation.objects.count() == 2


def test_invoice_of_someone_elses_subscription_is_ignored(monthly_plan, deliver_events):
    from donations.models import StripeEvent

    deliver_events(invoice_event("invoice.paid", subscription_id="sub_not_ours", amount=999))

    assert StripeEvent.objects.get().status == StripeEvent.Status.IGNORED
    assert Donation.objects.count() == 1


def test_donor_stops_the_gift_from_the_signed_link_and_no_later_event_restarts_it(
    client, monthly_plan, deliver_events, fake_stripe
):
    url = plan_management_url(monthly_plan).removeprefix(settings.SITE_URL)
    page = client.get(url)
    assert page.status_code == 200
    assert "$25.00 a month" in page.content.decode()

    response = client.post(url, {"action": "cancel"}, follow=True)

    assert "has been stopped" in response.content.decode()
    monthly_plan.refresh_from_db()
    assert monthly_plan.status == RecurringPlan.Status.CANCELED
    assert fake_stripe.objects[monthly_plan.stripe_subscription_id]["status"] == "canceled"

    deliver_events(
        subscription_event(
            "customer.subscription.updated", subscription_id=monthly_plan.stripe_subscription_id, status="active"
        )
    )
    monthly_plan.refresh_from_db()
    assert monthly_plan.status == RecurringPlan.Status.CANCELED


def test_donor_changes_the_amount_from_the_signed_link(client, monthly_plan, fake_stripe):
    url = plan_management_url(monthly_plan).removeprefix(settings.SITE_URL)

    response = client.post(url, {"action": "change", "amount": "40.00"}, follow=True)

    assert "now $40.00" in response.content.decode()
    monthly_plan.refresh_from_db()
    assert monthly_plan.amount_minor == 4000
    subscription = fake_stripe.objects[monthly_plan.stripe_subscription_id]
    assert subscription["items"]["data"][0]["quantity"] == 4000


@pytest.mark.parametrize("amount", ["0.50", "abc", "1000000"])
def test_bad_new_amount_is_refused_with_a_message(client, monthly_plan, amount):
    url = plan_management_url(monthly_plan).removeprefix(settings.SITE_URL)

    response = client.post(url, {"action": "change", "amount": amount})

    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    monthly_plan.refresh_from_db()
    assert monthly_plan.amount_minor == 2500


def test_tampered_link_is_404(client, monthly_plan):
    url = plan_management_url(monthly_plan).removeprefix(settings.SITE_URL)

    assert client.get(url[:-3] + "xyz/").status_code == 404
    assert client.get("/monthly/not-a-token/").status_code == 404


def test_monthly_gift_with_a_declined_card_is_402_and_starts_no_plan(client, campaign, fake_stripe):
    response = give(client, gift_body(frequency="monthly", payment_method=DECLINING_PAYMENT_METHOD))

    # The card attaches; it is declined when the first invoice is charged.
    assert response.status_code == 402
    assert Donation.objects.get().status == Donation.Status.FAILED
    plan = RecurringPlan.objects.get()
    assert plan.status == RecurringPlan.Status.CANCELED
    assert fake_stripe.objects[plan.stripe_subscription_id]["status"] == "canceled"
    assert counter_tallies() == {}


def test_monthly_gift_needing_3d_secure_answers_requires_action(client, campaign):
    response = give(client, gift_body(frequency="monthly", payment_method=THREE_D_SECURE_PAYMENT_METHOD))

    assert response.status_code == 201
    assert response.json()["status"] == "requires_action"
    assert response.json()["client_secret"]


def test_renewal_for_a_plan_whose_subscription_id_was_never_saved_is_found_through_stripe(monthly_plan, deliver_events):
    subscription = monthly_plan.stripe_subscription_id
    RecurringPlan.objects.update(stripe_subscription_id=None)  # as if the API call died after Stripe answered

    deliver_events(invoice_event("invoice.paid", subscription_id=subscription, amount=2500))

    assert Donation.objects.filter(recurring_plan=monthly_plan).count() == 2


def test_every_monthly_receipt_carries_the_signed_link_to_change_or_stop_the_gift(
    monthly_plan, deliver_events, mailoutbox
):
    deliver_events(invoice_event("invoice.paid", subscription_id=monthly_plan.stripe_subscription_id, amount=2500))

    # The token carries the time it was signed, so compare what it opens.
    link_start = plan_management_url(monthly_plan).split("/monthly/")[0] + "/monthly/"
    assert len(mailoutbox) == 2
    for receipt_email in mailoutbox:
        for text in (receipt_email.body, receipt_email.alternatives[0][0]):
            token = re.search(re.escape(link_start) + r"([^/\s\"]+)/", text).group(1)
            assert read_plan_link(token) == PlanLink(monthly_plan, expired=False)


def test_one_time_receipts_carry_no_plan_link(client, campaign, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        give(client)

    assert "/monthly/" not in mailoutbox[0].body


def test_monthly_gift_whose_card_is_refused_when_attached_is_402_and_starts_no_subscription(
    client, campaign, fake_stripe
):
    response = give(client, gift_body(frequency="monthly", payment_method="pm_card_chargeDeclined"))

    assert response.status_code == 402
    assert Donation.objects.get().status == Donation.Status.FAILED
    assert RecurringPlan.objects.get().status == RecurringPlan.Status.CANCELED
    assert fake_stripe.calls_to("subscribe") == []


def test_a_renewal_stripe_bills_and_sends_makes_the_next_gift(monthly_plan, deliver_events, fake_stripe):
    deliver_events(fake_stripe.renew(monthly_plan.stripe_subscription_id))

    renewal = Donation.objects.order_by("created_at").last()
    assert (renewal.status, renewal.amount_minor, renewal.recurring_plan) == ("succeeded", 2500, monthly_plan)


def test_lost_subscribe_answer_leaves_the_plan_resumable_and_the_retry_makes_one_subscription_one_first_gift_one_charge(
    client, campaign, fake_stripe, deliver_events
):
    fake_stripe.lose_next_answer("subscribe")  # Stripe made and billed the subscription; the answer never came
    first = give(client, gift_body(frequency="monthly"), HTTP_IDEMPOTENCY_KEY="monthly-answer-lost")

    assert first.status_code == 503
    plan = RecurringPlan.objects.get()
    assert (plan.status, plan.stripe_subscription_id, plan.canceled_at) == ("incomplete", None, None)

    second = give(client, gift_body(frequency="monthly"), HTTP_IDEMPOTENCY_KEY="monthly-answer-lost")
    deliver_events(*fake_stripe.events)

    assert second.status_code == 201
    assert second.json()["status"] == "succeeded"
    plan.refresh_from_db()
    assert plan.status == RecurringPlan.Status.ACTIVE
    assert [s["id"] for s in fake_stripe.objects_of("subscription")] == [plan.stripe_subscription_id]
    assert [c["id"] for c in fake_stripe.objects_of("customer")] == [plan.stripe_customer_id]
    assert len(fake_stripe.objects_of("payment_intent")) == 1
    first_gift = Donation.objects.get()
    assert (first_gift.status, first_gift.recurring_plan) == ("succeeded", plan)


def test_invoice_event_for_a_plan_missing_its_subscription_id_attaches_it_and_the_donor_can_stop_it(
    client, campaign, fake_stripe, deliver_events
):
    fake_stripe.lose_next_answer("subscribe")
    assert give(client, gift_body(frequency="monthly")).status_code == 503
    [subscription] = fake_stripe.objects_of("subscription")

    deliver_events(*fake_stripe.events_of("invoice.paid"))

    plan = RecurringPlan.objects.get()
    assert (plan.stripe_subscription_id, plan.status) == (subscription["id"], RecurringPlan.Status.ACTIVE)
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED
    url = plan_management_url(plan).removeprefix(settings.SITE_URL)
    assert client.post(url, {"action": "cancel"}).status_code == 302
    assert subscription["status"] == "canceled"


def test_subscription_event_for_a_plan_missing_its_subscription_id_attaches_it(
    client, campaign, fake_stripe, deliver_events
):
    fake_stripe.lose_next_answer("subscribe")
    assert give(client, gift_body(frequency="monthly")).status_code == 503
    [subscription] = fake_stripe.objects_of("subscription")

    deliver_events(*fake_stripe.events_of("customer.subscription.created"))

    assert RecurringPlan.objects.get().stripe_subscription_id == subscription["id"]
