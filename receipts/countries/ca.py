"""Canadian receipts: the official donation receipt the CRA prescribes."""

from receipts.countries.base import ReceiptRules


class Canada(ReceiptRules):
    country = "CA"


RULES = Canada()
