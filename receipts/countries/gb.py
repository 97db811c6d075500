"""UK receipts: a thank-you acknowledgement, with the donor's Gift Aid declaration."""

from receipts.countries.base import ReceiptRules


class UnitedKingdom(ReceiptRules):
    country = "GB"
    tax_number_label = "Registered charity number"


RULES = UnitedKingdom()
