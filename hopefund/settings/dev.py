"""The demo and local development: no server to run. SQLite, a shared cache
in a SQLite file (core/file_cache.py), Celery's messages in a folder
(kombu's filesystem transport), localstripe, and emails written to
var/mail/. Redis is not used (REDIS_URL is ignored here). Every default
can be overridden from the environment."""

from pathlib import Path

from django.core.management.utils import get_random_secret_key

from core import env
from hopefund.settings.base import VAR_DIR as CHECKOUT_VAR_DIR
from hopefund.settings.base import databases
from hopefund.settings.sandbox import *  # noqa: F403

# Where the demo keeps everything it writes: the database, the cache, the
# broker's messages, mail and uploads (var/ in the checkout). The tests
# that start the demo give it a folder of their own.
VAR_DIR = Path(env.string("VAR_DIR", str(CHECKOUT_VAR_DIR)))


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

DATABASES = databases(f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
EMAIL_FILE_PATH = env.string("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
MEDIA_ROOT = env.string("MEDIA_ROOT", str(VAR_DIR / "media"))

# SQLite allows one writer: take the write lock when a transaction starts so
# the web process and the worker wait for each other instead of failing.
DATABASES["default"].setdefault("OPTIONS", {})
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"].update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# The shared cache (rate limits, the card-testing breaker, one-time claims,
# the webhook drain's wake, page versions and shared pages): one SQLite
# file every process of the demo opens, where `add` and `count_in_window`
# are atomic across processes as they are on Redis (core/file_cache.py).
CACHES = {
    "default": {
        "BACKEND": "core.file_cache.FileCache",
        "LOCATION": str(VAR_DIR / "cache" / "shared.sqlite3"),
    }
}

# Celery's broker: kombu's filesystem transport, one message a file. The
# web server, beat and the worker all write to and read from the same
# folder, so "in" and "out" are one. One worker consumes from it (the
# demo's), taking each message once and deleting it once read
# (store_processed off); a task it held when it was killed is found again
# by its sweep, as with Redis. No result backend (none is configured).
BROKER_DIR = VAR_DIR / "broker"
for _folder in ("messages", "control"):
    (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_BROKER_URL = env.string("CELERY_BROKER_URL", "filesystem://localhost/")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "data_folder_in": str(BROKER_DIR / "messages"),
    "data_folder_out": str(BROKER_DIR / "messages"),
    "store_processed": False,
    # Exchange bindings (the workers' remote-control fanout) live here.
    "control_folder": str(BROKER_DIR / "control"),
    # The worker looks for new files five times a second (kombu: once).
    "polling_interval": 0.2,
}
