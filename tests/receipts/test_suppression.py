"""The provider's tracking webhook and the donor's unsubscribe link: both
suppress an address for impact updates."""

import base64
import json

import pytest
from django.test import Client

from receipts.models import EmailSuppression, ImpactUpdate, ProviderEvent, UpdateDelivery
from tests.receipts.audience import donors_who_gave

pytestmark = pytest.mark.django_db

WEBHOOK = "/anymail/postmark/tracking/"


@pytest.fixture
def webhook_secret(settings):
    """Postmark is the provider we send through (only its webhook is mounted)."""
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "anymail:s3cret-webhook"}


def post_event(client, payload: dict, credentials: str = "anymail:s3cret-webhook"):
    auth = "Basic " + base64.b64encode(credentials.encode()).decode()
    return client.post(WEBHOOK, data=json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=auth)


def bounce(email: str = "Ada@Example.org", event_id: int = 4323372036854775807, kind: str = "HardBounce") -> dict:
    """Postmark's bounce webhook, as its documentation shows it."""
    return {
        "RecordType": "Bounce",
        "ID": event_id,
        "Type": kind,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Description": "The server was unable to deliver",
        "Email": email,
        "From": "receipts@hopefund.example",
        "BouncedAt": "2026-11-23T10:00:00Z",
    }


def test_a_bounce_suppresses_the_address_once_however_often_it_is_reported(client, webhook_secret):
    first = post_event(client, bounce())
    again = post_event(client, bounce())

    assert (first.status_code, again.status_code) == (200, 200)
    assert ProviderEvent.objects.count() == 1
    suppression = EmailSuppression.objects.get()
    assert (suppression.email, suppression.reason) == ("ada@example.org", "bounced")


def test_a_spam_complaint_suppresses_the_address(client, webhook_secret):
    complaint = {**bounce(event_id=7), "RecordType": "SpamComplaint", "Type": "SpamComplaint"}

    assert post_event(client, complaint).status_code == 200

    assert EmailSuppression.objects.get().reason == "complained"


def test_an_unsubscribe_without_an_event_id_is_still_recorded_once(client, webhook_secret):
    change = {
        "RecordType": "SubscriptionChange",
        "MessageID": "a4909a96-73d6-4c49-b148-a54522d3f70a",
        "ChangedAt": "2026-11-23T10:00:00Z",
        "Recipient": "ada@example.org",
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
    }

    post_event(client, change)
    post_event(client, change)

    assert ProviderEvent.objects.count() == 1
    assert EmailSuppression.objects.get().reason == "unsubscribed"


def test_a_delivery_or_soft_problem_suppresses_nothing(client, webhook_secret):
    delivered = {
        "RecordType": "Delivery",
        "MessageID": "x",
        "Recipient": "ada@example.org",
        "DeliveredAt": "2026-11-23T10:00:00Z",
        "Details": "",
    }

    post_event(client, delivered)
    post_event(client, bounce(event_id=8, kind="Transient"))

    assert ProviderEvent.objects.count() == 2
    assert not EmailSuppression.objects.exists()


@pytest.mark.parametrize("credentials", ["anymail:wrong", "someone:s3cret-webhook"])
def test_the_webhook_refuses_requests_without_the_secret(client, webhook_secret, credentials):
    response = post_event(client, bounce(), credentials=credentials)

    assert response.status_code == 400
    assert not ProviderEvent.objects.exists() and not EmailSuppression.objects.exists()


@pytest.fixture
def delivery(campaign, funds):
    [donor] = donors_who_gave(1, campaign=campaign, fund=funds["aftercare"])
    update = ImpactUpdate.objects.create(title="Spring news", body="Thank you.")
    return UpdateDelivery.objects.create(update=update, donor=donor)


def test_the_unsubscribe_page_asks_before_unsubscribing(client, delivery):
    response = client.get(f"/unsubscribe/{delivery.unsubscribe_token}/")

    assert response.status_code == 200
    assert "Unsubscribe donor0@example.org" in response.content.decode()
    assert not EmailSuppression.objects.exists()


def test_one_click_unsubscribe_works_without_a_csrf_token(delivery):
    """RFC 8058: the mail client POSTs List-Unsubscribe=One-Click."""
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        f"/unsubscribe/{delivery.unsubscribe_token}/",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert "will get no more updates" in response.content.decode()
    suppression = EmailSuppression.objects.get()
    assert (suppression.email, suppression.reason) == ("donor0@example.org", "unsubscribed")


def test_unsubscribing_twice_keeps_one_suppression(client, delivery):
    client.post(f"/unsubscribe/{delivery.unsubscribe_token}/")
    client.post(f"/unsubscribe/{delivery.unsubscribe_token}/")

    assert EmailSuppression.objects.count() == 1


def test_an_unknown_unsubscribe_link_is_not_found(client, db):
    response = client.post("/unsubscribe/not-a-token/")

    assert response.status_code == 404
    assert "not recognised" in response.content.decode()
    assert not EmailSuppression.objects.exists()
