"""The email provider's tracking webhook (anymail, at
/anymail/<esp>/tracking/, protected by ANYMAIL_WEBHOOK_SECRET) lands here."""

import hashlib

from anymail.signals import tracking
from django.dispatch import receiver

from receipts.services import suppression


@receiver(tracking, dispatch_uid="receipts.record_tracking_event")
def record_tracking_event(sender, event, esp_name, **kwargs):
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
