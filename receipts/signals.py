"""The email provider's tracking webhook (anymail, at
/anymail/<esp>/tracking/, protected by ANYMAIL_WEBHOOK_SECRET) lands here,
from the configured provider only."""

import hashlib
import logging

from anymail.signals import tracking
from django.conf import settings
from django.dispatch import receiver

from core import email_provider
from receipts.services import suppression

logger = logging.getLogger(__name__)


@receiver(tracking, dispatch_uid="receipts.record_tracking_event")
def record_tracking_event(sender, event, esp_name, **kwargs):
    configured = email_provider.tracking_webhook_view(settings.EMAIL_BACKEND)
    if configured is None or esp_name != configured.esp_name:
        # Only the provider we send through knows which of our emails bounced.
        logger.warning("Ignored a %s tracking event: EMAIL_BACKEND is %s", esp_name, settings.EMAIL_BACKEND)
        return
    suppression.record_provider_event(
        esp_name=esp_name,
        event_id=event.event_id or _fingerprint(event),
        event_type=event.event_type,
        recipient=event.recipient or "",
    )


def _fingerprint(event) -> str:
    """Some providers send some events without an id: the same event sent
    twice still has the same type, recipient, time and message."""
    parts = (event.event_type, event.recipient, event.timestamp and event.timestamp.isoformat(), event.message_id)
    return "sha256:" + hashlib.sha256(repr(parts).encode()).hexdigest()
