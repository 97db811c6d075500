from django import template

from donations.money import as_decimal

register = template.Library()


@register.filter
def decimal_amount(amount_minor: int, currency: str) -> str:
    """{{ 123450|decimal_amount:"usd" }} -> 1234.50: a plain decimal with a
    dot, never locale-formatted, as finance staff paste it elsewhere."""
    return str(as_decimal(amount_minor, currency))
