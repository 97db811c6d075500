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
from datetime import UTC, date, datetime
from io import BytesIO
from xml.sax.saxutils import escape

from django.core.files.storage import default_storage
from django.utils import timezone

from campaigns.models import ReceiptingEntity
from core.money import format_money
from core.years import Year
from donations.models import Allocation, Donor, postal_address_lines
from donations.rules import split_pro_rata
from receipts import countries


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
    # The rules the receipt follows: the country of the entity that issued
    # it (receipts.countries); records frozen before entities existed are US.
    country: str = "US"
    # What the entity's `org_tax_id` is called there ("Tax ID (EIN)",
    # "Charity registration number").
    org_tax_label: str = "Tax ID (EIN)"
    place_of_issue: str = ""
    signatory_name: str = ""
    signatory_title: str = ""
    # The stored file of the signature image as it was at issue ("" for none).
    signature: str = ""
    # The value of what the donor received in return, and what is left of
    # `amount` as a gift ("" when nothing was received).
    advantage: str = ""
    advantage_description: str = ""
    eligible_amount: str = ""
    # Further statements the country's receipts carry, in reading order.
    notes: list[str] = field(default_factory=list)
    # A UK gift's Gift Aid as at issue ("Yes, under your declaration of 4
    # December 2026", or "No"); "" elsewhere and in older records.
    gift_aid: str = ""
    # False where the country's law allows no receipt for the payment (in
    # Canada, an advantage over 80% of it), and what was issued is an
    # acknowledgement (ReceiptRules.issues_official_receipt).
    official: bool = True

    @property
    def rules(self):
        return countries.rules_for(self.country)

    @property
    def signatory_line(self) -> str:
        return ", ".join(part for part in (self.signatory_name, self.signatory_title) if part)

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
        """The receipt's table, in reading order, as its country's rules lay it out."""
        return self.rules.rows(self)

    def standard_rows(self) -> list[tuple[str, str]]:
        """The table every country's receipt starts from."""
        rows = [("Receipt number", self.number)]
        if self.replaces_number:
            rows.append(("Replaces receipt", f"{self.replaces_number} (now void)"))
        rows += [
            ("Date received", self.gift_date),
            ("Amount", f"{self.amount} ({self.currency})"),
            *self.gift_rows(),
            ("Date issued", self.issued_date),
        ]
        return rows

    def gift_rows(self) -> list[tuple[str, str]]:
        """The rows that say what the amount was for: the fee cover, fund or funds, campaign and dedication."""
        return [
            *([("Of which, to cover card fees", self.fee_covered)] if self.fee_covered else []),
            *(
                [("Funds", ", ".join(f"{part['fund']} {part['amount']}" for part in self.parts))]
                if self.parts
                else [("Fund", self.fund)]
            ),
            ("Campaign", self.campaign),
            *([("Dedication", self.dedication)] if self.dedication else []),
        ]


