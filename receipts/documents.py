"""What a receipt says, once: the email (HTML and text) and the PDF are all
rendered from the same ReceiptFacts, so they can never disagree."""

from dataclasses import dataclass
from io import BytesIO
from xml.sax.saxutils import escape

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.money import format_money

NO_BENEFIT = "No goods or services were provided in exchange for this contribution."


def long_date(value) -> str:
    """November 3, 2026: unambiguous wherever the donor lives."""
    return f"{value:%B} {value.day}, {value.year}"


@dataclass(frozen=True)
class ReceiptFacts:
    number: str
    title: str
    is_void: bool
    replaces_number: str | None
    org_name: str
    org_address: str
    org_tax_id: str
    donor_name: str
    donor_address_lines: list[str]
    donor_email: str
    gift_date: str
    issued_date: str
    amount: str
    currency: str
    fund: str
    campaign: str
    benefit_statement: str
    pdf_url: str

    @property
    def rows(self) -> list[tuple[str, str]]:
        """The receipt's table, in reading order."""
        rows = [("Receipt number", self.number)]
        if self.replaces_number:
            rows.append(("Replaces receipt", f"{self.replaces_number} (now void)"))
        rows += [
            ("Date received", self.gift_date),
            ("Amount", f"{self.amount} ({self.currency})"),
            ("Fund", self.fund),
            ("Campaign", self.campaign),
            ("Date issued", self.issued_date),
        ]
        return rows


def receipt_facts(receipt) -> ReceiptFacts:
    """`receipt` with its donation, donor, fund, campaign and `replaces`
    loaded (receipts.selectors.receipt_with_gift)."""
    donation = receipt.donation
    donor = donation.donor
    return ReceiptFacts(
        number=receipt.number,
        title="Corrected donation receipt" if receipt.replaces_id else "Donation receipt",
        is_void=receipt.status == receipt.Status.VOID,
        replaces_number=receipt.replaces.number if receipt.replaces_id else None,
        org_name=settings.ORG_NAME,
        org_address=settings.ORG_ADDRESS,
        org_tax_id=settings.ORG_TAX_ID,
        donor_name=donor.full_name,
        donor_address_lines=donor.postal_address_lines,
        donor_email=donor.email,
        gift_date=long_date(timezone.localtime(donation.succeeded_at).date()),
        issued_date=long_date(timezone.localtime(receipt.issued_at).date()),
        amount=format_money(receipt.amount_minor, receipt.currency),
        currency=receipt.currency.upper(),
        fund=donation.fund.name,
        campaign=donation.campaign.title,
        benefit_statement=benefit_statement(receipt),
        pdf_url=settings.SITE_URL + reverse("receipts:pdf", kwargs={"token": receipt.public_token}),
    )


def benefit_statement(receipt) -> str:
    """The IRS's quid pro quo disclosure, or that there was nothing in return."""
    if not receipt.benefit_value_minor:
        return NO_BENEFIT
    value = format_money(receipt.benefit_value_minor, receipt.currency)
    deductible = format_money(receipt.deductible_minor, receipt.currency)
    return (
        f"In exchange for this contribution you received {receipt.benefit_description}, with an "
        f"estimated fair market value of {value}. The amount deductible for federal income tax "
        f"purposes is {deductible}."
    )


def receipt_pdf(facts: ReceiptFacts) -> bytes:
    """A one-page PDF holding the same facts as the email."""
    # reportlab costs every process that loads it about 15 MB, and only the
    # workers that send receipts draw PDFs: import it here, not on start-up
    # (export_donations has a 100 MB budget; see bench/export.py).
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
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
    )

    # Paragraphs read a little XML markup, so every value is escaped.
    def para(text: str, style: str = "BodyText") -> Paragraph:
        return Paragraph(escape(text), styles[style])

    story = [para(facts.org_name, "Title"), para(facts.org_address), para(f"Tax ID (EIN): {facts.org_tax_id}")]
    if facts.is_void:
        story.append(para(f"VOID: receipt {facts.number} no longer stands.", "Heading2"))
    story += [Spacer(1, 0.2 * inch), para(f"{facts.title} {facts.number}", "Heading1")]
    table = Table([[para(label), para(value)] for label, value in facts.rows], colWidths=[1.8 * inch, 4.7 * inch])
    table.setStyle(
        TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    story += [table, Spacer(1, 0.2 * inch), para("Donor", "Heading3")]
    story += [para(line) for line in (facts.donor_name, *facts.donor_address_lines, facts.donor_email)]
    story += [
        Spacer(1, 0.2 * inch),
        para(facts.benefit_statement),
        para(f"{facts.org_name} is a tax-exempt charitable organization. Tax ID (EIN): {facts.org_tax_id}"),
        para("Please keep this receipt for your tax records."),
    ]
    document.build(story)
    return buffer.getvalue()
