"""Receipts: numbered, issued, voided and corrected.

A receipt is created, with its number, in the same transaction that makes
its gift succeed, so a gift can never succeed without one and a rolled-back
gift never uses up a number. Everything it says is stored on it then
(Receipt.record, see receipts.documents) and never worked out again.

Lock order, after the donation ledger's: ReceiptSequence -> Receipt ->
VoidNotice.
"""

import logging

from django.conf import settings
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from donations import selectors as donation_selectors
from donations.models import Donation
from receipts import documents, emails, outbox, selectors
from receipts.models import Receipt, ReceiptSequence, VoidNotice, token_hash

logger = logging.getLogger(__name__)

PDF_LINK_SALT = "hopefund.receipt-pdf-link"


def pdf_link(*, receipt: Receipt) -> str:
    """The donor's link to download this receipt's PDF again, for the email
    about to be sent; only its token's hash is stored, so the link exists
    nowhere but in the email, and an earlier email's link stops working.

    The token is derived (HMAC with SECRET_KEY) from the receipt and its
    delivery attempt, not drawn at random: the outbox builds a message
    before it claims the send, so two workers racing for one attempt build
    the same link, and the one that loses cannot break the link in the
    email the winner sent. Each new attempt (a retry, staff sending it
    again) gets a new token. A send resumed after its worker died (a row
    still `sending`) is the same attempt: the email that may have gone out,
    which mail clients take for the same message, keeps a working link.

    The hash is stored only while the row is at the attempt the token was
    made for; a worker that loaded it earlier writes nothing, and the
    outbox refuses its claim."""
    attempt = receipt.attempts - 1 if receipt.status == Receipt.Status.SENDING else receipt.attempts
    token = salted_hmac(PDF_LINK_SALT, f"{receipt.pk}:{attempt}", algorithm="sha256").hexdigest()
    Receipt.objects.filter(pk=receipt.pk, attempts=receipt.attempts).update(pdf_token_hash=token_hash(token))
    return settings.SITE_URL + reverse("receipts:pdf", kwargs={"token": token})


def compose_receipt_email(receipt: Receipt):
    return emails.receipt_message(receipt, pdf_url=pdf_link(receipt=receipt))


RECEIPT_EMAIL = outbox.register_kind(
    "receipt",
    model=Receipt,
    load=selectors.receipt_with_gift,
    build=compose_receipt_email,
    created_field="issued_at",
)
VOID_NOTICE_EMAIL = outbox.register_kind(
    "void_notice",
    model=VoidNotice,
    load=selectors.void_notice_with_receipt,
    build=emails.void_notice_message,
    created_field="created_at",
)


def issue_receipt(*, donation) -> Receipt:
    """The gift's receipt, created and queued for sending if it has none.
    Must run inside the transaction that holds the donation's row lock."""
    existing = Receipt.objects.filter(donation=donation, replaces__isnull=True).first()
    if existing:
        return existing
    benefit = selectors.benefits_received([donation])[donation.pk]
    receipt = _issue(
        donation=donation,
        amount_minor=donation.charged_minor,
        replaces=None,
        benefit_description=benefit.description,
        benefit_value_minor=benefit.value_minor,
    )
    _show_on_gift(donation, receipt)
    return receipt


def issue_receipts(*, donations) -> list[Receipt]:
    """issue_receipt for many gifts just paid in the caller's transaction,
    under their row locks, oldest first: numbered in that order, each
    year's numbers reserved under one lock, saved and queued in a few
    statements. A gift that has its receipt already (none should: no
    receipt is issued before a gift is paid) keeps it, as with
    issue_receipt."""
    receipted = set(
        Receipt.objects.filter(donation__in=donations, replaces__isnull=True).values_list("donation_id", flat=True)
    )
    kept = [issue_receipt(donation=donation) for donation in donations if donation.pk in receipted]
    donations = [donation for donation in donations if donation.pk not in receipted]
    benefits = selectors.benefits_received(donations)
    # What each receipt says of its gift's parts, read for the lot at once.
    parts = donation_selectors.parts_of_gifts([donation.pk for donation in donations])
    years = [timezone.localtime(donation.succeeded_at).year for donation in donations]
    next_number = {}
    for year in sorted(set(years)):
        next_number[year] = _reserve_sequences(year, years.count(year)) - years.count(year) + 1
    issued_at = timezone.now()
    receipts = []
    for donation, year in zip(donations, years, strict=True):
        sequence = next_number[year]
        next_number[year] += 1
        benefit = benefits[donation.pk]
        receipts.append(
            _numbered(
                donation=donation,
                year=year,
                sequence=sequence,
                amount_minor=donation.charged_minor,
                replaces=None,
                benefit_description=benefit.description,
                benefit_value_minor=benefit.value_minor,
                issued_at=issued_at,
                parts=parts.get(donation.pk, []),
            )
        )
    Receipt.objects.bulk_create(receipts, batch_size=1000)
    _show_many_on_gifts(receipts)
    outbox.send_many_on_commit(kind=RECEIPT_EMAIL, pks=[receipt.pk for receipt in receipts])
    return [*kept, *receipts]


