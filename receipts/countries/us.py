"""US receipts: the written acknowledgement of IRS Publication 1771."""

from core.money import format_money
from receipts.countries.base import ReceiptRules

NO_BENEFIT = "No goods or services were provided in exchange for this contribution."


class UnitedStates(ReceiptRules):
    country = "US"
    tax_number_label = "Tax ID (EIN)"

    def exemption_statement(self, entity) -> str:
        return f"{entity.name} is a tax-exempt charitable organization. {self.tax_number_label}: {entity.tax_number}"

    def benefit_statement(self, *, entity, amount_minor: int, currency: str, description: str, value_minor: int) -> str:
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


RULES = UnitedStates()
