"""Money is an integer count of minor units plus a currency code: never a
float. This module knows each accepted currency's exponent and gift limits."""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Currency:
    code: str
    symbol: str
    exponent: int
    # Stripe refuses smaller charges, so no minimum gift may be set below it.
    stripe_min_charge_minor: int
    max_gift_minor: int


CURRENCIES = {
    c.code: c
    for c in (
        Currency("usd", "$", 2, 50, 5_000_000),
        Currency("cad", "CA$", 2, 50, 5_000_000),
        Currency("eur", "€", 2, 50, 5_000_000),
        Currency("gbp", "£", 2, 30, 5_000_000),
        Currency("aud", "A$", 2, 50, 5_000_000),
    )
}

# The smallest online gift in a currency MIN_GIFT_MINOR does not name: 5.00.
# Card testers try cards with the cheapest authorisation they can; a floor
# of a few dollars makes each try cost them (and the charity's fees) more.
DEFAULT_MIN_GIFT_MINOR = 500

MINIMUM_ITEM = re.compile(r"\s*([a-z]{3})\s*=\s*(\d+)\s*")


def gift_minimums(setting: str) -> dict[str, int]:
    """MIN_GIFT_MINOR ("usd=500,gbp=300", or empty) -> the smallest online
    gift in minor units for every accepted currency, DEFAULT_MIN_GIFT_MINOR
    for those it does not name. A value that is malformed, names a currency
    we do not accept, or lies outside what Stripe charges and our largest
    gift stops start-up."""
    minimums = dict.fromkeys(CURRENCIES, DEFAULT_MIN_GIFT_MINOR)
    for item in filter(str.strip, setting.lower().split(",")):
        match = MINIMUM_ITEM.fullmatch(item)
        if not match:
            raise ImproperlyConfigured(f"MIN_GIFT_MINOR looks like usd=500,gbp=500 (minor units), not {setting!r}")
        code, minimum = match.group(1), int(match.group(2))
        currency = CURRENCIES.get(code)
        if currency is None:
            raise ImproperlyConfigured(f"MIN_GIFT_MINOR names {code!r}, not a currency we accept")
        if not currency.stripe_min_charge_minor <= minimum <= currency.max_gift_minor:
            raise ImproperlyConfigured(
                f"MIN_GIFT_MINOR for {code} must be from {currency.stripe_min_charge_minor} (Stripe's smallest charge) "
                f"to {currency.max_gift_minor}, not {minimum}"
            )
        minimums[code] = minimum
    return minimums


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