def reissue_after_refund(*, donation) -> Receipt | None:
    """Bring a refunded gift's receipts in line with what the donor kept
    given. Called by donations.services inside the transaction that holds
    the donation's row lock, after it has recorded the refund.

    Refunded in full, or lost to a dispute (the bank took the money back):
    every live receipt becomes void, and the donor is sent a void notice
    for each one they may have received. Refunded in
    part: the current receipt becomes void and a corrected receipt, with a
    new number, replaces it for the amount charged less the refunds.
    Nothing changes when the receipts already match (a repeated call).
    Returns the receipt that now stands, if any."""
    with transaction.atomic():
        standing = _bring_in_line_after_refund(donation)
        _show_on_gift(donation, standing)
    return standing


def _bring_in_line_after_refund(donation) -> Receipt | None:
    receipts = selectors.receipts_of_donation(donation.pk)
    live = [receipt for receipt in receipts if receipt.status != Receipt.Status.VOID]
    if donation.status in (donation.Status.REFUNDED, donation.Status.DISPUTE_LOST) or donation.kept_minor <= 0:
        _void(live, notify_donor=True)
        return None
    if donation.status != donation.Status.PARTIALLY_REFUNDED or not receipts:
        return live[-1] if live else None
    # The last receipt is the head of the chain of corrections.
    current = receipts[-1]
    if live == [current] and current.amount_minor == donation.kept_minor:
        return current
    return _correct(donation, current=current, live=live, amount_minor=donation.kept_minor)


def _correct(donation, *, current: Receipt, live: list[Receipt], amount_minor: int) -> Receipt:
    """A corrected receipt for `amount_minor` replacing `current`, the head
    of the chain, stating the gift as it is now; the `live` ones void."""
    corrected = _issue(
        donation=donation,
        amount_minor=amount_minor,
        replaces=current,
        benefit_description=current.benefit_description,
        benefit_value_minor=current.benefit_value_minor,
    )
    # The corrected receipt itself tells the donor the old one is void.
    _void(live, notify_donor=False)
    return corrected


def _states_other_place(receipt: Receipt, donation) -> bool:
    """Whether `receipt` states funds or a campaign other than the gift's
    now (as documents.receipt_facts_at_issue words them: a split gift's
    parts' funds in order, or the one fund): what a move can change that a
    receipt states. The page and team are on no receipt."""
    stated = documents.ReceiptFacts.from_record(receipt.record)
    funds_now = [part.fund.name for part in donation_selectors.parts_of(donation)]
    return (stated.funds, stated.campaign) != (funds_now, donation.campaign.title)


def correct_after_move(*, donation, move) -> Receipt | None:
    """Bring a moved gift's receipt in line with where it is now. Called by
    donations.services (effects.ON_MOVED) inside the transaction that holds
    the donation's row lock, after it has saved the move. The receipt is
    compared with the gift itself, not with `move` (the record of this
    move): what matters is what the receipt states against where the gift
    counts now.

    If the standing receipt states something the move changed (the fund),
    it becomes void and a corrected receipt with a new number, for the
    same amount, replaces it and says which it replaces. A move that
    changes nothing a receipt states (another page or team), and a gift
    with no standing receipt (none asked for, or refunded in full), get
    no new receipt. Returns the receipt that now stands, if any."""
    with transaction.atomic():
        receipts = selectors.receipts_of_donation(donation.pk)
        live = [receipt for receipt in receipts if receipt.status != Receipt.Status.VOID]
        if not live:
            return None
        current = receipts[-1]
        if current.status == Receipt.Status.VOID:
            return live[-1]
        if not _states_other_place(current, donation):
            return current
        standing = _correct(donation, current=current, live=live, amount_minor=current.amount_minor)
        _show_on_gift(donation, standing)
    return standing


def _show_on_gift(donation, receipt: Receipt | None) -> None:
    """Keep the gift's copy of the standing receipt's number
    (Donation.receipt_number, which the gift export reads) equal to
    `receipt`, the one that stands now, in the transaction that changed it.
    The caller holds the donation's row lock, so the copy cannot go stale
    between this write and the commit."""
    number = receipt.number if receipt else ""
    if donation.receipt_number != number:
        Donation.objects.filter(pk=donation.pk).update(receipt_number=number)
        donation.receipt_number = number


