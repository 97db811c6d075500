"""What receipts share in every country, and the hooks a country's rules
override (receipts.countries.us, .ca, .gb)."""

from core.money import format_money


class ReceiptRules:
    """A country's receipt rules. Methods taking an `entity` run when the
    receipt is issued, and what they return is frozen into its record;
    methods taking `facts` draw a record, so they may only read it."""

    country = ""
    # What the entity's tax_number is called on its receipts.
    tax_number_label = "Registration number"

    def title(self, *, corrected: bool) -> str:
        return "Corrected donation receipt" if corrected else "Donation receipt"

    def exemption_statement(self, entity) -> str:
        return f"{entity.name}. {self.tax_number_label}: {entity.tax_number}"

    def benefit_statement(self, *, entity, amount_minor: int, currency: str, description: str, value_minor: int) -> str:
        if not value_minor:
            return "Nothing was given to you in return for this gift."
        value = format_money(value_minor, currency)
        return f"In return for this gift you received {description}, valued at {value}."

    def gift_aid(self, *, entity, receipt) -> str:
        """Whether the gift is Gift Aided, as the receipt states it ("" where
        the country has no Gift Aid), frozen at issue."""
        return ""

    def notes(self, *, entity, receipt) -> list[str]:
        """Further statements the country's receipts carry, frozen at issue."""
        return []

    def rows(self, facts) -> list[tuple[str, str]]:
        """The receipt's table, in reading order."""
        return facts.standard_rows()
