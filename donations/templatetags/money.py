from django import template

from core.money import format_money

register = template.Library()


@register.filter
def money(amount_minor: int, currency: str) -> str:
    """{{ 5000|money:"usd" }} -> $50.00"""
    return format_money(amount_minor, currency)


@register.filter
def percent_of(part: int, whole: int) -> int:
    """Progress towards a goal, 0 to 100, for the thermometer."""
    if not whole:
        return 0
    return min(100, part * 100 // whole)
