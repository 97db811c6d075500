"""The challenge a person passes and a script does not: a pluggable
CAPTCHA, Cloudflare Turnstile or hCaptcha, chosen by CAPTCHA_PROVIDER
("" switches it off). The page renders the provider's widget and sends us
its one-use token; `verify_challenge` is the one function that asks the
provider whether the token passed (tests put a fake in its place)."""

import json
import logging
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

# Each provider's server-side check of a token.
SITEVERIFY_URLS = {
    "turnstile": "https://challenges.cloudflare.com/turnstile/v0/siteverify",
    "hcaptcha": "https://api.hcaptcha.com/siteverify",
}
# What each provider's widget loads into our pages, by CSP directive
# (hopefund/security_headers.py adds the configured provider's).
PAGE_SOURCES = {
    "turnstile": {
        "script-src": ["https://challenges.cloudflare.com"],
        "frame-src": ["https://challenges.cloudflare.com"],
    },
    "hcaptcha": {
        "script-src": ["https://hcaptcha.com", "https://*.hcaptcha.com"],
        "frame-src": ["https://hcaptcha.com", "https://*.hcaptcha.com"],
        "style-src": ["https://hcaptcha.com", "https://*.hcaptcha.com"],
        "connect-src": ["https://hcaptcha.com", "https://*.hcaptcha.com"],
    },
}
# The donor is waiting on the answer, and a provider that does not answer
# counts as a failed challenge, never as a passed one.
VERIFY_TIMEOUT_SECONDS = 5
MAX_ANSWER_BYTES = 64 * 1024


def check_configuration(*, provider: str, site_key: str, secret_key: str) -> None:
    """Refuse to start with an unknown provider, or a provider without keys."""
    if provider and provider not in SITEVERIFY_URLS:
        raise ImproperlyConfigured(f"CAPTCHA_PROVIDER must be empty, turnstile or hcaptcha, not {provider!r}")
    if provider and not (site_key and secret_key):
        raise ImproperlyConfigured("CAPTCHA_PROVIDER needs CAPTCHA_SITE_KEY and CAPTCHA_SECRET_KEY")


def provider() -> str:
    """The configured provider's name, or "" when there is none."""
    return settings.CAPTCHA_PROVIDER


def verify_challenge(token: str, client_address: str) -> bool:
    """Whether the provider says this token was earned by passing its
    challenge, just now, on our site key. Fails closed: no provider, an
    empty token, an error or a timeout are all False."""
    if not provider() or not token:
        return False
    data = urllib.parse.urlencode(
        {"secret": settings.CAPTCHA_SECRET_KEY, "response": token, "remoteip": client_address}
    ).encode()
    request = urllib.request.Request(SITEVERIFY_URLS[provider()], data=data, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=VERIFY_TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read(MAX_ANSWER_BYTES))
    except (OSError, ValueError) as exc:
        logger.error("could not verify a %s challenge: %s", provider(), exc)
        return False
    passed = isinstance(answer, dict) and answer.get("success") is True
    if not passed:
        logger.info("a %s challenge did not pass: %s", provider(), answer)
    return passed
