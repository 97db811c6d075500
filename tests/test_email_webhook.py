"""Only the configured email provider's tracking webhook is mounted, it
refuses calls without ANYMAIL_WEBHOOK_SECRET, and events that claim to
come from another provider change nothing."""

import base64
import json
from datetime import UTC, datetime

import pytest
from anymail.signals import AnymailTrackingEvent, tracking

from receipts.models import EmailSuppression, ProviderEvent

pytestmark = pytest.mark.django_db

POSTMARK = "anymail.backends.postmark.EmailBackend"
SECRET = "anymail:s3cret-webhook"
HARD_BOUNCE = {"RecordType": "Bounce", "ID": 42, "Type": "HardBounce", "Email": "ada@example.org", "MessageID": "m"}


@pytest.fixture
def postmark(settings):
    settings.EMAIL_BACKEND = POSTMARK
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}


def post(client, path: str, *, credentials: str | None = SECRET):
    headers = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()} if credentials else {}
    return client.post(path, data=json.dumps(HARD_BOUNCE), content_type="application/json", **headers)


@pytest.mark.parametrize(
    "path",
    [
        "/anymail/sendgrid/tracking/",
        "/anymail/mailgun/tracking/",
        "/anymail/mandrill/",
        "/anymail/postmark/inbound/",
        "/anymail/sendgrid/inbound/",
        "/anymail/nobody/tracking/",
    ],
)
def test_other_providers_webhooks_and_every_inbound_webhook_are_not_found(client, postmark, path):
    assert post(client, path).status_code == 404
    assert not ProviderEvent.objects.exists()


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.smtp.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "anymail.backends.test.EmailBackend",
    ],
)
def test_with_a_backend_that_has_no_tracking_webhook_nothing_is_mounted(client, settings, postmark, backend):
    settings.EMAIL_BACKEND = backend

    assert post(client, "/anymail/postmark/tracking/").status_code == 404
    assert not EmailSuppression.objects.exists()


def test_the_configured_providers_webhook_suppresses_with_the_secret(client, postmark):
    assert post(client, "/anymail/postmark/tracking/").status_code == 200

    assert EmailSuppression.objects.get().email == "ada@example.org"


def test_a_call_without_basic_auth_is_refused_and_suppresses_nothing(client, postmark):
    response = post(client, "/anymail/postmark/tracking/", credentials=None)

    assert response.status_code == 400
    assert not ProviderEvent.objects.exists() and not EmailSuppression.objects.exists()


def test_an_event_reported_for_another_provider_is_ignored(postmark):
    event = AnymailTrackingEvent(
        event_type="bounced", recipient="ada@example.org", event_id="sg-1", timestamp=datetime.now(UTC)
    )

    tracking.send(sender=object, event=event, esp_name="SendGrid")

    assert not ProviderEvent.objects.exists() and not EmailSuppression.objects.exists()
