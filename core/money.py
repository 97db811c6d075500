"""Money is an integer count of minor units plus a currency code: never a
float. This module knows each accepted currency's exponent and gift limits."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Currency:
    code: str
    symbol: str
    exponent: int
    # Card-testing defence and Stripe's own floor: gifts outside these limits
    # are refused before Stripe is called.
    min_gift_minor: int
    max_gift_minor: int


CURRENCIES = {
    c.code: c
    for c in (
        Currency("usd", "$", 2, 100, 5_000_000),
        Currency("cad", "CA$", 2, 100, 5_000_000),
        Currency("eur", "€", 2, 100, 5_000_000),
        Currency("gbp", "£", 2, 100, 5_000_000),
        Currency("aud", "A$", 2, 100, 5_000_000),
    )
}


def as_decimal(amount_minor: int, currency: str) -> Decimal:
    """50_00 usd -> Decimal("50.00"), exactly."""
    exponent = CURRENCIES[currency].exponent
    return Decimal(amount_minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def format_money(amount_minor: int, currency: str) -> str:
    """50_00 usd -> "$50.00"; 1_234_500 usd -> "$12,345.00"."""
    symbol = CURRENCIES[currency].symbol
    sign = "-" if amount_minor < 0 else ""
    return f"{sign}{symbol}{as_decimal(abs(amount_minor), currency):,}"


def fee_to_cover(amount_minor: int, *, percent_bps: int, fixed_minor: int) -> int:
    """What to add to a gift so that after the processor takes
    `percent_bps`/10000 of the total plus `fixed_minor`, the charity still
    receives `amount_minor`. Rounded up: the charity never comes up short."""
    total = -(-(amount_minor + fixed_minor) * 10_000 // (10_000 - percent_bps))
    return total - amount_minor
