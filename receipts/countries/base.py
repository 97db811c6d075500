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
    # Whether statements show what a gift leaves deductible once the benefit
    # its receipt stated is taken off (the US figure; Canada's eligible
    # amount is on each official receipt).
    states_deductible_amounts = False

    def title(self, *, corrected: bool) -> str:
        return "Corrected donation receipt" if corrected else "Donation receipt"

    def statement_period_name(self, label: str) -> str:
        """How a statement names its year in running text ("2026")."""
        return label

    def write_date(self, value) -> str:
        """A date as the country writes it out: November 3, 2026."""
        return f"{value:%B} {value.day}, {value.year}"

    def issues_official_receipt(self, *, amount_minor: int, value_minor: int) -> bool:
        """Whether a payment of `amount_minor`, for which the donor received
        `value_minor` in return, may have a receipt at all; where it may
        not, what is issued is an acknowledgement (acknowledgement_title)."""
        return True

    def acknowledgement_title(self, *, corrected: bool) -> str:
        return "Acknowledgement of your payment"

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

    def notes(self, *, entity, receipt, gift_aid: str) -> list[str]:
        """Further statements the country's receipts carry, frozen at issue;
        `gift_aid` is what `gift_aid` said of the receipt."""
        return []

    def rows(self, facts) -> list[tuple[str, str]]:
        """The receipt's table, in reading order."""
        return facts.standard_rows()

    def heading(self, facts) -> str:
        """What the PDF's heading says above the table."""
        return f"{facts.title} {facts.number}"

    def void_banner(self, facts) -> str:
        """What the PDF of a receipt since made void says at its top."""
        return f"VOID: receipt {facts.number} no longer stands."

    def closing_lines(self, facts) -> list[str]:
        """What the PDF says after the donor, before the signature."""
        return [
            facts.benefit_statement,
            facts.exemption_statement,
            *facts.notes,
            self.keep_this_line,
        ]

    # The last line before the signature, on the PDF.
    keep_this_line = "Please keep this receipt for your tax records."
