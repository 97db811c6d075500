"""The gift's whole path on the real stack: HTTP, localstripe, its signed
webhook, the inbox, a Celery worker process on Redis, and the receipt
email written by that worker."""

import json
import threading
import urllib.request

import pytest

from donations.models import Donation, StripeEvent
from receipts.models import Receipt
from tests.gifts import THREE_D_SECURE_CARD, gift_body
from tests.integration.conftest import wait_for
from tests.localstripe import card_payment_method
from tests.stripe_events import payment_intent_event, sign

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def post_json(url: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def sent_mail(mail_dir) -> list[str]:
    return [path.read_text() for path in sorted(mail_dir.iterdir())]


def test_card_gift_is_receipted_by_the_worker(live_server, campaign, celery_worker_process, mail_dir):
    status, answer = post_json(f"{live_server.url}/api/donations/", gift_body())

    assert (status, answer["status"]) == (201, "succeeded")
    receipt = wait_for(
        lambda: Receipt.objects.filter(status=Receipt.Status.SENT).first(), message="the receipt to be sent"
    )
    [email] = wait_for(lambda: sent_mail(mail_dir), message="the receipt email")
    assert receipt.number in email
    assert "To: ada@example.org" in email


def test_3d_secure_gift_is_completed_by_localstripes_webhook_through_the_worker(
    live_server, campaign, celery_worker_process, localstripe_webhooks_to, localstripe_url, mail_dir
):
    localstripe_webhooks_to(f"{live_server.url}/stripe/webhook/")
    _status, answer = post_json(
        f"{live_server.url}/api/donations/", gift_body(payment_method=card_payment_method(THREE_D_SECURE_CARD))
    )
    assert answer["status"] == "requires_action"
    intent_id = answer["client_secret"].split("_secret_")[0]

    # What Stripe.js does when the donor passes the bank's 3-D Secure check.
    authenticate = urllib.request.Request(
        f"{localstripe_url}/v1/payment_intents/{intent_id}/_authenticate?success=true",
        data=json.dumps({"client_secret": answer["client_secret"], "key": "pk_test_x"}).encode(),
    )
    urllib.request.urlopen(authenticate, timeout=10)

    donation = wait_for(
        lambda: Donation.objects.filter(status=Donation.Status.SUCCEEDED).first(), message="the webhook to land"
    )
    event = StripeEvent.objects.get(type="payment_intent.succeeded")
    assert event.status == StripeEvent.Status.PROCESSED
    assert event.payload["data"]["object"]["id"] == donation.payment_intent_id
    wait_for(lambda: sent_mail(mail_dir), message="the receipt email")
    wait_for(
        lambda: Receipt.objects.filter(donation=donation, status=Receipt.Status.SENT).exists(),
        message="the receipt to be marked sent",
    )


def test_one_event_delivered_three_times_at_once_gives_one_gift_and_one_receipt(
    live_server, client, campaign, celery_worker_process, mail_dir
):
    _status, answer = post_json(
        f"{live_server.url}/api/donations/", gift_body(payment_method=card_payment_method(THREE_D_SECURE_CARD))
    )
    donation = Donation.objects.get(public_id=answer["id"])
    body = json.dumps(payment_intent_event("payment_intent.succeeded", donation, status="succeeded")).encode()
    signature = sign(body)
    statuses = []
    deliveries = [
        threading.Thread(
            target=lambda: statuses.append(
                post(f"{live_server.url}/stripe/webhook/", body, {"Stripe-Signature": signature})
            )
        )
        for _ in range(3)
    ]
    for delivery in deliveries:
        delivery.start()
    for delivery in deliveries:
        delivery.join()

    assert statuses == [200, 200, 200]
    wait_for(lambda: sent_mail(mail_dir), message="the receipt email")
    wait_for(lambda: StripeEvent.objects.filter(status=StripeEvent.Status.PROCESSED).exists(), message="processing")
    assert StripeEvent.objects.count() == 1
    assert Receipt.objects.count() == 1
    assert len(sent_mail(mail_dir)) == 1
    assert client.get("/api/campaigns/dressember-2026/").json()["raised_minor"] == 5000
