"""How receipts read where the donor files: one small module per country
of the receiving entity (campaigns.ReceiptingEntity.country) over the
shared base, each deciding its receipt's wording when the receipt is issued
(what is frozen into its record) and its rows and closing lines when the
record is drawn. Templates follow the same split:
templates/receipts/email/<country>/ overrides the shared templates where a
country words an email its own way (receipts.emails)."""

from receipts.countries import ca, gb, us
from receipts.countries.base import ReceiptRules

_RULES = {rules.country: rules for rules in (us.RULES, ca.RULES, gb.RULES)}


def rules_for(country: str) -> ReceiptRules:
    """The rules of `country` (US for records frozen before receipts had one)."""
    return _RULES[country or "US"]