# Gifts whose receipt numbers are copied by one statement.
_GIFTS_PER_UPDATE = 5000


def _show_many_on_gifts(receipts: list[Receipt]) -> None:
    """_show_on_gift for gifts whose only receipts these are."""
    for start in range(0, len(receipts), _GIFTS_PER_UPDATE):
        chunk = receipts[start : start + _GIFTS_PER_UPDATE]
        Donation.objects.filter(pk__in=[receipt.donation_id for receipt in chunk]).update(
            receipt_number=Subquery(Receipt.objects.filter(donation_id=OuterRef("pk")).values("number")[:1])
        )
        for receipt in chunk:
            receipt.donation.receipt_number = receipt.number


def _issue(
    *, donation, amount_minor: int, replaces: Receipt | None, benefit_description: str, benefit_value_minor: int
) -> Receipt:
    # Numbered in the year the gift was received: a correction made in
    # January for a December gift belongs with that year's receipts.
    year = timezone.localtime(donation.succeeded_at).year
    receipt = _numbered(
        donation=donation,
        year=year,
        sequence=_next_sequence(year),
        amount_minor=amount_minor,
        replaces=replaces,
        benefit_description=benefit_description,
        benefit_value_minor=benefit_value_minor,
        issued_at=timezone.now(),
    )
    receipt.save()
    outbox.send_on_commit(kind=RECEIPT_EMAIL, pk=receipt.pk)
    return receipt


def _numbered(
    *,
    donation,
    year: int,
    sequence: int,
    amount_minor: int,
    replaces: Receipt | None,
    benefit_description: str,
    benefit_value_minor: int,
    issued_at,
    parts: list | None = None,
) -> Receipt:
    """A receipt with its number and everything it says frozen (Receipt.record), not yet saved;
    `parts`, the gift's parts with their funds if read already."""
    receipt = Receipt(
        donation=donation,
        year=year,
        sequence=sequence,
        number=Receipt.format_number(year, sequence),
        replaces=replaces,
        amount_minor=amount_minor,
        currency=donation.currency,
        benefit_description=benefit_description,
        benefit_value_minor=benefit_value_minor,
        issued_at=issued_at,
    )
    receipt.record = documents.receipt_facts_at_issue(receipt, parts=parts).as_record()
    return receipt


def _next_sequence(year: int) -> int:
    return _reserve_sequences(year, 1)


def _reserve_sequences(year: int, count: int) -> int:
    """Take the year's next `count` numbers; returns the last of them."""
    # One statement, a year's first included: the row is moved on and left
    # locked until commit (made, if this is the year's first receipt), so
    # the numbers of a gift that rolls back are taken by the next one.
    table = connection.ops.quote_name(ReceiptSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS sequence (year, last_number) VALUES (%s, %s) "
            "ON CONFLICT (year) DO UPDATE SET last_number = sequence.last_number + EXCLUDED.last_number "
            "RETURNING last_number",
            [year, count],
        )
        return cursor.fetchone()[0]


def _void(receipts: list[Receipt], *, notify_donor: bool) -> None:
    now = timezone.now()
    for stale in receipts:
        receipt = Receipt.objects.select_for_update().get(pk=stale.pk)
        if receipt.status == Receipt.Status.VOID:
            continue
        # A receipt never tried never reached the donor: nothing to take back.
        reached_donor = receipt.attempts > 0
        receipt.status = Receipt.Status.VOID
        receipt.voided_at = now
        receipt.save(update_fields=["status", "voided_at"])
        logger.info("receipt %s is void", receipt.number)
        if notify_donor and reached_donor:
            notice, created = VoidNotice.objects.get_or_create(receipt=receipt)
            if created:
                outbox.send_on_commit(kind=VOID_NOTICE_EMAIL, pk=notice.pk)


def repair_receipt_numbers() -> int:
    """Set each gift's copy of its standing receipt's number to what its
    receipts say, where it differs; returns how many gifts were repaired.
    Each gift is re-read under its row lock, the lock every receipt change
    holds, so a receipt issued meanwhile is not overwritten."""
    repaired = 0
    for pk in selectors.gifts_with_stale_receipt_number().values_list("pk", flat=True):
        with transaction.atomic():
            gift = (
                Donation.objects.select_for_update()
                .annotate(standing=selectors.current_receipt_number())
                .only("receipt_number")
                .get(pk=pk)
            )
            if gift.receipt_number != gift.standing:
                Donation.objects.filter(pk=pk).update(receipt_number=gift.standing)
                repaired += 1
    return repaired
