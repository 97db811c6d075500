"""Telling fundraisers that someone gave on their page: the page's owner
and the team's captains each get one email per gift, with the donor's name
as the public page shows it (or "Anonymous"), the amount and the message,
and never the donor's email address. And when finance moves a gift to
their page, one email per move: the gift now counts for them.

Queued in the gift's own transaction (a hook effects.py runs when a gift
is paid, or moved) and sent after it commits, through the outbox, once."""

from campaigns import selectors as campaign_selectors
from receipts import emails, outbox, selectors
from receipts.models import GiftNotice, MoveNotice

GIFT_NOTICE_EMAIL = outbox.register_kind(
    "gift_notice",
    model=GiftNotice,
    load=selectors.gift_notice_with_gift,
    build=emails.gift_notice_message,
    created_field="created_at",
    # Someone who left the team or whose account was closed since.
    skip_if=lambda notice: not notice.recipient.is_active,
)

MOVE_NOTICE_EMAIL = outbox.register_kind(
    "move_notice",
    model=MoveNotice,
    load=selectors.move_notice_with_gift,
    build=emails.move_notice_message,
    created_field="created_at",
    # Someone who left since, or a gift moved on again before the email
    # went: "it now counts for you" would no longer be true.
    skip_if=lambda notice: not notice.recipient.is_active or not _still_counts_there(notice.move),
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


def tell_page_people_of_move(*, donation, move) -> None:
    """The notices of `move`, the record of finance moving `donation`, to
    the people the gift now counts for: the new page's owner and its team's
    captains who were not already the old page's (a captain of both teams'
    pages, or of the team a gift moves within, had it counting for them
    already). Queued to send once committed; one per move and person.

    The old page's people are not told: a gift taken away is finance's
    business, explained by finance if asked, and an email saying so would
    only invite the donor's name into a dispute between pages."""
    if not (move.to_team_id or move.to_fundraiser_id):
        return
    new = (move.to_team_id, move.to_fundraiser_id)
    old = (move.from_team_id, move.from_fundraiser_id)
    told = campaign_selectors.people_told_of_gifts({new, old})
    already = {person.pk for person in told[old]}
    MoveNotice.objects.bulk_create(
        [MoveNotice(move=move, recipient=person) for person in told[new] if person.pk not in already],
        ignore_conflicts=True,
    )
    pending = MoveNotice.objects.filter(move=move, status=MoveNotice.Status.PENDING)
    outbox.send_many_on_commit(kind=MOVE_NOTICE_EMAIL, pks=list(pending.values_list("pk", flat=True)))


def _still_counts_there(move) -> bool:
    donation = move.donation
    return (donation.team_id, donation.fundraiser_id) == (move.to_team_id, move.to_fundraiser_id)
