"""What the demo and the test suite share, and production never imports:
localstripe's keys and address, the demo webhook secret and the demo
charity printed on receipts. Each can still be overridden from the
environment."""

from core import env
from hopefund.settings.base import *  # noqa: F403

STRIPE_SECRET_KEY = env.string("STRIPE_SECRET_KEY", "sk_test_localstripe")
STRIPE_PUBLISHABLE_KEY = env.string("STRIPE_PUBLISHABLE_KEY", "pk_test_localstripe")
STRIPE_WEBHOOK_SECRET = env.string("STRIPE_WEBHOOK_SECRET", "whsec_localstripe_demo")
STRIPE_API_BASE = env.string("STRIPE_API_BASE", "http://127.0.0.1:8420")
STRIPE_JS_URL = env.string("STRIPE_JS_URL", "http://127.0.0.1:8420/js.stripe.com/v3/")

ORG_NAME = env.string("ORG_NAME", "Hopefund Demo Charity")
ORG_TAX_ID = env.string("ORG_TAX_ID", "00-0000000")
ORG_ADDRESS = env.string("ORG_ADDRESS", "100 Example Street, Springfield, IL 62701, USA")
SITE_URL = env.string("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# base.py named the issuer from its own ORG_NAME, unset there.
OTP_TOTP_ISSUER = ORG_NAME

DEMO_SEEDING_ALLOWED = True
