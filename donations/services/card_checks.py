"""The checks against card testing around every card attempt (the card
form's SetupIntent and the gift itself), beyond the per-address limit:

- per donor email, DONATION_EMAIL_RATE_LIMIT; past it, a challenge when a
  CAPTCHA is configured (so nobody can lock a donor out of giving by
  using up their address's allowance), otherwise a 429;
- per card, DONATION_CARD_RATE_LIMIT, on Stripe's card fingerprint, which
  is the same for every payment method made from one card number;
- a site-wide decline-rate breaker: more than DECLINE_BREAKER_LIMIT
  declines turn on a challenge for every card attempt for
  DECLINE_BREAKER_COOLDOWN_SECONDS, and log an error (the alert). With no
  CAPTCHA configured, card attempts are refused until it cools down.

With Redis unreachable every one of them fails open (core/shared_cache.py
logs the outage): the limits let the attempt through and declines go
uncounted, and the breaker reads off. Refusing every donor while Redis
restarts is the worse failure; Stripe's own fraud checks still apply.
"""

import logging
import math
import time
from functools import cached_property

from django.conf import settings

from core import captcha, rate_limit, shared_cache
from payments import stripe as stripe_gateway
from payments.stripe import SetupIntentState, StripeUnavailable

logger = logging.getLogger(__name__)

BREAKER_KEY = "card-checks:breaker-on-until"


class ChallengeRequired(Exception):
    """The request must carry a passed challenge (`failed`: it carried a
    token that did not pass)."""

    def __init__(self, *, failed: bool):
        super().__init__("A challenge is required.")
        self.failed = failed
        self.provider = captcha.provider()
        self.site_key = settings.CAPTCHA_SITE_KEY


class CardChecksPaused(Exception):
    """The breaker is on and there is no challenge to offer: card attempts
    are refused for `seconds`."""

    def __init__(self, seconds: int):
        super().__init__(f"Card attempts are paused for {seconds} seconds.")
        self.seconds = seconds


class Challenge:
    """The challenge token a request carried, verified with the provider at
    most once, however many checks ask (a token can be used only once)."""

    def __init__(self, *, token: str | None, client_address: str):
        self.token = token or ""
        self.client_address = client_address

    @cached_property
    def passed(self) -> bool:
        return bool(self.token) and captcha.verify_challenge(self.token, self.client_address)


def check_card_attempt(*, email_scope: str, email: str, challenge: Challenge) -> None:
    """The checks every card attempt passes before Stripe sees it: the
    per-email limit, then the breaker's challenge. Raises RateLimited,
    ChallengeRequired or CardChecksPaused."""
    _limit_per_email(scope=email_scope, email=email, challenge=challenge)
    _check_breaker(challenge=challenge)


def _limit_per_email(*, scope: str, email: str, challenge: Challenge) -> None:
    wait = rate_limit.seconds_until_allowed(
        scope=scope, identity=email.lower(), rate=settings.DONATION_EMAIL_RATE_LIMIT
    )
    if wait:
        _pass_challenge_or_refuse(challenge, refusal=rate_limit.RateLimited(wait))


def _check_breaker(*, challenge: Challenge) -> None:
    seconds = breaker_seconds_left()
    if seconds:
        _pass_challenge_or_refuse(challenge, refusal=CardChecksPaused(seconds))


def _pass_challenge_or_refuse(challenge: Challenge, *, refusal: Exception) -> None:
    """Past a limit: a passed challenge lets the attempt through; without a
    CAPTCHA configured there is none to pass, and `refusal` is raised."""
    if not captcha.provider():
        raise refusal
    if not challenge.passed:
        raise ChallengeRequired(failed=bool(challenge.token))


def limit_per_card(*, payment_method: str) -> None:
    """Count an attempt with this card; RateLimited past
    DONATION_CARD_RATE_LIMIT.

    Without a fingerprint the attempt is counted under the payment method's
    own id instead, and let through to the charge: Stripe gives every card
    one, so the method is not a card or Stripe does not know it (the
    charge, which takes cards only, refuses it as an unusable card), or
    Stripe could not be asked (the charge meets the same outage, and the
    gift stays pending as the contract says)."""
    try:
        fingerprint = stripe_gateway.retrieve_payment_method(payment_method).card_fingerprint
    except StripeUnavailable as exc:  # NotFound included
        logger.warning("no card fingerprint for payment method %s: %s", payment_method, exc)
        fingerprint = None
    identity = f"card:{fingerprint}" if fingerprint else f"payment-method:{payment_method}"
    wait = rate_limit.seconds_until_allowed(
        scope="donation-card", identity=identity, rate=settings.DONATION_CARD_RATE_LIMIT
    )
    if wait:
        logger.warning("%s tried too often: refused for %s s", identity, wait)
        raise rate_limit.RateLimited(wait)


def breaker_seconds_left() -> int:
    """How long the breaker stays on; 0 when it is off."""
    until = shared_cache.get(BREAKER_KEY, when_down=None)
    return max(0, math.ceil(until - time.time())) if until else 0


def record_decline(*, attempt_id: str) -> None:
    """Count one declined card attempt for the breaker. `attempt_id` (the
    payment or setup intent) makes hearing of one decline twice, from the
    API's answer and from Stripe's event, count once."""
    _, window = rate_limit.parse_rate(settings.DECLINE_BREAKER_LIMIT)
    if not shared_cache.add(f"card-checks:decline:{attempt_id}", 1, timeout=window, when_down=False):
        return
    over = rate_limit.seconds_until_allowed(scope="declines", identity="site", rate=settings.DECLINE_BREAKER_LIMIT)
    if over:
        _turn_breaker_on()


def _turn_breaker_on() -> None:
    """On for a full cool-down from the latest decline past the limit; the
    alert is logged when it turns on, not for every decline after."""
    cooldown = settings.DECLINE_BREAKER_COOLDOWN_SECONDS
    was_on = breaker_seconds_left() > 0
    shared_cache.set(BREAKER_KEY, time.time() + cooldown, timeout=cooldown, when_down=None)
    if not was_on:
        logger.error(
            "Card-testing breaker ON: more than %s declines across the site. For %s s every card attempt %s.",
            settings.DECLINE_BREAKER_LIMIT,
            cooldown,
            f"needs a {captcha.provider()} challenge" if captcha.provider() else "is refused (no CAPTCHA configured)",
        )


def stop_failed_setup(*, setup_intent: SetupIntentState) -> bool:
    """A card was refused on the card form's SetupIntent: cancel the intent,
    so that its client secret cannot be used to try more cards, and count
    the decline. Raises StripeUnavailable (the event is retried)."""
    record_decline(attempt_id=setup_intent.id)
    logger.info("card set-up %s failed (%s): canceling it", setup_intent.id, setup_intent.failure_code or "no code")
    if setup_intent.status != "canceled":
        stripe_gateway.cancel_setup_intent(setup_intent.id)
    return True
