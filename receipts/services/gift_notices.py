"""Telling fundraisers that someone gave on their page: the page's owner
and the team's captains each get one email per gift, with the donor's name
as the public page shows it (or "Anonymous"), the amount and the message,
and never the donor's email address.

Queued in the gift's own transaction (a hook effects.py runs when a gift
is paid) and sent after it commits, through the outbox, once."""

from campaigns import selectors as campaign_selectors
from receipts import emails, outbox, selectors
from receipts.models import GiftNotice

GIFT_NOTICE_EMAIL = outbox.register_kind(
    "gift_notice",
    model=GiftNotice,
    load=selectors.gift_notice_with_gift,
    build=emails.gift_notice_message,
    created_field="created_at",
    # Someone who left the team or whose account was closed since.
    skip_if=lambda notice: not notice.recipient.is_active,
)


def tell_page_people(*, donation) -> None:
    """The notices of a gift just paid, queued to send once committed."""
    tell_page_people_of_many(donations=[donation])


def tell_page_people_of_many(*, donations) -> None:
    """tell_page_people for many gifts just paid (one query to find who to
    tell, one to record the notices). A gift told of before is not again."""
    on_pages = [donation for donation in donations if donation.team_id or donation.fundraiser_id]
    if not on_pages:
        return
    told = campaign_selectors.people_told_of_gifts({(d.team_id, d.fundraiser_id) for d in on_pages})
    notices = [
        GiftNotice(donation=donation, recipient=person)
        for donation in on_pages
        for person in told[(donation.team_id, donation.fundraiser_id)]
    ]
    GiftNotice.objects.bulk_create(notices, ignore_conflicts=True)
    # With ignore_conflicts PostgreSQL does not say which rows are new, so
    # the pending ones are read back; one sent already is left alone.
    pending = GiftNotice.objects.filter(donation__in=[d.pk for d in on_pages], status=GiftNotice.Status.PENDING)
    outbox.send_many_on_commit(kind=GIFT_NOTICE_EMAIL, pks=list(pending.values_list("pk", flat=True)))
