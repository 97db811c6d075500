"""POST /api/donations/ and GET /api/donations/<id>/, charged by the fake
Stripe."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from donations.models import Donation, Donor, RecurringPlan
from donations.selectors import counter_tallies
from donations.services import gifts
from receipts.models import Receipt
from tests.gifts import DECLINING_PAYMENT_METHOD, THREE_D_SECURE_PAYMENT_METHOD, gift_body, give, start_card_form
from tests.stripe_events import payment_intent_event, post_event

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


def test_retry_with_the_same_key_and_the_same_body_in_another_key_order_returns_the_first_answer(
    client, campaign, fake_stripe
):
    first = give(client, HTTP_IDEMPOTENCY_KEY="same-gift")
    reordered = json.dumps(dict(reversed(list(gift_body().items()))), indent=2)
    second = client.post(
        "/api/donations/", data=reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY="same-gift"
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert len(fake_stripe.calls_to("charge")) == 1


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param({"amount_minor": 7500}, id="amount"),
        pytest.param({"fund": "rescue"}, id="fund"),
        pytest.param({"payment_method": "pm_card_mastercard"}, id="card"),
        pytest.param({"cover_fees": True}, id="cover-fees"),
        pytest.param({"donor__email": "eve@example.org"}, id="another-donor"),
        pytest.param({"frequency": "monthly"}, id="frequency"),
    ],
)
def test_same_idempotency_key_with_another_body_is_422_and_changes_nothing(client, campaign, fake_stripe, changed):
    first = give(client, HTTP_IDEMPOTENCY_KEY="used-once")
    gift = Donation.objects.get()
    stripe_calls = list(fake_stripe.calls)

    response = give(client, gift_body(**changed), HTTP_IDEMPOTENCY_KEY="used-once")

    assert first.status_code == 201
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert set(response.json()) == {"error"}
    assert fake_stripe.calls == stripe_calls
    assert [(d.pk, d.amount_minor, d.status, d.updated_at) for d in Donation.objects.all()] == [
        (gift.pk, gift.amount_minor, gift.status, gift.updated_at)
    ]
    assert not RecurringPlan.objects.exists()
    assert list(Donor.objects.values_list("email", flat=True)) == ["ada@example.org"]


def test_reused_key_never_reveals_the_other_gifts_3d_secure_secret(client, campaign, fake_stripe):
    awaiting = give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD), HTTP_IDEMPOTENCY_KEY="3ds-key")

    response = give(client, gift_body(donor__email="eve@example.org"), HTTP_IDEMPOTENCY_KEY="3ds-key")

    assert awaiting.json()["client_secret"]
    assert response.status_code == 422
    assert awaiting.json()["id"] not in response.content.decode()
    assert awaiting.json()["client_secret"] not in response.content.decode()
    assert fake_stripe.calls_to("retrieve_payment_intent") == []


def test_reused_key_on_a_monthly_gift_is_422_and_starts_no_second_plan(client, campaign, fake_stripe):
    first = give(client, gift_body(frequency="monthly", amount_minor=2500), HTTP_IDEMPOTENCY_KEY="monthly-key")
    subscriptions = len(fake_stripe.calls_to("subscribe"))

    response = give(client, gift_body(frequency="monthly", amount_minor=9900), HTTP_IDEMPOTENCY_KEY="monthly-key")

    assert first.status_code == 201
    assert response.status_code == 422
    assert RecurringPlan.objects.get().amount_minor == 2500
    assert Donation.objects.count() == 1
    assert len(fake_stripe.calls_to("subscribe")) == subscriptions == 1


def test_racing_request_with_the_same_key_and_another_body_is_422_and_writes_nothing(
    client, campaign, fake_stripe, monkeypatch
):
    """The other request saved its gift between this one's look-up and its
    insert: the unique key refuses the insert, and the second look-up sees
    a gift of another request."""
    give(client, HTTP_IDEMPOTENCY_KEY="raced")
    real_lookup = gifts._gift_with_key
    lookups = iter([lambda key, fingerprint: None])
    monkeypatch.setattr(gifts, "_gift_with_key", lambda *args: next(lookups, real_lookup)(*args))

    response = give(client, gift_body(amount_minor=7500), HTTP_IDEMPOTENCY_KEY="raced")

    assert response.status_code == 422
    assert list(Donation.objects.values_list("amount_minor", flat=True)) == [5000]
    assert len(fake_stripe.calls_to("charge")) == 1


def test_key_of_a_gift_recorded_before_keys_were_tied_to_requests_answers_only_422(client, campaign, fake_stripe):
    give(client, HTTP_IDEMPOTENCY_KEY="from-before")
    Donation.objects.update(idempotency_fingerprint="")

    response = give(client, HTTP_IDEMPOTENCY_KEY="from-before")

    assert response.status_code == 422
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
        "refunded_minor": 0,
        "allocations": [{"fund": "aftercare", "amount_minor": 5000, "refunded_minor": 0}],
        "receipt_number": receipt.number,
        "gift_aid": False,
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


def test_stripe_unreachable_answers_503_with_retry_after_and_keeps_the_gift_pending(client, campaign, fake_stripe):
    with fake_stripe.outage():
        response = give(client)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "payments_unavailable"
    assert response["Retry-After"] == "60"
    assert Donation.objects.get().status == Donation.Status.PENDING


def test_stripe_rate_limit_answers_503_with_a_short_retry_after_and_a_retry_charges_once(client, campaign, fake_stripe):
    key = {"HTTP_IDEMPOTENCY_KEY": "gift-busy-1"}
    fake_stripe.rate_limit_next(2)  # the card's look-up and the charge

    refused = give(client, **key)
    retried = give(client, **key)

    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "payments_unavailable"
    assert refused["Retry-After"] == "5"
    assert retried.status_code == 201
    assert retried.json()["id"] == str(Donation.objects.get().public_id)
    assert len(fake_stripe.calls_to("charge")) == 2
    assert len(fake_stripe.objects_of("payment_intent")) == 1
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED


def test_card_form_under_stripes_rate_limit_is_503_with_a_short_retry_after(client, campaign, fake_stripe):
    fake_stripe.rate_limit_next()

    response = start_card_form(client)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"


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


def test_status_polled_in_a_loop_asks_stripe_at_most_once_in_two_seconds(client, campaign, fake_stripe):
    gift_id = give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD)).json()["id"]

    answers = [client.get(f"/api/donations/{gift_id}/") for _ in range(10)]

    assert {answer.status_code for answer in answers} == {200}
    assert {answer.json()["status"] for answer in answers} == {"requires_action"}
    assert len(fake_stripe.calls_to("retrieve_payment_intent")) == 1


def test_status_between_stripe_look_ups_answers_from_the_ledger_that_webhooks_keep_current(
    client, campaign, fake_stripe, django_capture_on_commit_callbacks
):
    gift_id = give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD)).json()["id"]
    client.get(f"/api/donations/{gift_id}/")
    donation = Donation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, payment_intent_event("payment_intent.succeeded", donation, status="succeeded"))
    lookups = len(fake_stripe.calls_to("retrieve_payment_intent"))

    assert client.get(f"/api/donations/{gift_id}/").json()["status"] == "succeeded"
    assert len(fake_stripe.calls_to("retrieve_payment_intent")) == lookups


def test_donate_pages_thirty_polls_stay_under_the_status_rate_limit(client, campaign):
    gift_id = give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD)).json()["id"]

    assert {client.get(f"/api/donations/{gift_id}/").status_code for _ in range(30)} == {200}


def test_status_reads_past_the_rate_limit_are_429_without_asking_stripe(client, campaign, fake_stripe, settings):
    settings.DONATION_STATUS_RATE_LIMIT = "3/m"
    gift_id = give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD)).json()["id"]
    for _ in range(3):
        client.get(f"/api/donations/{gift_id}/")
    lookups = len(fake_stripe.calls_to("retrieve_payment_intent"))

    response = client.get(f"/api/donations/{gift_id}/")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0
    assert len(fake_stripe.calls_to("retrieve_payment_intent")) == lookups


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


def _updates_of_the_gift(queries) -> list[str]:
    return [query["sql"] for query in queries if query["sql"].startswith('UPDATE "donations_donation"')]


def test_a_paid_gift_saves_its_stripe_ids_in_the_update_that_saves_it_succeeded(client, campaign):
    with CaptureQueriesContext(connection) as queries:
        response = give(client)

    donation = Donation.objects.get(public_id=response.json()["id"])
    assert donation.payment_intent_id.startswith("pi_") and donation.charge_id.startswith("ch_")
    writing_ids = [sql for sql in _updates_of_the_gift(queries) if '"payment_intent_id" =' in sql]
    assert len(writing_ids) == 1
    assert """"status" = 'succeeded'""" in writing_ids[0]
    assert f"'{donation.charge_id}'" in writing_ids[0]


def test_a_declined_gift_saves_its_intent_id_in_the_update_that_saves_it_failed(client, campaign):
    with CaptureQueriesContext(connection) as queries:
        response = give(client, gift_body(payment_method=DECLINING_PAYMENT_METHOD))

    donation = Donation.objects.get(public_id=response.json()["id"])
    assert donation.status == Donation.Status.FAILED
    assert donation.payment_intent_id and donation.charge_attempt_started_at is None
    after_the_charge = [sql for sql in _updates_of_the_gift(queries) if '"payment_intent_id" =' in sql]
    assert len(after_the_charge) == 1
    assert """"status" = 'failed'""" in after_the_charge[0]
    assert '"charge_attempt_started_at" = NULL' in after_the_charge[0]


def test_the_status_answer_reads_the_receipt_number_kept_on_the_gift_and_its_parts_in_two_queries(
    client, campaign, django_capture_on_commit_callbacks, django_assert_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        public_id = give(client).json()["id"]
    number = Receipt.objects.get(donation__public_id=public_id).number

    # The gift with its fund and receipt number, then its parts.
    with django_assert_num_queries(2):
        answer = client.get(f"/api/donations/{public_id}/").json()

    assert answer["receipt_number"] == number
