"""What a receipt or a year-end statement says, once.

Everything a receipt says (the donor as given with the gift, the amounts,
fund, campaign and dates, the wording, the charity's identity) is worked
out when it is issued and stored on it as a record (Receipt.record,
YearEndStatement.record). The email (HTML and text) and the PDF are
rendered from that record alone, so they never disagree with each other,
and a receipt downloaded years later says what it said the day it was
issued, whatever has changed since on the donor, the gift or the settings.

Only two things are not part of the record: whether the receipt has since
become void (its own status), and the links an email carries, which are
made fresh for each email (the PDF download link; a monthly gift's
management link)."""

import functools
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from io import BytesIO
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone

from core.money import format_money
from donations.models import Allocation, Donor, postal_address_lines
from donations.rules import split_pro_rata

NO_BENEFIT = "No goods or services were provided in exchange for this contribution."


def long_date(value) -> str:
    """November 3, 2026: unambiguous wherever the donor lives."""
    return f"{value:%B} {value.day}, {value.year}"


class Record:
    """A frozen document: stored as JSON, read back exactly."""

    def as_record(self) -> dict:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict):
        names = {field.name for field in fields(cls)}
        return cls(**{name: value for name, value in record.items() if name in names})


@dataclass(frozen=True)
class Organisation:
    """The charity as the settings name it now: copied field by field into
    each record, never stored itself."""

    name: str
    address: str
    tax_id: str

    @classmethod
    def now(cls) -> "Organisation":
        return cls(name=settings.ORG_NAME, address=settings.ORG_ADDRESS, tax_id=settings.ORG_TAX_ID)

    @property
    def exemption_statement(self) -> str:
        return f"{self.name} is a tax-exempt charitable organization. Tax ID (EIN): {self.tax_id}"


@dataclass(frozen=True)
class ReceiptFacts(Record):
    number: str
    title: str
    replaces_number: str | None
    org_name: str
    org_address: str
    org_tax_id: str
    donor_first_name: str
    donor_name: str
    donor_address_lines: list[str]
    donor_email: str
    gift_date: str
    issued_date: str
    # When it was issued, ISO 8601: the PDF's creation date.
    issued_at: str
    amount: str
    currency: str
    fund: str
    campaign: str
    benefit_statement: str
    exemption_statement: str
    # What the donor added to cover card fees, part of `amount` ("" for none,
    # and in records frozen before the donate form offered it).
    fee_covered: str = ""
    # "In memory of Rosa Diaz" (or a dedication given as a plain string, as
    # given); "" for none, and in records frozen before receipts showed it.
    dedication: str = ""
    # For a gift given as an organisation (then `donor_name` and
    # `donor_address_lines` are the organisation's): the person who gave,
    # as its contact. "" for a person's own gift, and in older records.
    contact: str = ""
    # A split gift's parts, in the donor's order, each {"fund", "amount"}
    # (what it gives that fund of `amount`); [] for a gift not split, which
    # names its one fund in `fund`, and in records frozen before gifts
    # could be split.
    parts: list[dict] = field(default_factory=list)

    @property
    def contact_lines(self) -> list[str]:
        """What follows the donor's address: the contact, if any, and the email."""
        return [*([f"Contact: {self.contact}"] if self.contact else []), self.donor_email]

    @property
    def funds(self) -> list[str]:
        """The funds the receipt names, in its order."""
        return [part["fund"] for part in self.parts] if self.parts else [self.fund]

    @property
    def rows(self) -> list[tuple[str, str]]:
        """The receipt's table, in reading order."""
        rows = [("Receipt number", self.number)]
        if self.replaces_number:
            rows.append(("Replaces receipt", f"{self.replaces_number} (now void)"))
        rows += [
            ("Date received", self.gift_date),
            ("Amount", f"{self.amount} ({self.currency})"),
            *([("Of which, to cover card fees", self.fee_covered)] if self.fee_covered else []),
            *(
                [("Funds", ", ".join(f"{part['fund']} {part['amount']}" for part in self.parts))]
                if self.parts
                else [("Fund", self.fund)]
            ),
            ("Campaign", self.campaign),
            *([("Dedication", self.dedication)] if self.dedication else []),
            ("Date issued", self.issued_date),
        ]
        return rows


