"""Settings shared by every environment; each value comes from the
environment (see docs/contract.md), with the per-environment modules
choosing the defaults. Nothing here defaults to a usable secret or to the
demo charity: those defaults live in sandbox.py, for dev and test only."""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF

from core import captcha, env
from core.money import gift_minimums

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"


def databases(default_url: str) -> dict:
    """DATABASE_URL, and on PostgreSQL the timeouts that keep a stalled
    database from holding every web worker: a connection attempt gives up
    after DATABASE_CONNECT_TIMEOUT seconds, a statement after
    DATABASE_STATEMENT_TIMEOUT_MS (0: no limit). Either may also be given in
    DATABASE_URL's query (`?connect_timeout=10`, `?options=-c statement_timeout=...`),
    which wins. SQLite has neither."""
    database = dj_database_url.parse(env.string("DATABASE_URL", default_url), conn_max_age=60, conn_health_checks=True)
    if database["ENGINE"] == "django.db.backends.postgresql":
        options = database.setdefault("OPTIONS", {})
        # psycopg waits at least 2 seconds whatever it is told.
        options.setdefault("connect_timeout", env.integer("DATABASE_CONNECT_TIMEOUT", 5, minimum=2))
        # Under gunicorn's 30-second worker timeout, so that a stalled
        # statement ends as a 503 page rather than a killed worker. Set for
        # the session at connect time, so it costs no round trip; a later
        # -c in the URL's own options overrides it.
        statement_timeout = env.integer("DATABASE_STATEMENT_TIMEOUT_MS", 20_000)
        options["options"] = f"-c statement_timeout={statement_timeout} {options.get('options', '')}".strip()
    return {"default": database}


def redis_cache(redis_url: str) -> dict:
    """The shared cache. Redis answers in a millisecond: a Redis that is
    down or stalled must cost a request a fraction of a second, not hang
    it (core/shared_cache.py decides what each use does without it)."""
    return {
        "default": {
            "BACKEND": "core.redis_cache.RedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5, "retry_on_timeout": False},
        }
    }


DEBUG = env.flag("DEBUG", False)
DATABASES = databases(f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
REDIS_URL = env.string("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = redis_cache(REDIS_URL)

ALLOWED_HOSTS = env.comma_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "anymail",
    "csp",
    "import_export",
    # Staff two-factor: TOTP apps and single-use backup codes (accounts/).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "accounts",
    "campaigns",
    "donations",
    "receipts",
    "finance",
    "donors",
    "privacy",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous visitors' shared pages, served before the rest of the
    # stack; stored with the headers the rest gave them (pages/page_cache.py).
    "pages.page_cache.SharedPageMiddleware",
    "hopefund.security_headers.ContentSecurityPolicyMiddleware",
    "hopefund.security_headers.permissions_policy",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff sessions (accounts/middleware.py): the idle logout runs first so
    # that OTPMiddleware sees the user it leaves, and after the messages
    # middleware so that it can say why; then the second factor is required
    # before the admin and finance pages.
    "accounts.middleware.StaffIdleTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SecondFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost, so that it sees a view's exception first: a database
    # outage is a 503 (hopefund/outages.py; handler500 does the same for
    # one met by a middleware above).
    "hopefund.outages.DatabaseOutageMiddleware",
]

# --- Headers (hopefund/security_headers.py) ---
# Scripts only from the site and Stripe.js's host, and never inline (the
# templates have no inline script or event handler); Stripe's origins are
# added per request from STRIPE_JS_URL and STRIPE_API_BASE, and the
# configured CAPTCHA provider's from core/captcha.py, with these extra
# origins for any other provider: comma-separated https origins.
CSP_EXTRA_SCRIPT_ORIGINS = env.comma_list("CSP_EXTRA_SCRIPT_ORIGINS", "")
CSP_EXTRA_FRAME_ORIGINS = env.comma_list("CSP_EXTRA_FRAME_ORIGINS", "")
CSP_EXTRA_CONNECT_ORIGINS = env.comma_list("CSP_EXTRA_CONNECT_ORIGINS", "")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "connect-src": [SELF],
        "img-src": [SELF, "data:"],
        # Style sheets only from the site. Style *attributes* are allowed:
        # the admin's email preview (an iframe srcdoc, which inherits this
        # policy) shows the email's inline styles, and the admin and
        # import-export templates use a few. An attribute cannot select
        # other elements, so it cannot read the page.
        "style-src": [SELF],
        "style-src-attr": ["'unsafe-inline'"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        # As X-Frame-Options: DENY (XFrameOptionsMiddleware): nobody frames us.
        "frame-ancestors": [NONE],
    }
}
# Links to other sites never carry our URLs (receipt, plan and invite
# links have their secret in the path).
SECURE_REFERRER_POLICY = "same-origin"

