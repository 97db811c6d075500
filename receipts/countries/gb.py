"""UK receipts: a thank-you acknowledgement (UK charities issue no tax
receipt; the donor's relief comes through Gift Aid), saying whether the
gift is Gift Aided under the donor's declaration."""

from django.utils import timezone

from donations import selectors as donation_selectors
from receipts.countries.base import ReceiptRules

# What a receipt's Gift Aid row says of a gift no declaration covers.
NOT_GIFT_AIDED = "No"


class UnitedKingdom(ReceiptRules):
    country = "GB"
    tax_number_label = "Registered charity number"

    # Gift Aid is the donor's relief: nothing to keep for a tax return.
    keep_this_line = "Please keep this acknowledgement with your records."

    def title(self, *, corrected: bool) -> str:
        return "Corrected donation acknowledgement" if corrected else "Donation acknowledgement"

    def statement_period_name(self, label: str) -> str:
        return f"the {label} tax year"

    def write_date(self, value) -> str:
        """6 April 2025, as dates are written in the UK."""
        return f"{value.day} {value:%B} {value.year}"

    def gift_aid(self, *, entity, receipt) -> str:
        declaration = donation_selectors.gift_aid_declaration_for(receipt.donation)
        if declaration is None:
            return NOT_GIFT_AIDED
        return f"Yes, under your declaration of {self.write_date(timezone.localtime(declaration.declared_at).date())}"

    def notes(self, *, entity, receipt, gift_aid: str) -> list[str]:
        if gift_aid == NOT_GIFT_AIDED:
            return [
                f"This gift is not Gift Aided. If you are a UK taxpayer, a Gift Aid declaration lets {entity.name} "
                "claim 25p from HMRC for every £1 you give, at no cost to you: reply to this email to make one."
            ]
        return [
            f"You asked {entity.name} to claim Gift Aid on this gift: HMRC adds 25p for every £1 you give. "
            "Please tell us if you no longer pay enough Income Tax or Capital Gains Tax to cover the Gift Aid "
            "on all your gifts in a tax year, or if you change your name or home address."
        ]

    def rows(self, facts) -> list[tuple[str, str]]:
        rows = facts.standard_rows()
        return [*rows, ("Gift Aid", facts.gift_aid)] if facts.gift_aid else rows


RULES = UnitedKingdom()
