"""Refunds from the admin (through Stripe) and from Stripe's events:
totals drop by exactly what was refunded, never more than was charged."""

import pytest
from django.contrib.auth.models import Permission

from accounts.models import User
from donations.models import Donation, Refund
from donations.selectors import counter_tallies, counters_out_of_step
from donations.services import refunds
from receipts.models import Receipt
from tests.auth import log_in
from tests.factories import DonationFactory
from tests.gifts import gift_body, give
from tests.stripe_events import charge_event, post_event, refund_object

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_gift(client, team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        give(client, gift_body(amount_minor=5000, team=team.slug))
    return Donation.objects.get()


def campaign_raised(donation) -> int:
    return counter_tallies(campaign_id=donation.campaign_id)[(donation.campaign_id, None, None)].raised_minor


def test_partial_then_full_refund_moves_status_and_totals_by_exactly_the_refunds(paid_gift):
    refunds.request_refund(donation_id=paid_gift.pk, amount_minor=1500, reason="requested_by_customer")
    paid_gift.refresh_from_db()
    assert (paid_gift.status, paid_gift.refunded_minor) == ("partially_refunded", 1500)
    original, corrected = Receipt.objects.order_by("sequence")
    assert (original.status, corrected.replaces, corrected.amount_minor) == (Receipt.Status.VOID, original, 3500)
    assert campaign_raised(paid_gift) == 3500
    team_tally = counter_tallies(campaign_id=paid_gift.campaign_id)[(paid_gift.campaign_id, paid_gift.team_id, None)]
    assert (team_tally.raised_minor, team_tally.gift_count, team_tally.donor_count) == (3500, 1, 1)

    refunds.request_refund(donation_id=paid_gift.pk, amount_minor=3500, reason="requested_by_customer")
    paid_gift.refresh_from_db()
    assert (paid_gift.status, paid_gift.refunded_minor) == ("refunded", 5000)
    tally = counter_tallies(campaign_id=paid_gift.campaign_id)[(paid_gift.campaign_id, None, None)]
    assert (tally.raised_minor, tally.gift_count, tally.donor_count) == (0, 0, 0)
    assert counters_out_of_step() == {}
    assert list(Refund.objects.values_list("status", flat=True)) == ["succeeded", "succeeded"]
    assert set(Receipt.objects.values_list("status", flat=True)) == {Receipt.Status.VOID}


def test_refund_above_what_remains_is_refused_and_changes_nothing(paid_gift):
    refunds.request_refund(donation_id=paid_gift.pk, amount_minor=4000, reason="other")

    with pytest.raises(refunds.RefundRefused, match=r"at most \$10.00"):
        refunds.request_refund(donation_id=paid_gift.pk, amount_minor=1001, reason="other")

    paid_gift.refresh_from_db()
    assert paid_gift.refunded_minor == 4000
    assert Refund.objects.count() == 1
    assert campaign_raised(paid_gift) == 1000


@pytest.mark.parametrize("amount", [0, -100])
def test_refund_of_nothing_is_refused(paid_gift, amount):
    with pytest.raises(refunds.RefundRefused):
        refunds.request_refund(donation_id=paid_gift.pk, amount_minor=amount, reason="other")


def test_unrefunded_pending_refund_reserves_its_amount(paid_gift):
    """A refund asked for but not yet confirmed by Stripe still counts
    against what can be refunded, so two at once cannot exceed the gift."""
    Refund.objects.create(donation=paid_gift, amount_minor=4500, status=Refund.Status.PENDING)

    with pytest.raises(refunds.RefundRefused, match=r"at most \$5.00"):
        refunds.request_refund(donation_id=paid_gift.pk, amount_minor=600, reason="other")


def test_failed_gift_cannot_be_refunded(client, campaign):
    give(client, gift_body(payment_method="pm_card_chargeCustomerFail"))

    with pytest.raises(refunds.RefundRefused, match="failed"):
        refunds.request_refund(donation_id=Donation.objects.get().pk, amount_minor=100, reason="other")


def test_refund_made_in_stripe_arrives_by_event_and_is_recorded_once(
    client, paid_gift, django_capture_on_commit_callbacks
):
    made_elsewhere = refund_object(2000, charge=paid_gift.charge_id)
    refunded = charge_event("charge.refunded", paid_gift, amount_refunded=2000, refunds=[made_elsewhere])

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, refunded)
        post_event(client, charge_event("charge.refunded", paid_gift, amount_refunded=2000, refunds=[made_elsewhere]))

    paid_gift.refresh_from_db()
    assert (paid_gift.status, paid_gift.refunded_minor) == ("partially_refunded", 2000)
    assert Refund.objects.get().stripe_refund_id == made_elsewhere["id"]
    assert campaign_raised(paid_gift) == 3000


def test_our_refund_and_its_event_count_once_in_either_order(client, paid_gift, django_capture_on_commit_callbacks):
    refund = refunds.request_refund(donation_id=paid_gift.pk, amount_minor=1000, reason="duplicate")
    echo = refund_object(1000, id=refund.stripe_refund_id, metadata={"hopefund_refund_id": str(refund.pk)})

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, charge_event("charge.refunded", paid_gift, amount_refunded=1000, refunds=[echo]))

    paid_gift.refresh_from_db()
    assert paid_gift.refunded_minor == 1000
    assert Refund.objects.count() == 1
    assert campaign_raised(paid_gift) == 4000


