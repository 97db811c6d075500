"""Canadian receipts: the official donation receipt the CRA prescribes
(Income Tax Regulations 3501; CRA, "Issuing complete and accurate
donation receipts"), in CRA's words.

An official receipt carries every item the CRA lists: the statement that
it is an official receipt for income tax purposes, the charity's name,
address and registration number (in its header), a unique serial number
(the receipt number), the place of issue, the dates received and issued,
the donor's name and address, the amount, the advantage with its
description and value, the eligible amount, the signature and the CRA's
name and website. A replacement says which serial it cancels, and the
receipt it cancels is kept, its PDF marked cancelled.

Where the advantage is more than 80% of the amount, the CRA does not see
a gift and no official receipt may be issued: the donor gets an
acknowledgement that says so, with none of the official wording and no
eligible amount."""

from core.money import format_money
from receipts.countries.base import ReceiptRules

OFFICIAL_TITLE = "Official receipt for income tax purposes"
CRA = "Canada Revenue Agency: canada.ca/charities-giving"


class Canada(ReceiptRules):
    country = "CA"
    tax_number_label = "Charity registration number"

    def title(self, *, corrected: bool) -> str:
        # A replacement is an official receipt like any other; a note says what it replaces.
        return OFFICIAL_TITLE

    def issues_official_receipt(self, *, amount_minor: int, value_minor: int) -> bool:
        """No receipt where the advantage exceeds 80% of the amount (CRA's
        threshold for a gift's intention; exactly 80% still is one)."""
        return value_minor * 5 <= amount_minor * 4

    def acknowledgement_title(self, *, corrected: bool) -> str:
        return "Acknowledgement of payment (not an official donation receipt)"

    def benefit_statement(self, *, entity, amount_minor: int, currency: str, description: str, value_minor: int) -> str:
        if not value_minor:
            return f"Advantage: none, {format_money(0, currency)}"
        return f"Advantage: {description}, {format_money(value_minor, currency)}"

    def notes(self, *, entity, receipt, gift_aid: str) -> list[str]:
        official = self.issues_official_receipt(
            amount_minor=receipt.amount_minor, value_minor=receipt.benefit_value_minor
        )
        notes = []
        if receipt.replaces_id:
            document = "receipt" if official else "acknowledgement"
            notes.append(f"This {document} cancels and replaces receipt no. {receipt.replaces.number}.")
        if not official:
            value = format_money(receipt.benefit_value_minor, receipt.currency)
            amount = format_money(receipt.amount_minor, receipt.currency)
            notes.append(
                f"No official donation receipt can be issued for this payment: the advantage you received "
                f"({value}) is more than 80% of the amount paid ({amount}), so the Canada Revenue Agency "
                "does not consider it a gift."
            )
        return [*notes, CRA]

    def rows(self, facts) -> list[tuple[str, str]]:
        if not facts.official:
            return [
                ("Reference number", facts.number),
                ("Place of issue", facts.place_of_issue),
                ("Date received", facts.gift_date),
                ("Date issued", facts.issued_date),
                ("Amount paid", facts.amount),
                *facts.gift_rows(),
            ]
        return [
            ("Serial number", facts.number),
            ("Place of issue", facts.place_of_issue),
            ("Date received", facts.gift_date),
            ("Date issued", facts.issued_date),
            ("Amount of gift", facts.amount),
            # Frozen only where there was an advantage; otherwise the whole gift is eligible.
            ("Eligible amount of gift for tax purposes", facts.eligible_amount or facts.amount),
            *facts.gift_rows(),
        ]

    def heading(self, facts) -> str:
        # The serial number is the table's first row.
        return facts.title

    def void_banner(self, facts) -> str:
        document = "receipt" if facts.official else "acknowledgement"
        return f"CANCELLED: {document} no. {facts.number} is cancelled and no longer stands."

    def closing_lines(self, facts) -> list[str]:
        keep = ["Please keep this receipt for your income tax records."] if facts.official else []
        return [facts.benefit_statement, *facts.notes, *keep]


RULES = Canada()
