"""POST /api/donations/ and GET /api/donations/<id>/, charged by the fake
Stripe."""

import pytest

from donations.models import Donation
from donations.selectors import counter_tallies
from receipts.models import Receipt
from tests.gifts import DECLINING_PAYMENT_METHOD, THREE_D_SECURE_PAYMENT_METHOD, gift_body, give

pytestmark = pytest.mark.django_db


def test_card_gift_succeeds_and_answers_with_the_charged_amount(client, campaign, mailoutbox):
    response = give(client)

    assert response.status_code == 201
    answer = response.json()
    assert answer["status"] == "succeeded"
    assert answer["amount_minor"] == 5000
    assert answer["currency"] == "usd"
    assert answer["client_secret"] is None
    donation = Donation.objects.get(public_id=answer["id"])
    assert donation.status == Donation.Status.SUCCEEDED
    assert donation.payment_intent_id.startswith("pi_")
    assert donation.fund.slug == "aftercare"
    assert donation.donor.email == "ada@example.org"


def test_gift_on_a_fundraiser_page_counts_for_fundraiser_team_and_campaign(client, fundraiser):
    response = give(client, gift_body(fundraiser=fundraiser.slug, amount_minor=2500))

    assert response.status_code == 201
    donation = Donation.objects.get(public_id=response.json()["id"])
    assert donation.team == fundraiser.team
    tallies = counter_tallies(campaign_id=fundraiser.campaign_id)
    for key in [
        (fundraiser.campaign_id, None, None),
        (fundraiser.campaign_id, fundraiser.team_id, None),
        (fundraiser.campaign_id, None, fundraiser.pk),
    ]:
        assert tallies[key].raised_minor == 2500
        assert tallies[key].donor_count == 1


def test_successful_gift_gets_one_receipt_by_email(client, campaign, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        give(client)

    receipt = Receipt.objects.get()
    assert receipt.status == Receipt.Status.SENT
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@example.org"]
    assert receipt.number in mailoutbox[0].subject


def test_declined_card_answers_402_and_records_a_failed_gift_that_counts_for_nothing(client, campaign, mailoutbox):
    response = give(client, gift_body(payment_method=DECLINING_PAYMENT_METHOD))

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "card_declined"
    assert response.json()["error"]["message"]
    donation = Donation.objects.get()
    assert donation.status == Donation.Status.FAILED
    assert donation.failure_code == "card_declined"
    assert counter_tallies(campaign_id=campaign.pk) == {}
    assert not Receipt.objects.exists()
    assert mailoutbox == []


def test_card_needing_3d_secure_answers_requires_action_with_a_client_secret(client, campaign):
    response = give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD))

    assert response.status_code == 201
    answer = response.json()
    assert answer["status"] == "requires_action"
    assert answer["client_secret"].startswith("pi_")
    assert Donation.objects.get().status == Donation.Status.REQUIRES_ACTION
    assert not Receipt.objects.exists()


def test_covering_fees_charges_the_gift_plus_the_fee_computed_on_the_server(client, campaign, fake_stripe):
    response = give(client, gift_body(amount_minor=5000, cover_fees=True))

    # (5000 + 30) / (1 - 0.029) = 5180.2 -> 5181: the charity nets at least 50.00.
    assert response.json()["amount_minor"] == 5181
    donation = Donation.objects.get()
    assert (donation.amount_minor, donation.fee_covered_minor) == (5000, 181)
    assert fake_stripe.objects[donation.payment_intent_id]["amount"] == 5181


def test_retry_with_the_same_idempotency_key_returns_the_first_answer_and_charges_once(client, campaign, fake_stripe):
    first = give(client, HTTP_IDEMPOTENCY_KEY="retry-me-1")
    second = give(client, HTTP_IDEMPOTENCY_KEY="retry-me-1")

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Donation.objects.count() == 1
    assert len(fake_stripe.calls_to("charge")) == 1


def test_retry_of_a_declined_gift_is_declined_again_without_a_new_charge(client, campaign, fake_stripe):
    body = gift_body(payment_method=DECLINING_PAYMENT_METHOD)
    first = give(client, body, HTTP_IDEMPOTENCY_KEY="declined-once")
    second = give(client, body, HTTP_IDEMPOTENCY_KEY="declined-once")

    assert first.status_code == second.status_code == 402
    assert first.json() == second.json()
    assert Donation.objects.count() == 1
    assert len(fake_stripe.calls_to("charge")) == 1


