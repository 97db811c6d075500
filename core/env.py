"""Typed access to environment variables (the settings are 12-factor)."""

import math
import os

from django.core.exceptions import ImproperlyConfigured

from core.dates import parse_month_day
from core.rate_limit import parse_rate


def string(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def flag(name: str, default: bool) -> bool:
    value = string(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {value!r}") from None


def integer(name: str, default: int, *, minimum: int = 0) -> int:
    return _at_least(name, default, minimum=minimum, parse=int, kind="a whole number")


def number(name: str, default: float, *, minimum: float) -> float:
    """A number of seconds and the like: fractions allowed."""
    return _at_least(name, default, minimum=minimum, parse=float, kind="a number")


def _at_least(name: str, default, *, minimum, parse, kind: str):
    value = string(name)
    if value is None:
        return default
    try:
        parsed = parse(value)
    except ValueError:
        parsed = math.nan
    if not (math.isfinite(parsed) and parsed >= minimum):
        raise ImproperlyConfigured(f"{name} must be {kind} of at least {minimum}, not {value!r}") from None
    return parsed


def rate(name: str, default: str) -> str:
    """A rate limit such as "10/m", refused at start-up when malformed."""
    value = string(name, default)
    parse_rate(value)
    return value


def choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices` (case-insensitive, given back in upper case)."""
    value = string(name, default).upper()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}") from None
    return value


def month_day(name: str, default: str) -> str:
    """A day of the year as MM-DD (04-06), refused at start-up when it is none."""
    value = string(name, default)
    try:
        parse_month_day(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a day of the year as MM-DD (04-06 for 6 April), not {value!r}"
        ) from None
    return value


def comma_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in string(name, default).split(",") if item.strip()]


def prefixed(prefix: str) -> dict[str, str]:
    """Every variable named PREFIX<KEY>, keyed by <KEY>."""
    return {
        name[len(prefix) :]: value
        for name, value in os.environ.items()
        if name.startswith(prefix) and len(name) > len(prefix)
    }


def missing(names: list[str]) -> list[str]:
    """One line for each of `names` that is unset or empty."""
    return [f"{name} is required and not set" for name in names if string(name) is None]


def refuse_to_start(problems: list[str]) -> None:
    """Stop the settings from loading, naming every problem on its own line
    so one failed start shows everything that needs fixing."""
    if problems:
        raise ImproperlyConfigured("Refusing to start:\n" + "\n".join(problems))