ROOT_URLCONF = "hopefund.urls"
WSGI_APPLICATION = "hopefund.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hopefund.context_processors.organisation",
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # ASVS 2.1.1: at least 12 characters.
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The organisation's calendar: receipt dates and the receipt year follow it
# (a gift at 8 pm on 31 December in California is a gift of that year).
# Times are stored in UTC whatever it is.
TIME_ZONE = env.string("TIME_ZONE", "UTC")
# The first day of the charity's own (fiscal) year, "MM-DD": the finance
# pages' and exports' default period and quick choices follow it. Donors'
# statements follow their receipting entity's statement year instead.
FISCAL_YEAR_START = env.month_day("FISCAL_YEAR_START", "01-01")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production, whitenoise serves straight from the source folders,
# so no collectstatic is needed.
WHITENOISE_USE_FINDERS = True

# Request bodies are small JSON documents; anything larger is refused (400).
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
# Uploads: a multipart body over MULTIPART_MAX_BYTES is refused (400) before
# it is read (the largest upload is a 10 MB offline-gift import; a photo may
# be 5 MB); each file over 1 MB waits in a temporary file, not in memory; no
# form takes more than a few files. The proxy's body limit should match.
MULTIPART_MAX_BYTES = 11 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_HANDLERS = [
    "core.uploads.MultipartSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Celery (read by hopefund/celery.py through the CELERY_ namespace) ---
CELERY_BROKER_URL = env.string("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Delivery (docs/architecture.md, "Delivery and sweeps"). A task is
# acknowledged only once it has run, and a task whose worker died is
# delivered again: every task is safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A worker holds no more tasks than it has processes, so a dead worker
# takes no queue of others' tasks with it.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest ordinary task: a few Stripe calls of at most three tries of
# 20 s each (payments/stripe/client.py). Long tasks (imports, year-end
# statements) set their own limit and are acknowledged early instead.
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
# Redis hands a reserved task to another worker once it has gone this
# long unacknowledged: how soon a killed worker's tasks come back. It must
# exceed the time limit above (or a slow task would run twice at once) and
# the longest email retry countdown (64 s, EMAIL_RETRY_BACKOFF_SECONDS
# below), since Redis counts a task waiting for its countdown as reserved.
# Each worker looks for such tasks every 10 s (kombu's default scans only
# every 100 s), so they come back within 160 s of their worker's death.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 150,
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
    # A web request that queues a task while Redis is unreachable or stalled
    # fails within seconds (the work is in the database; a sweep queues it).
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
}
# One more try 0.2 s later, then the enqueue raises.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0, "interval_max": 0.2}
# Workers and beat wait out a Redis outage of any length, at start-up too.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A task running when the worker loses Redis finishes its work, which
# needs no Redis; only its acknowledgement is lost, so if Redis kept the
# message it is delivered again and finds the work done (every task is
# idempotent). Stopping it instead loses the work when Redis comes back
# empty, and leaves an email it had claimed `sending` until the claim's
# 10-minute lease runs out (tests/reliability/test_redis_outage.py).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Celery's Django fixup closes the DB connection after every task unless
# this is set; reusing it more than triples throughput (shared/notes).
CELERY_DB_REUSE_MAX = 200


def beat_sweep(task: str, every_seconds: float) -> dict:
    """A beat entry for a sweep. A tick not run within its period is
    dropped (expires): a worker back after an hour runs one sweep, not
    120 of them each queueing the same work."""
    return {"task": task, "schedule": every_seconds, "options": {"expires": every_seconds}}


# Every task that moves money, mail or fees has a sweep here that queues
# again what its own task never did (the broker was down, the worker
# died): see docs/architecture.md, "Delivery and sweeps".
SWEEP_SECONDS = 30.0
PARKED_TASKS_SECONDS = 5.0
CELERY_BEAT_SCHEDULE = {
    # Not a sweep of stalled work: tasks whose enqueue found the broker
    # down, queued again within seconds of its return (core/task_queue.py).
    "requeue-parked-tasks": beat_sweep("core.tasks.requeue_parked_tasks", PARKED_TASKS_SECONDS),
    "redrive-stripe-events": beat_sweep("donations.tasks.redrive_stripe_events", SWEEP_SECONDS),
    "record-missing-fees": beat_sweep("donations.tasks.record_missing_fees", SWEEP_SECONDS),
    "resend-donor-notices": beat_sweep("donations.tasks.resend_donor_notices", SWEEP_SECONDS),
    # Monthly gifts whose pause has ended: active again, the donor told.
    "end-finished-pauses": beat_sweep("donations.tasks.end_finished_pauses", 300.0),
    "resend-stalled-emails": beat_sweep("receipts.tasks.resend_stalled_emails", SWEEP_SECONDS),
    "resume-stalled-imports": beat_sweep("finance.tasks.resume_stalled_imports", SWEEP_SECONDS),
    "settle-stale-gifts": beat_sweep("donations.tasks.settle_stale_gifts", 300.0),
    # Mid-January: late refunds and address changes are in by then. Run on
    # seven days, so a run lost with its worker is made good the next day
    # (each run issues only the statements not issued yet).
    "send-year-end-statements": {
        "task": "receipts.tasks.send_last_years_statements",
        "schedule": crontab(minute=0, hour=15, day_of_month="15-21", month_of_year=1),
    },
    # The same for entities whose statement year ends on another day (the
    # UK tax year on 5 April): each day's run finds whose year ended 15 to
    # 21 days before, and sends nothing on other days.
    "send-other-years-statements": {
        "task": "receipts.tasks.send_other_years_statements",
        "schedule": crontab(minute=30, hour=15),
    },
    # Payout reconciliation; webhooks fetch each payout sooner, this is the
    # backstop for lost events and for payouts whose status moved on.
    "fetch-recent-payouts": beat_sweep("finance.tasks.fetch_recent_payouts", 3600.0),
    # The retention schedule (privacy.services.retention, the RETAIN_*
    # settings below): once a day; a lost run is made good the next.
    "prune-personal-data": {
        "task": "privacy.tasks.prune_personal_data",
        "schedule": crontab(minute=15, hour=3),
    },
}

# --- Stripe ---
STRIPE_SECRET_KEY = env.string("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env.string("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env.string("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env.string("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_JS_URL = env.string("STRIPE_JS_URL", "https://js.stripe.com/v3/")
# Stripe's events can be far larger than other request bodies (an invoice
# with many lines): the webhook reads its own body up to this many bytes
# (413 beyond), whatever DATA_UPLOAD_MAX_MEMORY_SIZE says.
STRIPE_WEBHOOK_MAX_BYTES = env.integer("STRIPE_WEBHOOK_MAX_BYTES", 1024 * 1024, minimum=1)
# Signed webhook timestamps older than this are refused (replay protection).
STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300
# What "cover the fees" adds: Stripe's standard card pricing, in basis
# points plus a fixed part in minor units.
STRIPE_FEE_PERCENT_BPS = 290
STRIPE_FEE_FIXED_MINOR = 30

# --- Email ---
EMAIL_BACKEND = env.string("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env.string("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
ANYMAIL = env.prefixed("ANYMAIL_")
# How long a send waits to connect to the provider's API, and then for
# each read of its answer (anymail's own default is 30 s; as a string from
# the environment it would break every send). A send that times out is
# tried again like a 5xx, with the same Message-ID (receipts/outbox.py).
ANYMAIL["REQUESTS_TIMEOUT"] = env.number("ANYMAIL_REQUESTS_TIMEOUT", 10.0, minimum=0.1)
# The same for an SMTP server (Django's default is to wait for ever, until
# the task's time limit).
EMAIL_TIMEOUT = env.number("EMAIL_TIMEOUT", 10.0, minimum=0.1)
# A temporary provider failure is tried again after EMAIL_RETRY_BACKOFF_SECONDS,
# then twice that, and so on (2, 4 ... 64 s), EMAIL_SEND_RETRIES times; then
# the email is `failed` for staff (receipts/tasks.py). The longest wait
# must stay below the broker's visibility_timeout (above).
EMAIL_SEND_RETRIES = env.integer("EMAIL_SEND_RETRIES", 6)
EMAIL_RETRY_BACKOFF_SECONDS = env.number("EMAIL_RETRY_BACKOFF_SECONDS", 2.0, minimum=0.01)
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "Hopefund Demo <receipts@hopefund.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Uploads: fundraiser photos, and impact update images (emails carry
# these inline, so they never need to be served publicly).
MEDIA_ROOT = env.string("MEDIA_ROOT", str(VAR_DIR / "media"))
MEDIA_URL = "media/"

# --- The organisation, as printed on receipts ---
ORG_NAME = env.string("ORG_NAME")
ORG_TAX_ID = env.string("ORG_TAX_ID")
ORG_ADDRESS = env.string("ORG_ADDRESS")
# The rest of the default receipting entity (campaigns.ReceiptingEntity.default):
# the country whose receipt rules it follows (US, CA or GB), where its
# receipts are issued and who signs them, and the first day (MM-DD) of the
# year its year-end statements cover. Entities of their own are set up in the admin.
ORG_COUNTRY = env.choice("ORG_COUNTRY", "US", ("US", "CA", "GB"))
ORG_RECEIPT_PLACE = env.string("ORG_RECEIPT_PLACE", "")
ORG_SIGNATORY_NAME = env.string("ORG_SIGNATORY_NAME", "")
ORG_SIGNATORY_TITLE = env.string("ORG_SIGNATORY_TITLE", "")
ORG_STATEMENT_YEAR_START = env.month_day("ORG_STATEMENT_YEAR_START", "01-01")
# The absolute base of every link we send (emails, password resets).
SITE_URL = (env.string("SITE_URL") or "").rstrip("/")

# How many reverse proxies in front of gunicorn append to X-Forwarded-For:
# client addresses for rate limits are read from there (0: REMOTE_ADDR;
# core.rate_limit.client_address, README "Behind a proxy").
TRUSTED_PROXY_COUNT = env.integer("TRUSTED_PROXY_COUNT", 0)
# Gift (and card set-up) attempts per client address; checked at start-up.
DONATION_RATE_LIMIT = env.rate("DONATION_RATE_LIMIT", "10/m")
# Gift attempts per donor email address, whatever the client address.
DONATION_EMAIL_RATE_LIMIT = env.rate("DONATION_EMAIL_RATE_LIMIT", "5/h")
# How long the link to a donor's monthly-gift page works after the email
# that carried it; each email carries a fresh one.
MONTHLY_LINK_MAX_AGE_DAYS = env.integer("MONTHLY_LINK_MAX_AGE_DAYS", 60, minimum=1)
# Requests to email a fresh link, per plan and per client address.
MONTHLY_LINK_EMAIL_RATE_LIMIT = env.rate("MONTHLY_LINK_EMAIL_RATE_LIMIT", "3/h")
# Reads of GET /api/donations/<uuid>/ per client address (the donate page
# polls once a second for 30 seconds); checked at start-up.
DONATION_STATUS_RATE_LIMIT = env.rate("DONATION_STATUS_RATE_LIMIT", "120/m")
# The smallest online gift per currency in minor units, e.g.
# "usd=500,gbp=300"; 500 for each currency not named. Checked at start-up.
MIN_GIFT_MINOR = gift_minimums(env.string("MIN_GIFT_MINOR", ""))
# Gift attempts per card (Stripe's card fingerprint), whatever the payment
# method, email or client address it comes with.
DONATION_CARD_RATE_LIMIT = env.rate("DONATION_CARD_RATE_LIMIT", "5/h")
# The card-testing breaker: more declines than this across the site (a
# declined gift, a failed payment or card set-up) turn on a challenge for
# every card attempt for the cool-down, and log an error (the alert).
DECLINE_BREAKER_LIMIT = env.rate("DECLINE_BREAKER_LIMIT", "30/10m")
DECLINE_BREAKER_COOLDOWN_SECONDS = env.integer("DECLINE_BREAKER_COOLDOWN_SECONDS", 3600, minimum=1)
# The challenge: "" (none), "turnstile" or "hcaptcha". With the breaker on
# and no provider, card attempts are refused (429) until it cools down.
CAPTCHA_PROVIDER = env.string("CAPTCHA_PROVIDER", "")
CAPTCHA_SITE_KEY = env.string("CAPTCHA_SITE_KEY", "")
CAPTCHA_SECRET_KEY = env.string("CAPTCHA_SECRET_KEY", "")
captcha.check_configuration(provider=CAPTCHA_PROVIDER, site_key=CAPTCHA_SITE_KEY, secret_key=CAPTCHA_SECRET_KEY)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    # Request paths can carry a donor's link (hopefund/log_masking.py).
    "filters": {"mask_tokens": {"()": "hopefund.log_masking.MaskTokensFilter"}},
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"filters": ["mask_tokens"]},
        "django.server": {"filters": ["mask_tokens"]},
        "django.db.backends": {"level": "WARNING"},
        # The SDK logs every request at INFO; our own log lines say what matters.
        "stripe": {"level": "WARNING"},
    },
}

# --- Accounts and peer fundraising ---
# People log in with their email address, whatever its case (the User's
# username is the lower-cased email).
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "my-pages"
LOGOUT_REDIRECT_URL = "campaigns:home"
# Login (the site's and the admin's, counted together) and password-reset
# attempts per client address and per email address; second-factor codes
# per person and per client address; checked at start-up.
LOGIN_RATE_LIMIT = env.rate("LOGIN_RATE_LIMIT", "10/m")
# Sign-ups (and resent verification emails) per client address and per
# address typed; checked at start-up.
SIGNUP_RATE_LIMIT = env.rate("SIGNUP_RATE_LIMIT", "10/h")
# How long the link that confirms an account's email address works.
EMAIL_VERIFICATION_DAYS = 3
# --- Staff accounts: second factor and idle timeout (accounts/) ---
# Staff, superusers and the Finance group need a second factor before the
# admin and finance pages, and are logged out after this long without a
# request; everyone else keeps Django's two-week session.
STAFF_SESSION_IDLE_SECONDS = env.integer("STAFF_SESSION_IDLE_SECONDS", 1800, minimum=1)
# The name authenticator apps show next to the code.
OTP_TOTP_ISSUER = ORG_NAME
# The admin lists people's devices, so that a superuser can remove a lost
# one; it never shows their secret keys or backup codes, which would let
# another admin pass as them.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Thank-you notes one account may send to donors, however many gifts its
# pages have (each gift can be thanked once anyway); checked at start-up.
THANK_YOU_NOTE_RATE_LIMIT = env.rate("THANK_YOU_NOTE_RATE_LIMIT", "60/h")
# How long a team invite link works.
TEAM_INVITE_DAYS = 14
# Invites one account may send in any 24 hours, counted from the invites
# table so a restart does not reset it.
INVITE_DAILY_LIMIT = env.integer("INVITE_DAILY_LIMIT", 20, minimum=1)
# seed_demo's logins have a published password: only the sandbox allows it.
DEMO_SEEDING_ALLOWED = False

# --- The donor portal and donors' data (donors/, privacy/, docs/privacy.md) ---
# Sign-in links emailed per address typed: past it the answer is the same
# and no email is sent, so nobody can flood a donor's inbox.
DONOR_SIGN_IN_RATE_LIMIT = env.rate("DONOR_SIGN_IN_RATE_LIMIT", "5/h")
# Sign-in links asked for per client address, whatever addresses are
# typed (429 beyond it): looser, since donors on one network (a church's
# or an office's wifi) share an address. Both checked at start-up.
DONOR_SIGN_IN_CLIENT_RATE_LIMIT = env.rate("DONOR_SIGN_IN_CLIENT_RATE_LIMIT", "20/10m")
# How long a sign-in link works (it works once).
DONOR_SIGN_IN_LINK_MINUTES = 30
# The retention schedule: days each is kept before privacy.services.retention
# prunes it. Stripe event payloads (the event row and its id stay, so a
# repeat is still known), the email provider's tracking events, and the
# files of offline-gift imports (the gifts they made stay).
RETAIN_STRIPE_EVENT_PAYLOAD_DAYS = env.integer("RETAIN_STRIPE_EVENT_PAYLOAD_DAYS", 90, minimum=1)
RETAIN_PROVIDER_EVENT_DAYS = env.integer("RETAIN_PROVIDER_EVENT_DAYS", 90, minimum=1)
RETAIN_IMPORT_FILE_DAYS = env.integer("RETAIN_IMPORT_FILE_DAYS", 365, minimum=1)
# Donor sign-in links, counted from when they expired.
RETAIN_SIGN_IN_LINK_DAYS = env.integer("RETAIN_SIGN_IN_LINK_DAYS", 30, minimum=1)
