from django import template

from core.money import CURRENCIES, as_decimal

register = template.Library()


@register.filter
def decimal_amount(amount_minor: int, currency: str) -> str:
    """{{ -5000|decimal_amount:"usd" }} -> -50.00: a dot, no grouping and no
    symbol, whatever the locale, so finance can paste it anywhere. A
    currency we do not know the exponent of (a payout in another currency)
    shows its minor units."""
    if currency not in CURRENCIES:
        return f"{amount_minor} (minor units)"
    return str(as_decimal(amount_minor, currency))
