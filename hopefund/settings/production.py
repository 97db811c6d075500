"""Production: no defaults for secrets, HTTPS only, `check --deploy` clean.
Start-up fails with the names of whatever is missing."""

from core import env

env.required(
    [
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "STRIPE_SECRET_KEY",
        "STRIPE_PUBLISHABLE_KEY",
        "STRIPE_WEBHOOK_SECRET",
    ]
)

from hopefund.settings.base import *  # noqa: E402,F403

SECRET_KEY = env.string("SECRET_KEY")
DEBUG = False  # never on in production, whatever DEBUG says

# Real Stripe unless told otherwise.
STRIPE_API_BASE = env.string("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_JS_URL = env.string("STRIPE_JS_URL", "https://js.stripe.com/v3/")
EMAIL_BACKEND = env.string("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.flag("SECURE_SSL_REDIRECT", True)
# /healthz is probed over plain HTTP from inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STATIC_ROOT = BASE_DIR / "staticfiles"  # noqa: F405
WHITENOISE_USE_FINDERS = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
