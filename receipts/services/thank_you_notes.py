"""Fundraisers thanking their donors: the owner of a fundraiser page, or a
captain of the team, writes a short note from their dashboard to the donor
of a gift on it, and the charity emails it. The sender never learns the
donor's address, nor whether it reached them.

At most one note per gift, whoever writes it: the note's row is unique per
gift, so a double click, a second captain or a replayed request finds it
there and sends nothing. The email is queued in the note's own transaction
and sent once after it commits, through the outbox (receipts/outbox.py).
It is a reply to the donor's own gift, so unsubscribing from impact
updates does not stop it; an address that bounced, complained or was
refused by the provider does (it is skipped when it would be sent)."""

from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from receipts import emails, outbox, selectors
from receipts.models import ThankYouNote

THANK_YOU_EMAIL = outbox.register_kind(
    "thank_you_note",
    model=ThankYouNote,
    load=selectors.thank_you_note_with_gift,
    build=emails.thank_you_note_message,
    created_field="created_at",
    skip_if=lambda note: selectors.is_undeliverable(note.donation.donor.email),
)


class NoteRefused(Exception):
    """A note the rules do not allow; the message is for its writer."""


class AlreadyThanked(NoteRefused):
    def __init__(self):
        super().__init__("This donor has already been thanked for this gift; nothing more was sent.")


@dataclass(frozen=True)
class Signature:
    """How the note names who wrote it, as public pages name them, and the
    page the gift was made on."""

    signed_as: str
    page_name: str
    page_url: str


def signature(*, donation, sender, thanked_from) -> Signature:
    """The gift's own page (a fundraiser's, or the team's), and the sender
    by first name as the fundraiser page shows its owner; a captain
    thanking from the team's dashboard a gift to a member's page signs as
    the team's captain. `thanked_from`: the team or fundraiser whose
    dashboard the note was written on."""
    given_on = donation.fundraiser or donation.team
    signed_as = sender.first_name or thanked_from.name
    if thanked_from != given_on:
        signed_as = f"{signed_as}, captain of {thanked_from.name}"
    return Signature(
        signed_as=_one_line(signed_as)[:150],
        page_name=_one_line(given_on.name)[:120],
        page_url=settings.SITE_URL + given_on.get_absolute_url(),
    )


def thank_donor(*, donation, sender, text: str, thanked_from) -> ThankYouNote:
    """Record the note for this gift and queue its email to the donor, sent
    once after commit. Raises AlreadyThanked if the gift has a note (this
    one's concurrent twin included: the second insert waits on the first's
    unique key, then fails), NoteRefused for an empty or overlong note or
    a gift not (or no longer) paid. The caller has checked that `sender`
    may manage `thanked_from` (the team or fundraiser whose dashboard the
    note was written on) and that the gift was made on it."""
    text = text.strip()
    if not text:
        raise NoteRefused("Write a few words to the donor.")
    if len(text) > ThankYouNote.TEXT_MAX_LENGTH:
        raise NoteRefused(f"Keep the note to {ThankYouNote.TEXT_MAX_LENGTH} characters.")
    if not donation.is_counted:
        raise NoteRefused("Only a paid gift can be thanked.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                note = ThankYouNote.objects.create(
                    donation=donation,
                    sender=sender,
                    text=text,
                    **asdict(signature(donation=donation, sender=sender, thanked_from=thanked_from)),
                )
        except IntegrityError:
            if ThankYouNote.objects.filter(donation=donation).exists():
                raise AlreadyThanked() from None
            raise
        outbox.send_on_commit(kind=THANK_YOU_EMAIL, pk=note.pk)
    return note


def _one_line(value: str) -> str:
    """For a subject line: no line breaks, no runs of spaces."""
    return " ".join(value.split())