def test_an_older_refund_event_never_lowers_the_refunded_amount(client, paid_gift, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, charge_event("charge.refunded", paid_gift, amount_refunded=3000))
        post_event(client, charge_event("charge.refunded", paid_gift, amount_refunded=1000))

    paid_gift.refresh_from_db()
    assert paid_gift.refunded_minor == 3000
    assert campaign_raised(paid_gift) == 2000


def test_refund_event_before_the_success_event_ends_refunded(
    client, campaign, django_capture_on_commit_callbacks, mailoutbox
):
    """The refund proves the payment: the gift is paid then refunded, and
    the late success event changes nothing."""
    from tests.gifts import THREE_D_SECURE_PAYMENT_METHOD
    from tests.stripe_events import payment_intent_event

    give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD))
    donation = Donation.objects.get()
    assert donation.status == "requires_action"

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, charge_event("charge.refunded", donation, amount_refunded=donation.charged_minor))
        post_event(client, payment_intent_event("payment_intent.succeeded", donation, status="succeeded"))

    donation.refresh_from_db()
    assert (donation.status, donation.refunded_minor) == ("refunded", 5000)
    assert counters_out_of_step() == {}
    assert campaign_raised(donation) == 0
    assert Receipt.objects.get().status == Receipt.Status.VOID
    assert mailoutbox == []  # a void receipt is never sent


# --- The admin's refund page -------------------------------------------------


@pytest.fixture
def refunder(client):
    """Staff holding the refund permission (and the right to see gifts)."""
    staff = User.objects.create_user("finance@example.org", password="pw", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["refund_donation", "view_donation"]))
    log_in(client, staff)
    return staff


def refund_url(donation) -> str:
    return f"/admin/donations/donation/{donation.pk}/refund/"


def opened_form(client, donation) -> dict:
    """The refund form's fields as the page hands them out, its one-time
    token included."""
    page = client.get(refund_url(donation))
    assert page.status_code == 200
    return {"form_token": page.context["form"]["form_token"].value()}


def test_admin_refund_page_refunds_and_refuses_too_much(client, paid_gift, refunder):
    too_much = client.post(
        refund_url(paid_gift), {**opened_form(client, paid_gift), "amount": "50.01", "reason": "other"}
    )
    assert too_much.status_code == 400
    assert "at most $50.00" in too_much.content.decode()

    done = client.post(
        refund_url(paid_gift),
        {
            **opened_form(client, paid_gift),
            "amount": "12.50",
            "reason": "requested_by_customer",
            "note": "Asked by phone",
        },
    )
    assert done.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount_minor, refund.requested_by, refund.note) == (1250, refunder, "Asked by phone")


def test_a_refund_form_submitted_twice_refunds_once_and_says_so_the_second_time(client, paid_gift, refunder):
    form = {**opened_form(client, paid_gift), "amount": "10.00", "reason": "duplicate"}

    first = client.post(refund_url(paid_gift), form)
    second = client.post(refund_url(paid_gift), form, follow=True)

    assert first.status_code == 302
    assert second.redirect_chain == [(f"/admin/donations/donation/{paid_gift.pk}/change/", 302)]
    assert "This refund form was already submitted, so nothing more was refunded" in second.content.decode()
    paid_gift.refresh_from_db()
    assert paid_gift.refunded_minor == 1000
    assert list(Refund.objects.values_list("amount_minor", flat=True)) == [1000]
    assert campaign_raised(paid_gift) == 4000


def test_a_refused_refund_form_comes_back_with_a_fresh_token_that_refunds_once(client, paid_gift, refunder):
    form = {**opened_form(client, paid_gift), "reason": "other"}
    refused = client.post(refund_url(paid_gift), {**form, "amount": "99.00"})
    fresh = refused.context["form"]["form_token"].value()
    assert fresh != form["form_token"]

    assert client.post(refund_url(paid_gift), {**form, "form_token": fresh, "amount": "5.00"}).status_code == 302
    assert client.post(refund_url(paid_gift), {**form, "form_token": fresh, "amount": "5.00"}).status_code == 302

    assert list(Refund.objects.values_list("amount_minor", flat=True)) == [500]


@pytest.mark.parametrize(
    "form_token",
    ["", "forged", "THE OTHER GIFT'S"],
    ids=["no token", "a forged token", "another gift's form"],
)
def test_a_refund_form_without_its_own_token_refunds_nothing(client, paid_gift, refunder, form_token):
    if form_token == "THE OTHER GIFT'S":
        other_gift = DonationFactory(succeeded=True, through_services=True)
        form_token = opened_form(client, other_gift)["form_token"]

    response = client.post(refund_url(paid_gift), {"form_token": form_token, "amount": "1.00", "reason": "other"})

    assert response.status_code == 400
    assert "This form had expired and nothing was refunded" in response.content.decode()
    assert not Refund.objects.exists()


def test_an_expired_refund_form_refunds_nothing(client, paid_gift, refunder, monkeypatch):
    form = {**opened_form(client, paid_gift), "amount": "1.00", "reason": "other"}
    monkeypatch.setattr("donations.admin.REFUND_FORM_MAX_AGE", -1)

    assert client.post(refund_url(paid_gift), form).status_code == 400
    assert not Refund.objects.exists()


def test_admin_refund_page_needs_the_refund_permission_not_adding_refund_rows(client, paid_gift):
    viewer = User.objects.create_user("viewer@example.org", password="pw", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_donation", "add_refund"]))
    log_in(client, viewer)

    assert client.get(refund_url(paid_gift)).status_code == 403
    response = client.post(refund_url(paid_gift), {"amount": "1.00", "reason": "other"})

    assert response.status_code == 403
    assert not Refund.objects.exists()