def receipt_facts_at_issue(receipt, *, parts: list[Allocation] | None = None) -> ReceiptFacts:
    """What `receipt` says, worked out from its gift (the donor's details as
    given with it, and its parts: `parts`, with their funds, if the caller
    has read them, else read now), its own amounts, the receipt it replaces
    and the charity's identity as they are now. Reads model fields only,
    so the migration that froze the receipts issued before records existed
    can call it too (with no parts: none existed then)."""
    donation = receipt.donation
    replaces_number = receipt.replaces.number if receipt.replaces_id else None
    organisation = Organisation.now()
    person = f"{donation.donor_first_name} {donation.donor_last_name}".strip()
    # Absent from the gifts of migration 0002's models, made before gifts
    # could be given as an organisation.
    given_as = getattr(donation, "organization_name", "")
    prefix = "organization_" if given_as else "donor_"
    address = {name: getattr(donation, f"{prefix}{name}") for name in Donor.ADDRESS_FIELDS}
    return ReceiptFacts(
        number=receipt.number,
        title="Corrected donation receipt" if replaces_number else "Donation receipt",
        replaces_number=replaces_number,
        org_name=organisation.name,
        org_address=organisation.address,
        org_tax_id=organisation.tax_id,
        donor_first_name=donation.donor_first_name,
        donor_name=given_as or person,
        donor_address_lines=postal_address_lines(**address),
        donor_email=donation.donor.email,
        gift_date=long_date(timezone.localtime(donation.succeeded_at).date()),
        issued_date=long_date(timezone.localtime(receipt.issued_at).date()),
        issued_at=receipt.issued_at.isoformat(),
        amount=format_money(receipt.amount_minor, receipt.currency),
        currency=receipt.currency.upper(),
        fund=donation.fund.name,
        campaign=donation.campaign.title,
        benefit_statement=benefit_statement(
            amount_minor=receipt.amount_minor,
            currency=receipt.currency,
            description=receipt.benefit_description,
            value_minor=receipt.benefit_value_minor,
        ),
        exemption_statement=organisation.exemption_statement,
        # A receipt corrected after a refund states what is kept, which the
        # fee the donor added no longer describes; one corrected for the
        # whole charge (a gift moved to another fund) still does.
        fee_covered=(
            format_money(donation.fee_covered_minor, receipt.currency)
            if donation.fee_covered_minor and receipt.amount_minor == donation.charged_minor
            else ""
        ),
        dedication=donation.dedication,
        contact=person if given_as else "",
        parts=receipt_parts(
            parts if parts is not None else list(donation.allocations.select_related("fund").order_by("position")),
            amount_minor=receipt.amount_minor,
            currency=receipt.currency,
        ),
    )


def receipt_parts(parts: list[Allocation], *, amount_minor: int, currency: str) -> list[dict]:
    """What a receipt for `amount_minor` of a split gift (`parts`, in the
    donor's order) says each part gives: what each keeps now (its share of
    any fee cover included, less its share of refunds), which adds up to
    what a receipt is issued for; shared in those proportions should the
    receipt state another amount, so the parts always add up to it. [] for
    a gift not split."""
    if len(parts) < 2:
        return []
    weights = [part.kept_minor for part in parts]
    if not sum(weights):
        weights = [part.charged_minor for part in parts]
    shares = split_pro_rata(amount_minor, weights)
    return [
        {"fund": part.fund.name, "amount": format_money(share, currency)}
        for part, share in zip(parts, shares, strict=True)
    ]


def benefit_statement(*, amount_minor: int, currency: str, description: str, value_minor: int) -> str:
    """The IRS's quid pro quo disclosure, or that there was nothing in return."""
    if not value_minor:
        return NO_BENEFIT
    value = format_money(value_minor, currency)
    deductible = format_money(max(amount_minor - value_minor, 0), currency)
    return (
        f"In exchange for this contribution you received {description}, with an "
        f"estimated fair market value of {value}. The amount deductible for federal income tax "
        f"purposes is {deductible}."
    )


