"""Taking a gift from the donate API: the card form's first step, then the
per-email limit and the service for the gift's frequency."""

from django.conf import settings

from core import rate_limit
from donations.models import Donation
from donations.services import gifts, recurring
from donations.services.gifts import GiftOutcome, GiftRequest
from payments import stripe as stripe_gateway


def start_card_form() -> str:
    """The client secret of a SetupIntent: Stripe.js confirms it with the
    card element and hands the page a payment method id, so card details
    go to Stripe and never to us. Raises StripeUnavailable."""
    return stripe_gateway.create_setup_intent()


def take_gift(*, gift: GiftRequest) -> GiftOutcome:
    """A one-time gift is charged at once; a monthly one starts its plan,
    whose first invoice is charged at once.

    Raises RateLimited when this email address has given too often (card
    testers rotate client addresses; the same email is a second signal),
    and StripeUnavailable when Stripe cannot be reached."""
    wait = rate_limit.seconds_until_allowed(
        scope="donation-email", identity=gift.donor.email.lower(), rate=settings.DONATION_EMAIL_RATE_LIMIT
    )
    if wait:
        raise rate_limit.RateLimited(wait)
    if gift.frequency == Donation.Frequency.MONTHLY:
        return recurring.start_monthly_gift(gift=gift)
    return gifts.give(gift=gift)
