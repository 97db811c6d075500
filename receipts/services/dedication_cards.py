"""Telling the person a donor named that a gift was given in honour or in
memory of someone: one email per gift, to the dedication's notify_email,
naming the donor as the public page does (or "Someone", for an anonymous
gift) and never stating the amount.

Queued in the gift's own transaction (a hook effects.py runs when a gift
is paid, one gift at a time or many at once) and sent after it commits,
through the outbox, once: the card is a row unique per gift. Monthly
renewals carry no address to tell (donations.services.recurring), so only
the first month's gift sends one. The address is someone who never asked
us for mail: once it bounced, complained or unsubscribed (the suppression
list), the card is skipped."""

from receipts import emails, outbox, selectors
from receipts.models import DedicationCard

DEDICATION_CARD_EMAIL = outbox.register_kind(
    "dedication_card",
    model=DedicationCard,
    load=selectors.dedication_card_with_gift,
    build=emails.dedication_card_message,
    created_field="created_at",
    skip_if=lambda card: selectors.is_suppressed(card.email),
)


def send_card(*, donation) -> None:
    """The card of a gift just paid, queued to send once committed."""
    send_cards(donations=[donation])


def send_cards(*, donations) -> None:
    """send_card for many gifts just paid: no query at all unless one of
    them names someone to tell. A gift whose card exists is not told again."""
    to_tell = [donation for donation in donations if donation.dedication_notify_email and donation.dedication_kind]
    if not to_tell:
        return
    DedicationCard.objects.bulk_create(
        [DedicationCard(donation=donation, email=donation.dedication_notify_email) for donation in to_tell],
        ignore_conflicts=True,
    )
    # With ignore_conflicts PostgreSQL does not say which rows are new, so
    # the pending ones are read back; one sent already is left alone.
    pending = DedicationCard.objects.filter(
        donation__in=[donation.pk for donation in to_tell], status=DedicationCard.Status.PENDING
    )
    outbox.send_many_on_commit(kind=DEDICATION_CARD_EMAIL, pks=list(pending.values_list("pk", flat=True)))
