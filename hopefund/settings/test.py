"""The test suite: PostgreSQL and Redis on this machine, localstripe
started by tests/conftest.py. Celery runs tasks eagerly in unit tests; the
integration tests start a real worker process instead."""

from core import env
from hopefund.settings.base import VAR_DIR, databases, redis_cache
from hopefund.settings.sandbox import *  # noqa: F403

SECRET_KEY = env.string("SECRET_KEY", "test-only-secret-key-not-for-production")
DEBUG = False
DATABASES = databases("postgres://root@127.0.0.1:5432/test")
# Database 0 belongs to the demo; the tests use their own.
REDIS_URL = env.string("REDIS_URL", "redis://127.0.0.1:6379/14")
CACHES = redis_cache(REDIS_URL)
CELERY_BROKER_URL = env.string("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env.flag("CELERY_TASK_ALWAYS_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = True
# Not the demo's uploads: tests that look at stored files use their own
# tmp_path; the rest (seed_demo's pictures among them) land here.
MEDIA_ROOT = env.string("MEDIA_ROOT", str(VAR_DIR / "test-media"))

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = env.string("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
STRIPE_SECRET_KEY = env.string("STRIPE_SECRET_KEY", "sk_test_hopefund_tests")
STRIPE_WEBHOOK_SECRET = env.string("STRIPE_WEBHOOK_SECRET", "whsec_hopefund_tests")
# Every test gives from 127.0.0.1; the limit's own tests lower it.
DONATION_RATE_LIMIT = env.rate("DONATION_RATE_LIMIT", "100000/m")
DONATION_EMAIL_RATE_LIMIT = env.rate("DONATION_EMAIL_RATE_LIMIT", "100000/m")
DONATION_CARD_RATE_LIMIT = env.rate("DONATION_CARD_RATE_LIMIT", "100000/m")
DECLINE_BREAKER_LIMIT = env.rate("DECLINE_BREAKER_LIMIT", "100000/m")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
