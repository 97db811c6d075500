"""Typed access to environment variables (the settings are 12-factor)."""

import os

from django.core.exceptions import ImproperlyConfigured


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
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {value!r}")


def integer(name: str, default: int, *, minimum: int = 0) -> int:
    value = string(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least {minimum}, not {value!r}")
    return number


def comma_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in string(name, default).split(",") if item.strip()]


def prefixed(prefix: str) -> dict[str, str]:
    """Every variable named PREFIX<KEY>, keyed by <KEY>."""
    return {
        name[len(prefix) :]: value
        for name, value in os.environ.items()
        if name.startswith(prefix) and len(name) > len(prefix)
    }


def required(names: list[str]) -> None:
    """Refuse to start when any of `names` is unset or empty."""
    missing = [name for name in names if string(name) is None]
    if missing:
        raise ImproperlyConfigured("Missing required environment variables: " + ", ".join(missing))