def receipt_pdf(facts: ReceiptFacts, *, is_void: bool) -> bytes:
    """A one-page PDF holding the same facts as the email: the same bytes
    every time it is drawn from the same record (reportlab's invariant mode,
    dated when the receipt was issued)."""
    # reportlab costs every process that loads it about 15 MB, and only the
    # workers that send receipts draw PDFs: import it here, not on start-up
    # (export_donations has a 100 MB budget; see bench/export.py).
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = _paragraph_styles()
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        title=f"{facts.title} {facts.number}",
        author=facts.org_name,
        leftMargin=inch,
        rightMargin=inch,
        topMargin=inch,
        bottomMargin=inch,
        # No clock and no random file id: the bytes depend on the record only.
        invariant=True,
    )

    # Paragraphs read a little XML markup, so every value is escaped.
    def para(text: str, style: str = "BodyText") -> Paragraph:
        return Paragraph(escape(text), styles[style])

    story = [para(facts.org_name, "Title"), para(facts.org_address), para(f"Tax ID (EIN): {facts.org_tax_id}")]
    if is_void:
        story.append(para(f"VOID: receipt {facts.number} no longer stands.", "Heading2"))
    story += [Spacer(1, 0.2 * inch), para(f"{facts.title} {facts.number}", "Heading1")]
    table = Table([[para(label), para(value)] for label, value in facts.rows], colWidths=[1.8 * inch, 4.7 * inch])
    table.setStyle(
        TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    story += [table, Spacer(1, 0.2 * inch), para("Donor", "Heading3")]
    story += [para(line) for line in (facts.donor_name, *facts.donor_address_lines, *facts.contact_lines)]
    story += [
        Spacer(1, 0.2 * inch),
        para(facts.benefit_statement),
        para(facts.exemption_statement),
        para("Please keep this receipt for your tax records."),
    ]
    issued = _pdf_date(datetime.fromisoformat(facts.issued_at))

    def date_as_issued(canvas, _document) -> None:
        # Invariant mode dates every PDF 1 January 2000; the record says when.
        canvas.setDateFormatter(lambda *_invariant_date: issued)

    document.build(story, onFirstPage=date_as_issued, onLaterPages=date_as_issued)
    return buffer.getvalue()


@functools.cache
def _paragraph_styles():
    """reportlab's sample styles, built once a process rather than once a
    PDF (a few dozen ParagraphStyle objects); never changed once built."""
    from reportlab.lib.styles import getSampleStyleSheet

    return getSampleStyleSheet()


def _pdf_date(moment: datetime) -> str:
    """A PDF date string (D:YYYYMMDDHHmmSS+00'00'), in UTC."""
    return moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


@dataclass(frozen=True)
class StatementFacts(Record):
    """A year-end statement as issued: each line and total already written
    out as the donor reads it."""

    year: int
    org_name: str
    org_address: str
    org_tax_id: str
    exemption_statement: str
    donor_name: str
    donor_address_lines: list[str]
    donor_email: str
    # {"date", "campaign", "fund", "given", "refunded" ("" if none), "counts", "receipt_number",
    # "part"}: "part" names a split gift's part ("part 1 of 2 of one gift"), "" for a gift not
    # split; absent in records frozen before gifts could be split.
    lines: list[dict]
    # {"currency", "amount"}
    totals: list[dict]
    # As ReceiptFacts.contact: the person, on an organisation's statement.
    contact: str = ""

    @property
    def contact_lines(self) -> list[str]:
        return [*([f"Contact: {self.contact}"] if self.contact else []), self.donor_email]


def statement_facts_at_issue(*, year: int, gifts: list, lines: list, totals: list) -> StatementFacts:
    """What a statement says: `gifts` (oldest first, with their donor and
    organisation),
    `lines` and `totals` from receipts.selectors.statement_lines; the donor
    (or the organisation, with the person as contact) as given with the
    last gift of the year; the charity as it is now."""
    organisation = Organisation.now()
    last = gifts[-1] if gifts else None
    return StatementFacts(
        year=year,
        org_name=organisation.name,
        org_address=organisation.address,
        org_tax_id=organisation.tax_id,
        exemption_statement=organisation.exemption_statement,
        # An organisation's statement covers gifts its people named it by
        # in their own ways ("grace church"): it is in the name on record.
        donor_name=(last.organization.name if last.organization_id else last.donor_full_name) if last else "",
        donor_address_lines=last.giver_postal_address_lines if last else [],
        donor_email=last.donor.email if last else "",
        contact=last.contact_name if last else "",
        lines=[
            {
                "date": long_date(line.date),
                "campaign": line.campaign,
                "fund": line.fund,
                "given": format_money(line.charged_minor, line.currency),
                "refunded": format_money(line.refunded_minor, line.currency) if line.refunded_minor else "",
                "counts": format_money(line.net_minor, line.currency),
                "receipt_number": line.receipt_number or "",
                "part": line.part,
            }
            for line in lines
        ],
        totals=[
            {"currency": total.currency.upper(), "amount": format_money(total.net_minor, total.currency)}
            for total in totals
        ],
    )
