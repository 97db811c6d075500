"""HMRC's Gift Aid schedule (the spreadsheet Charities Online takes), as
CSV: its columns exactly, one gift a line; and the adjustments file that
lists the earlier claims' gifts to give back, with the tax to enter as
"adjustment for previously overclaimed tax"."""

import csv
import io

from django.utils import timezone

from finance.selectors.gift_aid import ClaimGift

SCHEDULE_COLUMNS = (
    "Title",
    "First name",
    "Last name",
    "House name or number",
    "Postcode",
    "Aggregated donations",
    "Sponsored event",
    "Donation date",
    "Amount",
)
ADJUSTMENT_COLUMNS = (
    "Claim",
    "First name",
    "Last name",
    "House name or number",
    "Postcode",
    "Donation date",
    "Amount claimed",
    "Refunded",
    "Tax overclaimed",
)

# HMRC's limits on the schedule's fields.
NAME_MAX = 35
HOUSE_MAX = 40


def pounds(amount_minor: int) -> str:
    """Pence as HMRC's schedule writes an amount: 2 decimal places, no £."""
    return f"{amount_minor // 100}.{amount_minor % 100:02d}"


def tax_on(amount_minor: int) -> int:
    """The Gift Aid on gifts of `amount_minor` pence: basic-rate tax on the
    gross, 20/80 of the gift (25p a pound), in whole pence, rounded down."""
    return amount_minor * 25 // 100


def _who(gift: ClaimGift) -> list[str]:
    declaration = gift.declaration
    return [
        declaration.first_name[:NAME_MAX],
        declaration.last_name[:NAME_MAX],
        declaration.house_name_or_number[:HOUSE_MAX],
        declaration.postcode,
    ]


def _date(gift: ClaimGift) -> str:
    return f"{timezone.localtime(gift.donation.succeeded_at):%d/%m/%y}"


def schedule_csv(gifts: list[ClaimGift]) -> str:
    """The schedule: one line per gift (none aggregated; none a sponsored
    event, which the donate form does not ask). We never ask for a title."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SCHEDULE_COLUMNS)
    for gift in gifts:
        writer.writerow(["", *_who(gift), "", "", _date(gift), pounds(gift.amount_minor)])
    return out.getvalue()


def adjustments_csv(gifts: list[ClaimGift]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ADJUSTMENT_COLUMNS)
    for gift in gifts:
        writer.writerow(
            [
                gift.claim_id,
                *_who(gift),
                _date(gift),
                pounds(gift.amount_minor),
                pounds(gift.donation.refunded_minor),
                pounds(tax_on(gift.amount_minor)),
            ]
        )
    return out.getvalue()
