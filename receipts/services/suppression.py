"""The provider's tracking events, and the addresses that get no more
impact updates: bounced, complained, rejected or unsubscribed."""

from django.db import transaction

from donations import update_consent
from donations.models import UpdateConsent
from donations.services import update_choices
from receipts import selectors
from receipts.models import EmailSuppression, ProviderEvent

# Provider event types that mean "send no more updates to this address".
SUPPRESSING_EVENTS = {
    "bounced": EmailSuppression.Reason.BOUNCED,
    "complained": EmailSuppression.Reason.COMPLAINED,
    "rejected": EmailSuppression.Reason.REJECTED,
    "unsubscribed": EmailSuppression.Reason.UNSUBSCRIBED,
}


def record_provider_event(*, esp_name: str, event_id: str, event_type: str, recipient: str) -> bool:
    """Store a tracking event once (by the provider's event id) and suppress
    its address when it bounced, complained, was rejected or unsubscribed.
    Returns False for an event already recorded."""
    # Cut to the columns' sizes: a provider's oddity must not become a 500
    # that it retries for days.
    recipient = (recipient or "")[:254]
    with transaction.atomic():
        _, created = ProviderEvent.objects.get_or_create(
            esp_name=esp_name[:50],
            event_id=event_id[:255],
            defaults={"event_type": event_type[:30], "recipient": recipient},
        )
        if created and recipient and event_type in SUPPRESSING_EVENTS:
            suppress(email=recipient, reason=SUPPRESSING_EVENTS[event_type])
    return created


def suppress(*, email: str, reason: str) -> EmailSuppression:
    """The first reason recorded for an address stands."""
    suppression, _ = EmailSuppression.objects.get_or_create(email=email.lower(), defaults={"reason": reason})
    return suppression


def unsubscribe(*, token: str) -> EmailSuppression | None:
    """The donor behind an update's unsubscribe link gets no more updates:
    their address is suppressed, and their choice becomes no, recorded as
    made by the unsubscribe link (once: a repeated post records nothing).
    None for a token that belongs to no update."""
    delivery = selectors.delivery_by_unsubscribe_token(token)
    if delivery is None:
        return None
    email = delivery.donor.email
    with transaction.atomic():
        update_choices.refuse_updates(
            donor_id=delivery.donor_id,
            source=UpdateConsent.Source.UNSUBSCRIBE_LINK,
            wording=update_consent.UNSUBSCRIBE_LINK.format(email=email),
        )
        return suppress(email=email, reason=EmailSuppression.Reason.UNSUBSCRIBED)


def lift_unsubscribe(*, email: str) -> bool:
    """The address gets impact updates again if all that stopped them was
    the donor's unsubscribe (the donor turned them back on themselves);
    never a bounce, a complaint or a provider's refusal. Whether one was
    lifted."""
    deleted, _ = EmailSuppression.objects.filter(
        email=email.lower(), reason=EmailSuppression.Reason.UNSUBSCRIBED
    ).delete()
    return bool(deleted)
