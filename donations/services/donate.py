"""Taking a gift from the donate API: the card form's first step, then the
gift itself, each behind the checks against card testing
(donations.services.card_checks)."""

import logging

from donations.models import Donation
from donations.services import card_checks, gifts, recurring
from donations.services.card_checks import Challenge
from donations.services.gifts import GiftOutcome, GiftRequest
from payments import stripe as stripe_gateway

logger = logging.getLogger(__name__)


def start_card_form(*, gift: GiftRequest, challenge: Challenge) -> str:
    """The client secret of a SetupIntent for a gift that passed validation
    (payment method aside): Stripe.js confirms it with the card element
    and hands the page a payment method id, so card details go to Stripe
    and never to us. Stripe checks the card at that confirmation, so the
    intent is only made once the gift's checks have passed.

    Raises RateLimited, ChallengeRequired, CardChecksPaused, and
    StripeUnavailable when Stripe cannot be reached."""
    card_checks.check_card_attempt(email_scope="setup-intent-email", email=gift.donor.email, challenge=challenge)
    return stripe_gateway.create_setup_intent()


def take_gift(*, gift: GiftRequest, challenge: Challenge) -> GiftOutcome:
    """A one-time gift is charged at once; a monthly one starts its plan,
    whose first invoice is charged at once. A decline counts for the
    breaker.

    Raises RateLimited when this email address or this card has given too
    often (card testers rotate client addresses and emails; the card's
    fingerprint is the signal they cannot change), ChallengeRequired and
    CardChecksPaused, IdempotencyKeyReused, and StripeUnavailable when
    Stripe cannot be reached."""

    # Run only for a new gift: a retry of a recorded request (same key,
    # same body) answers, or finishes charging, the gift recorded with the
    # card already checked. A key reused with another body is refused
    # before anything is counted or asked of Stripe.
    def check_new_card_attempt() -> None:
        card_checks.check_card_attempt(email_scope="donation-email", email=gift.donor.email, challenge=challenge)
        card_checks.limit_per_card(payment_method=gift.payment_method)

    start = recurring.start_monthly_gift if gift.frequency == Donation.Frequency.MONTHLY else gifts.give
    outcome = start(gift=gift, before_new_gift=check_new_card_attempt)
    donation = outcome.donation
    if donation.status == Donation.Status.FAILED:
        # The donor is only told their card was declined (see the view);
        # Stripe's precise reason is kept on the gift and here.
        logger.info("gift %s declined: %s (%s)", donation.public_id, donation.failure_code, donation.failure_message)
        card_checks.record_decline(attempt_id=donation.payment_intent_id or f"gift-{donation.public_id}")
    return outcome