def receipt_facts_at_issue(
    receipt, *, parts: list[Allocation] | None = None, entity: ReceiptingEntity | None = None
) -> ReceiptFacts:
    """What `receipt` says, worked out from its gift (the donor's details as
    given with it, and its parts: `parts`, with their funds, if the caller
    has read them, else read now), its own amounts, the receipt it replaces
    and the identity of the entity that receives the gift (`entity`, else
    the campaign's) as they are now, in the words of that entity's country.
    Reads model fields only, so the migration that froze the receipts
    issued before records existed can call it too (with no parts, and the
    default entity: neither existed then)."""
    donation = receipt.donation
    replaces_number = receipt.replaces.number if receipt.replaces_id else None
    entity = entity or donation.campaign.entity
    rules = countries.rules_for(entity.country)
    benefit_minor = receipt.benefit_value_minor
    # Read once: the notes follow from it (a UK receipt's Gift Aid note).
    gift_aid = rules.gift_aid(entity=entity, receipt=receipt)
    official = rules.issues_official_receipt(amount_minor=receipt.amount_minor, value_minor=benefit_minor)
    corrected = bool(replaces_number)
    person = f"{donation.donor_first_name} {donation.donor_last_name}".strip()
    # Absent from the gifts of migration 0002's models, made before gifts
    # could be given as an organisation.
    given_as = getattr(donation, "organization_name", "")
    prefix = "organization_" if given_as else "donor_"
    address = {name: getattr(donation, f"{prefix}{name}") for name in Donor.ADDRESS_FIELDS}
    return ReceiptFacts(
        number=receipt.number,
        title=rules.title(corrected=corrected) if official else rules.acknowledgement_title(corrected=corrected),
        replaces_number=replaces_number,
        org_name=entity.name,
        org_address=entity.address,
        org_tax_id=entity.tax_number,
        donor_first_name=donation.donor_first_name,
        donor_name=given_as or person,
        donor_address_lines=postal_address_lines(**address),
        donor_email=donation.donor.email,
        gift_date=rules.write_date(timezone.localtime(donation.succeeded_at).date()),
        issued_date=rules.write_date(timezone.localtime(receipt.issued_at).date()),
        issued_at=receipt.issued_at.isoformat(),
        amount=format_money(receipt.amount_minor, receipt.currency),
        currency=receipt.currency.upper(),
        fund=donation.fund.name,
        campaign=donation.campaign.title,
        benefit_statement=rules.benefit_statement(
            entity=entity,
            amount_minor=receipt.amount_minor,
            currency=receipt.currency,
            description=receipt.benefit_description,
            value_minor=benefit_minor,
        ),
        exemption_statement=rules.exemption_statement(entity),
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
        country=rules.country,
        org_tax_label=rules.tax_number_label,
        place_of_issue=entity.place_of_issue,
        signatory_name=entity.signatory_name,
        signatory_title=entity.signatory_title,
        signature=entity.signature.name if entity.signature else "",
        advantage=format_money(benefit_minor, receipt.currency) if benefit_minor else "",
        advantage_description=receipt.benefit_description if benefit_minor else "",
        eligible_amount=(
            format_money(max(receipt.amount_minor - benefit_minor, 0), receipt.currency) if benefit_minor else ""
        ),
        notes=rules.notes(entity=entity, receipt=receipt, gift_aid=gift_aid),
        gift_aid=gift_aid,
        official=official,
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

    story = [para(facts.org_name, "Title"), para(facts.org_address), para(f"{facts.org_tax_label}: {facts.org_tax_id}")]
    if is_void:
        story.append(para(facts.rules.void_banner(facts), "Heading2"))
    story += [Spacer(1, 0.2 * inch), para(facts.rules.heading(facts), "Heading1")]
    table = Table([[para(label), para(value)] for label, value in facts.rows], colWidths=[1.8 * inch, 4.7 * inch])
    table.setStyle(
        TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    story += [table, Spacer(1, 0.2 * inch), para("Donor", "Heading3")]
    story += [para(line) for line in (facts.donor_name, *facts.donor_address_lines, *facts.contact_lines)]
    story += [Spacer(1, 0.2 * inch), *(para(line) for line in facts.rules.closing_lines(facts))]
    story += _signature(facts, para=para, inch=inch)
    issued = _pdf_date(datetime.fromisoformat(facts.issued_at))

    def date_as_issued(canvas, _document) -> None:
        # Invariant mode dates every PDF 1 January 2000; the record says when.
        canvas.setDateFormatter(lambda *_invariant_date: issued)

    document.build(story, onFirstPage=date_as_issued, onLaterPages=date_as_issued)
    return buffer.getvalue()


def _signature(facts: ReceiptFacts, *, para, inch) -> list:
    """The signature the receipt was issued with, over the signatory's name."""
    from reportlab.platypus import Image, Spacer

    flowables = []
    if facts.signature and default_storage.exists(facts.signature):
        with default_storage.open(facts.signature, "rb") as image:
            picture = Image(BytesIO(image.read()))
        # At most 2.5 x 0.8 inches, in proportion.
        scale = min(2.5 * inch / picture.imageWidth, 0.8 * inch / picture.imageHeight, 1)
        picture.drawWidth, picture.drawHeight = picture.imageWidth * scale, picture.imageHeight * scale
        picture.hAlign = "LEFT"
        flowables += [Spacer(1, 0.2 * inch), picture]
    if facts.signatory_line:
        flowables.append(para(f"Signed: {facts.signatory_line}"))
    return flowables


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

    # The calendar year the statement year starts in.
    year: int
    org_name: str
    org_address: str
    org_tax_id: str
    exemption_statement: str
    donor_name: str
    donor_address_lines: list[str]
    donor_email: str
    # {"date", "campaign", "fund", "given", "refunded" ("" if none), "counts", "receipt_number",
    # "part", "deductible"}: "part" names a split gift's part ("part 1 of 2 of one gift"), ""
    # for a gift not split; absent in records frozen before gifts could be split.
    # "deductible" is what counts less the benefit its receipt stated, "" where it
    # stated none (and in records frozen before statements showed it).
    lines: list[dict]
    # {"currency", "amount", "deductible" (as on the lines)}
    totals: list[dict]
    # As ReceiptFacts.contact: the person, on an organisation's statement.
    contact: str = ""
    # The statement year: "2026" or "2025-26", and its first and last days
    # ("" in records frozen before statement years: those are calendar years).
    period: str = ""
    period_start: str = ""
    period_end: str = ""
    # The day it was issued; for a corrected statement, the day the one it
    # replaces was sent ("" for an original).
    issued_date: str = ""
    replaces_sent_date: str = ""
    # Whose rules its wording follows: "US", "CA" or "GB" (templates
    # receipts/email/<country>/statement), and what the entity's
    # org_tax_id is called there.
    country: str = "US"
    tax_number_label: str = "Tax ID (EIN)"

    @property
    def contact_lines(self) -> list[str]:
        return [*([f"Contact: {self.contact}"] if self.contact else []), self.donor_email]

    @property
    def period_label(self) -> str:
        return self.period or str(self.year)

    @property
    def period_name(self) -> str:
        """The statement year as its text names it ("2026"; in the UK, "the 2025-26 tax year")."""
        return countries.rules_for(self.country).statement_period_name(self.period_label)

    @property
    def shows_deductible(self) -> bool:
        return any(line.get("deductible") for line in self.lines)

    @property
    def is_correction(self) -> bool:
        return bool(self.replaces_sent_date)

    def money(self) -> tuple[list[tuple], list[tuple]]:
        """What it says of the gifts and their amounts: what a correction
        is made for, whatever else differs (the donor's name, the wording)."""
        return (
            [(line["date"], line["given"], line["refunded"], line["counts"]) for line in self.lines],
            [(total["currency"], total["amount"]) for total in self.totals],
        )


def statement_facts_at_issue(
    *,
    period: Year,
    gifts: list,
    lines: list,
    totals: list,
    issued_on: date,
    replaces_sent_on: date | None = None,
    entity: ReceiptingEntity | None = None,
) -> StatementFacts:
    """What a statement for `period` says: `gifts` (oldest first, with
    their donor and organisation), `lines` and `totals` from
    receipts.selectors.statement_lines; the donor (or the organisation,
    with the person as contact) as given with the last gift of the year;
    `entity` (the default one if none) as it is now, in the words of its
    country. A corrected statement names the day the one it replaces was
    sent (`replaces_sent_on`)."""
    entity = entity or ReceiptingEntity.default()
    rules = countries.rules_for(entity.country)
    last = gifts[-1] if gifts else None
    written = rules.write_date
    return StatementFacts(
        year=period.start_year,
        period=period.label,
        period_start=written(period.first_day),
        period_end=written(period.last_day),
        issued_date=written(issued_on),
        replaces_sent_date=written(replaces_sent_on) if replaces_sent_on else "",
        country=rules.country,
        org_name=entity.name,
        org_address=entity.address,
        org_tax_id=entity.tax_number,
        tax_number_label=rules.tax_number_label,
        exemption_statement=rules.exemption_statement(entity),
        # An organisation's statement covers gifts its people named it by
        # in their own ways ("grace church"): it is in the name on record.
        donor_name=(last.organization.name if last.organization_id else last.donor_full_name) if last else "",
        donor_address_lines=last.giver_postal_address_lines if last else [],
        donor_email=last.donor.email if last else "",
        contact=last.contact_name if last else "",
        lines=[
            {
                "date": written(line.date),
                "campaign": line.campaign,
                "fund": line.fund,
                "given": format_money(line.charged_minor, line.currency),
                "refunded": format_money(line.refunded_minor, line.currency) if line.refunded_minor else "",
                "counts": format_money(line.net_minor, line.currency),
                "deductible": (
                    format_money(line.deductible_minor, line.currency)
                    if line.benefit_minor and rules.states_deductible_amounts
                    else ""
                ),
                "receipt_number": line.receipt_number or "",
                "part": line.part,
            }
            for line in lines
        ],
        totals=[
            {
                "currency": total.currency.upper(),
                "amount": format_money(total.net_minor, total.currency),
                "deductible": (
                    format_money(total.deductible_minor, total.currency)
                    if total.deductible_minor is not None and rules.states_deductible_amounts
                    else ""
                ),
            }
            for total in totals
        ],
    )
