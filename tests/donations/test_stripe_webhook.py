"""POST /stripe/webhook/: verified on the raw body, stored first, processed
once, in any order."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from core import env, task_queue
from donations.models import Donation, StripeEvent
from donations.selectors import counter_tallies
from donations.services import stripe_events
from receipts.models import Receipt
from tests import factories
from tests.gifts import THREE_D_SECURE_PAYMENT_METHOD, gift_body, give
from tests.stripe_events import event, payment_intent_event, post_event, sign, stripe_object

pytestmark = pytest.mark.django_db


@pytest.fixture
def gift_awaiting_3ds(client, campaign):
    """A gift whose card asked for 3-D Secure: only a webhook can finish it."""
    give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD))
    return Donation.objects.get()


def test_signed_success_event_completes_the_gift_counts_it_and_sends_one_receipt(
    client, gift_awaiting_3ds, mailoutbox, django_capture_on_commit_callbacks
):
    succeeded = payment_intent_event("payment_intent.succeeded", gift_awaiting_3ds, status="succeeded")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, succeeded)

    assert response.status_code == 200
    stored = StripeEvent.objects.get(event_id=succeeded["id"])
    assert stored.status == StripeEvent.Status.PROCESSED
    assert stored.payload == succeeded
    gift_awaiting_3ds.refresh_from_db()
    assert gift_awaiting_3ds.status == Donation.Status.SUCCEEDED
    assert (
        counter_tallies(campaign_id=gift_awaiting_3ds.campaign_id)[
            (gift_awaiting_3ds.campaign_id, None, None)
        ].raised_minor
        == 5000
    )
    assert Receipt.objects.filter(donation=gift_awaiting_3ds).count() == 1
    assert len(mailoutbox) == 1


def test_same_event_delivered_twice_makes_one_gift_and_one_receipt(
    client, gift_awaiting_3ds, mailoutbox, django_capture_on_commit_callbacks
):
    succeeded = payment_intent_event("payment_intent.succeeded", gift_awaiting_3ds, status="succeeded")

    with django_capture_on_commit_callbacks(execute=True):
        first = post_event(client, succeeded)
        second = post_event(client, succeeded)

    assert first.status_code == second.status_code == 200
    assert first.json()["duplicate"] is False
    assert second.json()["duplicate"] is True
    assert StripeEvent.objects.count() == 1
    assert Receipt.objects.count() == 1
    assert len(mailoutbox) == 1
    tally = counter_tallies(campaign_id=gift_awaiting_3ds.campaign_id)[(gift_awaiting_3ds.campaign_id, None, None)]
    assert (tally.raised_minor, tally.gift_count, tally.donor_count) == (5000, 1, 1)


@pytest.mark.django_db(transaction=True)
def test_a_webhook_stores_its_event_in_one_statement_without_a_savepoint_and_still_knows_a_repeat(
    client, campaign, monkeypatch
):
    monkeypatch.setattr(task_queue, "enqueue", lambda task, *args: None)
    gift = factories.DonationFactory(campaign=campaign, payment_intent_id="pi_autocommit")
    succeeded = payment_intent_event("payment_intent.succeeded", gift, status="succeeded")

    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql.split()[0])
        return execute(sql, params, many, context)

    # Not CaptureQueriesContext: each request empties the log it reads.
    # A transaction's BEGIN and COMMIT go past execute: commit() is watched.
    commits = []
    with monkeypatch.context() as watched, connection.execute_wrapper(record):
        watched.setattr(connection, "commit", lambda: commits.append("COMMIT"))
        first = post_event(client, succeeded)
    second = post_event(client, succeeded)

    assert statements == ["INSERT"]
    assert commits == []
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    assert StripeEvent.objects.get().status == StripeEvent.Status.RECEIVED


def test_a_repeat_stored_inside_a_transaction_leaves_that_transaction_usable(gift_awaiting_3ds):
    succeeded = payment_intent_event("payment_intent.succeeded", gift_awaiting_3ds, status="succeeded")
    with transaction.atomic():
        assert stripe_events.store_stripe_event(event=succeeded) is not None
        assert stripe_events.store_stripe_event(event=succeeded) is None
        assert StripeEvent.objects.count() == 1


def test_two_different_events_for_one_success_count_the_gift_once(
    client, gift_awaiting_3ds, django_capture_on_commit_callbacks
):
    """Stripe may send distinct events that both say 'succeeded'."""
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            post_event(client, payment_intent_event("payment_intent.succeeded", gift_awaiting_3ds, status="succeeded"))

    assert StripeEvent.objects.filter(status=StripeEvent.Status.PROCESSED).count() == 2
    assert (
        counter_tallies(campaign_id=gift_awaiting_3ds.campaign_id)[
            (gift_awaiting_3ds.campaign_id, None, None)
        ].gift_count
        == 1
    )
    assert Receipt.objects.count() == 1


def test_late_failure_event_after_success_changes_nothing(
    client, gift_awaiting_3ds, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, payment_intent_event("payment_intent.succeeded", gift_awaiting_3ds, status="succeeded"))
        post_event(
            client,
            payment_intent_event("payment_intent.payment_failed", gift_awaiting_3ds, status="requires_payment_method"),
        )

    gift_awaiting_3ds.refresh_from_db()
    assert gift_awaiting_3ds.status == Donation.Status.SUCCEEDED
    assert (
        counter_tallies(campaign_id=gift_awaiting_3ds.campaign_id)[
            (gift_awaiting_3ds.campaign_id, None, None)
        ].raised_minor
        == 5000
    )


def test_failure_event_fails_a_gift_awaiting_authentication(
    client, gift_awaiting_3ds, django_capture_on_commit_callbacks
):
    failed = payment_intent_event(
        "payment_intent.payment_failed",
        gift_awaiting_3ds,
        status="requires_payment_method",
        last_payment_error={"code": "payment_intent_authentication_failure", "message": "Authentication failed."},
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, failed)

    gift_awaiting_3ds.refresh_from_db()
    assert gift_awaiting_3ds.status == Donation.Status.FAILED
    assert gift_awaiting_3ds.failure_code == "payment_intent_authentication_failure"
    assert not Receipt.objects.exists()


@pytest.mark.parametrize(
    "signature_header",
    [
        pytest.param(None, id="missing"),
        pytest.param("t=1,v1=deadbeef", id="garbage"),
        pytest.param("wrong-secret", id="signed-with-another-secret"),
        pytest.param("stale", id="replayed-after-tolerance"),
    ],
)
def test_event_without_a_valid_signature_is_400_and_stores_nothing(client, gift_awaiting_3ds, signature_header):
    body = json.dumps(payment_intent_event("payment_intent.succeeded", gift_awaiting_3ds, status="succeeded")).encode()
    headers = {}
    if signature_header == "wrong-secret":
        headers["HTTP_STRIPE_SIGNATURE"] = sign(body, secret="whsec_not_ours")
    elif signature_header == "stale":
        headers["HTTP_STRIPE_SIGNATURE"] = sign(body, timestamp=1_600_000_000)
    elif signature_header:
        headers["HTTP_STRIPE_SIGNATURE"] = signature_header

    response = client.post("/stripe/webhook/", data=body, content_type="application/json", **headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_webhook"
    assert not StripeEvent.objects.exists()
    gift_awaiting_3ds.refresh_from_db()
    assert gift_awaiting_3ds.status == Donation.Status.REQUIRES_ACTION


def test_body_changed_after_signing_is_refused(client, gift_awaiting_3ds):
    """The signature covers the raw bytes, not a re-serialised copy."""
    body = json.dumps(payment_intent_event("payment_intent.succeeded", gift_awaiting_3ds, status="succeeded")).encode()
    signature = sign(body)

    response = client.post(
        "/stripe/webhook/", data=body + b" ", content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize("body", [b"[]", b'{"id": "evt_1"}', b"not json", b"\xff\xfe"])
def test_signed_body_that_is_not_an_event_is_400(client, db, body):
    response = client.post(
        "/stripe/webhook/", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body)
    )

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_get_is_not_allowed(client, db):
    assert client.get("/stripe/webhook/").status_code == 405


def test_unknown_event_type_is_stored_and_ignored(client, db, django_capture_on_commit_callbacks):
    plan_created = event("plan.created", stripe_object("plan"))

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, plan_created)

    assert response.status_code == 200
    assert StripeEvent.objects.get().status == StripeEvent.Status.IGNORED


def test_event_for_a_payment_that_is_not_a_gift_is_ignored(client, campaign, django_capture_on_commit_callbacks):
    foreign = event("payment_intent.succeeded", stripe_object("payment_intent", status="succeeded", metadata={}))

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, foreign)

    assert StripeEvent.objects.get().status == StripeEvent.Status.IGNORED
    assert counter_tallies() == {}


def test_event_whose_amount_disagrees_with_the_gift_fails_visibly_and_changes_nothing(
    client, gift_awaiting_3ds, django_capture_on_commit_callbacks
):
    wrong_amount = payment_intent_event("payment_intent.succeeded", gift_awaiting_3ds, status="succeeded", amount=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, wrong_amount)

    assert response.status_code == 200  # stored: ours to fix, not Stripe's to resend
    stored = StripeEvent.objects.get()
    assert stored.status == StripeEvent.Status.FAILED
    assert "charged 5000" in stored.last_error
    gift_awaiting_3ds.refresh_from_db()
    assert gift_awaiting_3ds.status == Donation.Status.REQUIRES_ACTION


def padded_success_event(donation, *, size: int) -> dict:
    """A success event about `size` bytes long: Stripe's invoices and
    charges with many lines and metadata are this large."""
    succeeded = payment_intent_event("payment_intent.succeeded", donation, status="succeeded")
    succeeded["data"]["object"]["description"] = "x" * (size - len(json.dumps(succeeded)))
    return succeeded


def test_signed_200_kib_event_is_verified_and_processed(client, gift_awaiting_3ds, django_capture_on_commit_callbacks):
    succeeded = padded_success_event(gift_awaiting_3ds, size=200 * 1024)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, succeeded)

    assert response.status_code == 200
    assert StripeEvent.objects.get().status == StripeEvent.Status.PROCESSED
    gift_awaiting_3ds.refresh_from_db()
    assert gift_awaiting_3ds.status == Donation.Status.SUCCEEDED


def test_200_kib_body_changed_after_signing_is_still_refused(client, gift_awaiting_3ds):
    body = json.dumps(padded_success_event(gift_awaiting_3ds, size=200 * 1024)).encode()
    signature = sign(body)

    response = client.post(
        "/stripe/webhook/",
        data=body.replace(b"xxxx", b"yyyy", 1),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_signed_2_mib_event_is_413_and_stores_nothing(client, gift_awaiting_3ds):
    response = post_event(client, padded_success_event(gift_awaiting_3ds, size=2 * 1024 * 1024))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not StripeEvent.objects.exists()
    gift_awaiting_3ds.refresh_from_db()
    assert gift_awaiting_3ds.status == Donation.Status.REQUIRES_ACTION


def test_webhook_size_cap_is_a_setting(client, gift_awaiting_3ds, settings):
    settings.STRIPE_WEBHOOK_MAX_BYTES = 100 * 1024

    response = post_event(client, padded_success_event(gift_awaiting_3ds, size=200 * 1024))

    assert response.status_code == 413


def test_webhook_size_cap_that_is_not_a_number_stops_start_up(monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_MAX_BYTES", "1MB")

    with pytest.raises(ImproperlyConfigured, match="STRIPE_WEBHOOK_MAX_BYTES must be a whole number"):
        env.integer("STRIPE_WEBHOOK_MAX_BYTES", 1024)
