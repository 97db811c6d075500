"""The demo and local development: SQLite, local Redis, localstripe, and
emails written to var/mail/. Every default can be overridden from the
environment."""

from django.core.management.utils import get_random_secret_key

from core import env
from hopefund.settings.base import VAR_DIR
from hopefund.settings.sandbox import *  # noqa: F403


def _dev_secret_key() -> str:
    """A key generated once per checkout, so sessions survive restarts and
    no key is ever committed."""
    path = VAR_DIR / "dev_secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(get_random_secret_key())
    return path.read_text().strip()


SECRET_KEY = env.string("SECRET_KEY") or _dev_secret_key()
DEBUG = env.flag("DEBUG", True)

# SQLite allows one writer: take the write lock when a transaction starts so
# the web process and the worker wait for each other instead of failing.
DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["OPTIONS"].update({"transaction_mode": "IMMEDIATE", "timeout": 20})  # noqa: F405
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
