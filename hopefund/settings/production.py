"""Production: no defaults for secrets or for the charity's identity, HTTPS
only, `check --deploy` clean. Start-up fails with one line for each
variable that is missing or wrong."""

from core import email_provider, env
from hopefund.settings.base import *  # noqa: F403

SECRET_KEY = env.string("SECRET_KEY")
DEBUG = False  # never on in production, whatever DEBUG says
EMAIL_BACKEND = env.string("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")


def _problems() -> list[str]:
    problems = env.missing(
        [
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "STRIPE_SECRET_KEY",
            "STRIPE_PUBLISHABLE_KEY",
            "STRIPE_WEBHOOK_SECRET",
            # Printed on every tax receipt: a demo EIN must never reach a donor.
            "ORG_NAME",
            "ORG_TAX_ID",
            "ORG_ADDRESS",
            "SITE_URL",
        ]
    )
    if SITE_URL and not SITE_URL.startswith("https://"):  # noqa: F405
        problems.append(f"SITE_URL must start with https:// (links in donors' emails), not {SITE_URL!r}")  # noqa: F405
    if not STRIPE_JS_URL.startswith("https://js.stripe.com/"):  # noqa: F405
        problems.append(f"STRIPE_JS_URL must be on https://js.stripe.com/, not {STRIPE_JS_URL!r}")  # noqa: F405
    esp = email_provider.tracking_webhook_esp(EMAIL_BACKEND)
    if esp and not ANYMAIL.get("WEBHOOK_SECRET"):  # noqa: F405
        problems.append(
            f"ANYMAIL_WEBHOOK_SECRET is required: /anymail/{esp}/tracking/ is mounted for EMAIL_BACKEND "
            "and without it anyone could suppress donors' addresses"
        )
    return problems


env.refuse_to_start(_problems())

# gunicorn is reachable only through the proxy (README, "Behind a proxy"),
# so this header is set by the proxy and never by a client.
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
