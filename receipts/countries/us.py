"""US receipts: the written acknowledgement of IRS Publication 1771."""

from core.money import format_money
from receipts.countries.base import ReceiptRules

NO_BENEFIT = "No goods or services were provided in exchange for this contribution."
# For entities that choose it (ReceiptingEntity.intangible_religious_benefits):
# Pub 1771 asks for the statement, and no description or value.
ONLY_RELIGIOUS_BENEFITS = (
    "The only goods or services provided in exchange for this contribution consisted entirely of "
    "intangible religious benefits."
)
ALSO_RELIGIOUS_BENEFITS = "Intangible religious benefits were also provided in exchange for this contribution."


class UnitedStates(ReceiptRules):
    country = "US"
    tax_number_label = "Tax ID (EIN)"
    states_deductible_amounts = True

    def exemption_statement(self, entity) -> str:
        return f"{entity.name} is a tax-exempt charitable organization. {self.tax_number_label}: {entity.tax_number}"

    def benefit_statement(self, *, entity, amount_minor: int, currency: str, description: str, value_minor: int) -> str:
        """That nothing (or only intangible religious benefits) was given in
        return, or the quid pro quo disclosure: the good-faith estimate of
        what was, and the deductible amount it leaves. The IRS requires the
        disclosure for a payment over $75; made for every payment, it is
        never missing where it is due (and is harmless below)."""
        religious = entity.intangible_religious_benefits
        if not value_minor:
            return ONLY_RELIGIOUS_BENEFITS if religious else NO_BENEFIT
        value = format_money(value_minor, currency)
        deductible = format_money(max(amount_minor - value_minor, 0), currency)
        disclosure = (
            f"In exchange for this contribution you received {description}, with an estimated fair market value "
            f"of {value} (our good-faith estimate). The amount of your contribution that is deductible for federal "
            f"income tax purposes is limited to the excess of the money you contributed over the value of the goods "
            f"or services we provided. The amount deductible for federal income tax purposes is {deductible}."
        )
        return f"{disclosure} {ALSO_RELIGIOUS_BENEFITS}" if religious else disclosure


RULES = UnitedStates()
