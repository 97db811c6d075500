"""The donor's monthly gift in their portal (/donor/plans/<id>/): only
their own, what it gives, and each change made through the same services
as the signed-link page, each confirmed by exactly one email."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from donations.models import Donation, PlanAllocation, PlanChange, RecurringPlan
from tests.auth import sign_in_donor

pytestmark = pytest.mark.django_db

ACTIONS = [
    {"action": "change", "amount": "30.00"},
    {"action": "cancel"},
    {"action": "funds", "giving": "one", "fund": "aftercare"},
    {"action": "pause", "months": "1"},
    {"action": "resume"},
    {"action": "card", "setup_intent": "seti_anything"},
]


def page(plan: RecurringPlan) -> str:
    return reverse("donors:plan", args=[plan.public_id])


def post(client, plan, data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(page(plan), data)


def test_the_page_says_what_the_plan_gives_and_when_it_next_charges(client, monthly_plan):
    answer = client.get(page(monthly_plan))

    html = answer.content.decode()
    assert answer.status_code == 200
    assert "$25.00 a month to Dressember 2026" in html and "for Rescue" in html
    assert "<strong>Active</strong>" in html
    next_month = (timezone.localtime(monthly_plan.created_at) + timedelta(days=31)).strftime("%B")
    assert "Next charge:" in html and next_month in html
    assert 'aria-current="page"' not in html.split("Your gifts")[0]


@pytest.mark.parametrize("data", [None, *ACTIONS], ids=["GET", *[a["action"] for a in ACTIONS]])
def test_another_donors_plan_is_a_404_for_every_action_and_changes_nothing(
    client, monthly_plan, other_donor, fake_stripe, mailoutbox, data
):
    sign_in_donor(client, other_donor)
    calls_before = len(fake_stripe.calls)
    mailoutbox.clear()

    answer = client.get(page(monthly_plan)) if data is None else client.post(page(monthly_plan), data)

    assert answer.status_code == 404
    monthly_plan.refresh_from_db()
    assert (monthly_plan.amount_minor, monthly_plan.status, monthly_plan.paused_until) == (2500, "active", None)
    assert not PlanChange.objects.exists()
    assert len(fake_stripe.calls) == calls_before
    assert mailoutbox == []


def test_another_donors_plan_gets_no_setup_intent(client, monthly_plan, other_donor, fake_stripe):
    sign_in_donor(client, other_donor)

    answer = client.post(reverse("donors:plan-card-setup", args=[monthly_plan.public_id]))

    assert answer.status_code == 404
    assert fake_stripe.calls_to("create_customer_setup_intent") == []


def test_changing_the_amount_from_the_portal_emails_the_donor_once(
    client, monthly_plan, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    for _ in range(2):
        answer = post(client, monthly_plan, {"action": "change", "amount": "40.00"}, django_capture_on_commit_callbacks)
        assert answer.status_code == 302

    [email] = mailoutbox
    assert "has been changed" in email.subject and "from $25.00 to $40.00 a month" in email.body
    assert "the next on" in email.body
    assert fake_stripe.objects[monthly_plan.stripe_subscription_id]["items"]["data"][0]["quantity"] == 4000


def test_stopping_from_the_portal_emails_once_and_the_stopped_plan_offers_no_controls(
    client, monthly_plan, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    post(client, monthly_plan, {"action": "cancel"}, django_capture_on_commit_callbacks)
    post(client, monthly_plan, {"action": "cancel"}, django_capture_on_commit_callbacks)

    [email] = mailoutbox
    assert "has been stopped" in email.subject
    html = client.get(page(monthly_plan)).content.decode()
    assert "<strong>Canceled</strong>" in html
    assert 'name="action"' not in html
    assert "plan_card.js" not in html


def test_a_stopped_plan_refuses_every_change(client, monthly_plan, fake_stripe, django_capture_on_commit_callbacks):
    post(client, monthly_plan, {"action": "cancel"}, django_capture_on_commit_callbacks)
    calls_before = len(fake_stripe.calls)

    answers = [client.post(page(monthly_plan), data).status_code for data in ACTIONS if data["action"] != "cancel"]

    assert set(answers) <= {400, 302}
    assert PlanChange.objects.count() == 1
    assert len(fake_stripe.calls) == calls_before


# --- Funds --------------------------------------------------------------------


def test_a_split_asks_nothing_of_stripe_is_emailed_once_and_renewals_follow_it(
    client, monthly_plan, fake_stripe, deliver_events, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    calls_before = len(fake_stripe.calls)
    split = {"action": "funds", "giving": "split", "part_aftercare": "15.00", "part_general": "10.00"}

    for _ in range(2):
        assert post(client, monthly_plan, split, django_capture_on_commit_callbacks).status_code == 302

    assert len(fake_stripe.calls) == calls_before
    parts = [(p.fund.slug, p.amount_minor) for p in PlanAllocation.objects.order_by("position")]
    assert parts == [("aftercare", 1500), ("general", 1000)]
    [email] = mailoutbox
    assert "now goes to new funds" in email.subject
    assert "Aftercare ($15.00) and Where most needed ($10.00)" in email.body
    assert "next be charged $25.00 on" in email.body

    deliver_events(fake_stripe.renew(monthly_plan.stripe_subscription_id))
    renewal = Donation.objects.order_by("created_at").last()
    assert [(a.fund.slug, a.amount_minor) for a in renewal.allocations.order_by("position")] == parts


def test_back_to_one_fund_drops_the_split_and_renewals_give_all_to_it(
    client, monthly_plan, fake_stripe, deliver_events, django_capture_on_commit_callbacks
):
    split = {"action": "funds", "giving": "split", "part_aftercare": "15.00", "part_general": "10.00"}
    post(client, monthly_plan, split, django_capture_on_commit_callbacks)

    answer = post(
        client,
        monthly_plan,
        {"action": "funds", "giving": "one", "fund": "general"},
        django_capture_on_commit_callbacks,
    )

    assert answer.status_code == 302
    monthly_plan.refresh_from_db()
    assert (monthly_plan.fund.slug, PlanAllocation.objects.count()) == ("general", 0)
    deliver_events(fake_stripe.renew(monthly_plan.stripe_subscription_id))
    renewal = Donation.objects.order_by("created_at").last()
    assert (renewal.fund.slug, [(a.fund.slug, a.amount_minor) for a in renewal.allocations.all()]) == (
        "general",
        [("general", 2500)],
    )


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"giving": "split", "part_aftercare": "15.00", "part_general": "9.00"},
            "add up to $24.00, but your monthly gift is $25.00",
        ),
        ({"giving": "split", "part_aftercare": "25.00"}, "A split gift goes to 2 to 5 funds"),
        ({"giving": "one", "fund": "not-a-fund"}, "Choose one of this campaign&#x27;s funds."),
    ],
)
def test_a_split_that_is_not_the_monthly_amount_or_no_fund_is_refused_and_nothing_is_written(
    client, monthly_plan, fake_stripe, mailoutbox, django_capture_on_commit_callbacks, data, message
):
    mailoutbox.clear()

    answer = post(client, monthly_plan, {"action": "funds", **data}, django_capture_on_commit_callbacks)

    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert 'aria-invalid="true"' in answer.content.decode()
    monthly_plan.refresh_from_db()
    assert (monthly_plan.fund.slug, PlanAllocation.objects.count(), PlanChange.objects.count()) == ("rescue", 0, 0)
    assert mailoutbox == []


# --- Pause ---------------------------------------------------------------------


@pytest.mark.parametrize("months", ["0", "4", "x"])
def test_a_pause_of_other_than_one_to_three_months_is_refused_and_nothing_is_written(
    client, monthly_plan, fake_stripe, mailoutbox, django_capture_on_commit_callbacks, months
):
    mailoutbox.clear()

    answer = post(client, monthly_plan, {"action": "pause", "months": months}, django_capture_on_commit_callbacks)

    assert answer.status_code == 400
    assert "can be paused for one, two or three months" in answer.content.decode()
    monthly_plan.refresh_from_db()
    assert monthly_plan.paused_until is None
    assert not PlanChange.objects.exists()
    assert fake_stripe.calls_to("pause_subscription") == []
    assert mailoutbox == []


def test_the_service_refuses_a_pause_of_zero_or_four_months_too(monthly_plan, fake_stripe):
    from donations.services import recurring

    for months in (0, 4):
        with pytest.raises(recurring.PlanChangeRefused):
            recurring.pause(plan=monthly_plan, months=months)
    assert fake_stripe.calls_to("pause_subscription") == []


def test_a_paused_plan_charges_nothing_in_its_pause_and_again_after_it(
    client, monthly_plan, fake_stripe, deliver_events, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    answer = post(client, monthly_plan, {"action": "pause", "months": "2"}, django_capture_on_commit_callbacks)

    assert answer.status_code == 302
    monthly_plan.refresh_from_db()
    days = (monthly_plan.paused_until - timezone.now()).days
    assert 58 <= days <= 62
    pause = fake_stripe.objects[monthly_plan.stripe_subscription_id]["pause_collection"]
    assert pause == {"behavior": "void", "resumes_at": int(monthly_plan.paused_until.timestamp())}
    [email] = mailoutbox
    assert "has been paused" in email.subject and "Nothing is charged while it is paused" in email.body
    assert timezone.localtime(monthly_plan.paused_until).strftime("%B %Y") in email.body
    html = client.get(page(monthly_plan)).content.decode()
    assert "Paused until" in html and 'value="resume"' in html

    charges_before = len(fake_stripe.objects_of("charge"))
    gifts_before = Donation.objects.count()
    for _ in range(2):  # two months of the pause
        fake_stripe.advance_clock(28 * 24 * 3600)
        voided = fake_stripe.renew(monthly_plan.stripe_subscription_id)
        assert voided["type"] == "invoice.voided"
        deliver_events(*fake_stripe.events_of("invoice.voided")[-1:])
    assert len(fake_stripe.objects_of("charge")) == charges_before
    assert Donation.objects.count() == gifts_before

    fake_stripe.advance_clock(8 * 24 * 3600)  # past the pause's end
    paid = fake_stripe.renew(monthly_plan.stripe_subscription_id)
    deliver_events(*fake_stripe.events_of("customer.subscription.updated")[-1:], paid)

    assert paid["type"] == "invoice.paid"
    assert len(fake_stripe.objects_of("charge")) == charges_before + 1
    assert Donation.objects.count() == gifts_before + 1
    monthly_plan.refresh_from_db()
    assert monthly_plan.paused_until is None


def test_resuming_early_collects_again_and_is_emailed_once(
    client, monthly_plan, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    post(client, monthly_plan, {"action": "pause", "months": "3"}, django_capture_on_commit_callbacks)
    mailoutbox.clear()

    for _ in range(2):
        assert post(client, monthly_plan, {"action": "resume"}, django_capture_on_commit_callbacks).status_code == 302

    [email] = mailoutbox
    assert "has resumed" in email.subject and "next be charged $25.00 on" in email.body
    monthly_plan.refresh_from_db()
    assert monthly_plan.paused_until is None
    assert fake_stripe.objects[monthly_plan.stripe_subscription_id]["pause_collection"] is None
    assert len(fake_stripe.calls_to("resume_subscription")) == 1
    assert fake_stripe.renew(monthly_plan.stripe_subscription_id)["type"] == "invoice.paid"


def test_a_pause_that_has_ended_is_shown_active_and_told_once_by_the_beat_sweep(
    client, monthly_plan, mailoutbox, django_capture_on_commit_callbacks
):
    from donations import tasks

    post(client, monthly_plan, {"action": "pause", "months": "1"}, django_capture_on_commit_callbacks)
    RecurringPlan.objects.filter(pk=monthly_plan.pk).update(paused_until=timezone.now() - timedelta(minutes=1))
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.end_finished_pauses.delay().get() == 1
        assert tasks.end_finished_pauses.delay().get() == 0

    [email] = mailoutbox
    assert "has resumed" in email.subject
    assert "<strong>Active</strong>" in client.get(page(monthly_plan)).content.decode()


def test_a_pause_not_yet_ended_is_left_by_the_sweep(client, monthly_plan, django_capture_on_commit_callbacks):
    from donations import tasks

    post(client, monthly_plan, {"action": "pause", "months": "1"}, django_capture_on_commit_callbacks)

    assert tasks.end_finished_pauses.delay().get() == 0
    monthly_plan.refresh_from_db()
    assert monthly_plan.paused_until is not None


def test_a_paid_invoice_that_arrives_during_a_pause_is_still_recorded(
    client, monthly_plan, fake_stripe, deliver_events, django_capture_on_commit_callbacks
):
    """Never lose money: Stripe should void it, but one it charged (made
    before the pause, retried during it) is a gift."""
    from tests.stripe_events import event, stripe_object

    post(client, monthly_plan, {"action": "pause", "months": "1"}, django_capture_on_commit_callbacks)
    invoice = stripe_object(
        "invoice",
        id="in_paid_in_the_pause",
        customer=monthly_plan.stripe_customer_id,
        subscription=monthly_plan.stripe_subscription_id,
        status="paid",
        amount_due=2500,
        amount_paid=2500,
        currency="usd",
        charge="ch_paid_in_the_pause",
        payment_intent="pi_paid_in_the_pause",
    )
    invoice.pop("parent", None)

    deliver_events(event("invoice.paid", invoice))

    gift = Donation.objects.get(invoice_id="in_paid_in_the_pause")
    assert (gift.status, gift.amount_minor, gift.recurring_plan_id) == ("succeeded", 2500, monthly_plan.pk)


# --- Card -----------------------------------------------------------------------


def new_card(client, plan, fake_stripe, card="5555555555554444") -> str:
    """What plan_card.js does: a SetupIntent from the page, confirmed by
    Stripe.js with the card. Returns the SetupIntent's id."""
    answer = client.post(reverse("donors:plan-card-setup", args=[plan.public_id]))
    assert answer.status_code == 201, answer.content
    secret = answer.json()["client_secret"]
    fake_stripe.confirm_card_setup(secret, card)
    return secret.split("_secret_")[0]