def test_gift_detail_shows_status_fund_and_receipt_number(client, campaign):
    gift_id = give(client).json()["id"]

    response = client.get(f"/api/donations/{gift_id}/")

    assert response.status_code == 200
    receipt = Receipt.objects.get()
    assert response.json() == {
        "id": gift_id,
        "status": "succeeded",
        "amount_minor": 5000,
        "currency": "usd",
        "fund": "aftercare",
        "receipt_number": receipt.number,
    }


@pytest.mark.parametrize("gift_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_unknown_gift_is_404(client, db, gift_id):
    response = client.get(f"/api/donations/{gift_id}/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_gift_to_a_closed_campaign_is_refused_with_a_reason(client, campaign):
    campaign.status = campaign.Status.CLOSED
    campaign.save()

    response = give(client)

    assert response.status_code == 400
    assert "closed" in response.json()["errors"]["campaign"][0]
    assert not Donation.objects.exists()


def test_stripe_unreachable_answers_503_and_keeps_the_gift_pending(client, campaign, fake_stripe):
    with fake_stripe.outage():
        response = give(client)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "payments_unavailable"
    assert Donation.objects.get().status == Donation.Status.PENDING


@pytest.mark.parametrize("success, status", [(True, "succeeded"), (False, "failed")])
def test_gift_detail_asks_stripe_about_a_gift_still_awaiting_3d_secure(
    client, campaign, success, status, fake_stripe, django_capture_on_commit_callbacks
):
    """No webhook is delivered here: the detail asks Stripe."""
    answer = give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD)).json()
    fake_stripe.authenticate(answer["client_secret"], success=success)

    with django_capture_on_commit_callbacks(execute=True):
        detail = client.get(f"/api/donations/{answer['id']}/").json()

    assert detail["status"] == status
    assert Donation.objects.get().status == status
    assert (detail["receipt_number"] is not None) == success


def test_gift_detail_answers_from_the_ledger_when_stripe_is_unreachable(client, campaign, fake_stripe):
    answer = give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD)).json()

    with fake_stripe.outage():
        response = client.get(f"/api/donations/{answer['id']}/")

    assert response.status_code == 200
    assert response.json()["status"] == "requires_action"


def test_retry_after_stripe_was_unreachable_charges_the_same_gift_once(client, campaign, fake_stripe):
    with fake_stripe.outage():
        first = give(client, HTTP_IDEMPOTENCY_KEY="stripe-was-down")

    second = give(client, HTTP_IDEMPOTENCY_KEY="stripe-was-down")

    assert first.status_code == 503
    assert second.status_code == 201
    assert second.json()["status"] == "succeeded"
    donation = Donation.objects.get()
    assert str(donation.public_id) == second.json()["id"]
    assert [intent["id"] for intent in fake_stripe.objects_of("payment_intent")] == [donation.payment_intent_id]


def test_retry_after_stripes_answer_was_lost_gets_the_first_intent_back(client, campaign, fake_stripe):
    """Stripe charged, but the answer never came back: the retry reuses
    the idempotency key, so Stripe hands back the same PaymentIntent."""
    fake_stripe.lose_next_answer("charge")
    first = give(client, HTTP_IDEMPOTENCY_KEY="answer-lost")

    second = give(client, HTTP_IDEMPOTENCY_KEY="answer-lost")

    assert (first.status_code, second.status_code) == (503, 201)
    assert len(fake_stripe.objects_of("payment_intent")) == 1
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED


def test_gift_to_a_campaign_not_yet_open_says_when_it_opens(client, campaign):
    from datetime import datetime

    from django.utils import timezone

    campaign.starts_at = timezone.make_aware(datetime(2099, 12, 1, 12, 0))
    campaign.save()

    response = give(client)

    assert response.status_code == 400
    assert response.json()["errors"]["campaign"] == [
        "This campaign opens on December 1, 2099 and takes gifts from then."
    ]
    assert not Donation.objects.exists()