def test_a_new_card_becomes_the_one_the_plan_charges_and_is_emailed_once(
    client, monthly_plan, fake_stripe, deliver_events, mailoutbox, django_capture_on_commit_callbacks
):
    setup_intent = new_card(client, monthly_plan, fake_stripe)
    card = fake_stripe.objects[setup_intent]["payment_method"]
    mailoutbox.clear()

    for _ in range(2):
        answer = post(
            client, monthly_plan, {"action": "card", "setup_intent": setup_intent}, django_capture_on_commit_callbacks
        )
        assert answer.status_code == 302

    customer = fake_stripe.objects[monthly_plan.stripe_customer_id]
    assert customer["invoice_settings"]["default_payment_method"] == card
    assert fake_stripe.objects[setup_intent]["customer"] == monthly_plan.stripe_customer_id
    [email] = mailoutbox
    assert "now uses a new card" in email.subject and "next be charged $25.00" in email.body
    deliver_events(fake_stripe.renew(monthly_plan.stripe_subscription_id))
    renewal = Donation.objects.order_by("created_at").last()
    assert fake_stripe.objects[renewal.payment_intent_id]["payment_method"] == card


def test_a_setup_intent_of_another_customer_is_refused(
    client, monthly_plan, campaign, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.gifts import gift_body, give

    with django_capture_on_commit_callbacks(execute=True):
        give(client, gift_body(frequency="monthly", amount_minor=1000, donor__email="mallory@example.org"))
    other_plan = RecurringPlan.objects.exclude(pk=monthly_plan.pk).get()
    sign_in_donor(client, other_plan.donor)
    theirs = new_card(client, other_plan, fake_stripe)
    sign_in_donor(client, monthly_plan.donor)
    card_before = fake_stripe.objects[monthly_plan.stripe_customer_id]["invoice_settings"]["default_payment_method"]
    mailoutbox.clear()

    answer = post(client, monthly_plan, {"action": "card", "setup_intent": theirs}, django_capture_on_commit_callbacks)

    assert answer.status_code == 400
    assert "was not saved for this monthly gift" in answer.content.decode()
    customer = fake_stripe.objects[monthly_plan.stripe_customer_id]
    assert customer["invoice_settings"]["default_payment_method"] == card_before
    assert fake_stripe.calls_to("set_default_card") == []
    assert not PlanChange.objects.exists()
    assert mailoutbox == []


def test_card_setups_count_against_the_card_attempt_limit_per_client_address(
    client, monthly_plan, fake_stripe, settings
):
    settings.DONATION_RATE_LIMIT = "2/m"
    setup = reverse("donors:plan-card-setup", args=[monthly_plan.public_id])
    assert [client.post(setup).status_code for _ in range(2)] == [201, 201]

    over = client.post(setup)

    assert over.status_code == 429 and int(over["Retry-After"]) > 0
    assert len(fake_stripe.calls_to("create_customer_setup_intent")) == 2


def test_a_setup_intent_not_confirmed_is_refused(client, monthly_plan, fake_stripe, django_capture_on_commit_callbacks):
    answer = client.post(reverse("donors:plan-card-setup", args=[monthly_plan.public_id]))
    unconfirmed = answer.json()["client_secret"].split("_secret_")[0]

    refused = post(
        client, monthly_plan, {"action": "card", "setup_intent": unconfirmed}, django_capture_on_commit_callbacks
    )

    assert refused.status_code == 400
    assert "Your new card was not saved" in refused.content.decode()
    assert fake_stripe.calls_to("set_default_card") == []


def test_a_pause_stripe_cannot_make_writes_nothing_and_tells_nobody(
    client, monthly_plan, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    with fake_stripe.outage():
        answer = post(client, monthly_plan, {"action": "pause", "months": "1"}, django_capture_on_commit_callbacks)

    assert answer.status_code == 400
    assert "could not reach our payment processor" in answer.content.decode()
    monthly_plan.refresh_from_db()
    assert monthly_plan.paused_until is None
    assert not PlanChange.objects.exists()
    assert mailoutbox == []


def test_the_signed_link_page_shows_the_pause_too(client, monthly_plan, django_capture_on_commit_callbacks):
    from donations.selectors import plan_management_path

    post(client, monthly_plan, {"action": "pause", "months": "1"}, django_capture_on_commit_callbacks)

    assert "Paused until" in client.get(plan_management_path(monthly_plan)).content.decode()


def test_the_next_charge_falls_on_the_months_last_day_when_it_is_shorter(monthly_plan):
    from datetime import datetime

    from donations import selectors

    monthly_plan.created_at = timezone.make_aware(datetime(2026, 1, 31, 12, 0))
    monthly_plan.paused_until = None

    assert selectors.next_charge_on(monthly_plan, now=timezone.make_aware(datetime(2026, 2, 10))).isoformat() == (
        "2026-02-28"
    )
    monthly_plan.paused_until = timezone.make_aware(datetime(2026, 4, 5))
    assert selectors.next_charge_on(monthly_plan, now=timezone.make_aware(datetime(2026, 2, 10))).isoformat() == (
        "2026-04-30"
    )
