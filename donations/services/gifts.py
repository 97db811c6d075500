"""Taking a gift: record it, charge it once, record Stripe's answer."""

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Fund
from core import shared_cache
from core.money import fee_to_cover
from donations.models import Donation, GiftAidDeclaration, RecurringPlan, UpdateConsent, dedication_line
from donations.services import allocations, donors, gift_aid, gift_status, organizations
from donations.services.allocations import Part
from donations.services.organizations import OrganizationDetails
from payments import stripe as stripe_gateway
from payments.stripe import PaymentDeclined

if TYPE_CHECKING:
    from campaigns.models import Campaign, Fundraiser, Team
    from donations.services.offline import OfflineGiftRequest

Status = Donation.Status

# Longer than the slowest Stripe call can take with its retries: a claim
# older than this belongs to a request that died.
CHARGE_CLAIM_TIMEOUT = timedelta(minutes=2)


@dataclass(frozen=True)
class DonorDetails:
    email: str
    first_name: str
    last_name: str
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class Dedication:
    """A gift given in someone's name, as the request gave it: an object
    (`kind` "honor" or "memory", `name`, maybe someone to tell by email)
    or a plain string (only `text`, kind and name blank). No dedication is
    all blank."""

    kind: str = ""
    name: str = ""
    notify_email: str = ""
    # The line as receipts print it.
    text: str = ""

    @classmethod
    def of(cls, *, kind: str, name: str, notify_email: str = "") -> "Dedication":
        return cls(kind=kind, name=name, notify_email=notify_email, text=dedication_line(kind, name))

    @classmethod
    def plain(cls, text: str) -> "Dedication":
        return cls(text=text)

    @property
    def gift_fields(self) -> dict:
        """The Donation fields that hold it."""
        return {
            "dedication": self.text,
            "dedication_kind": self.kind,
            "dedication_name": self.name,
            "dedication_notify_email": self.notify_email,
        }


NO_DEDICATION = Dedication()


@dataclass(frozen=True)
class GiftTarget:
    """What every validated gift names: where it counts, the fund it is
    designated to, and how much it is."""

    campaign: "Campaign"
    team: "Team | None"
    fundraiser: "Fundraiser | None"
    fund: Fund
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class GiftRequest(GiftTarget):
    """A validated request for a gift (see donations.forms)."""

    cover_fees: bool
    anonymous: bool
    message: str
    dedication: Dedication
    donor: DonorDetails
    payment_method: str
    frequency: str = Donation.Frequency.ONE_TIME
    idempotency_key: str | None = None
    # Impact updates by email, as the donor chose with this gift, and where
    # they were asked (UpdateConsent.Source: the donate form or the API).
    email_updates: bool = True
    updates_source: str = UpdateConsent.Source.API
    # A split gift's parts, adding up to `amount_minor` (`fund` is the
    # first part's); empty for a gift to one fund.
    allocations: tuple[Part, ...] = ()
    # The organisation the donor gives as (donor.organization), if any.
    organization: OrganizationDetails | None = None
    # The donor's Gift Aid declaration (donations.gift_aid), made with the
    # gift, and how it reached us (GiftAidDeclaration.Source).
    gift_aid: bool = False
    gift_aid_source: str = GiftAidDeclaration.Source.API

    @property
    def fee_covered_minor(self) -> int:
        return covered_fee(self.amount_minor) if self.cover_fees else 0


def covered_fee(amount_minor: int) -> int:
    """What a donor who covers the fees adds to a gift of `amount_minor`."""
    return fee_to_cover(
        amount_minor, percent_bps=settings.STRIPE_FEE_PERCENT_BPS, fixed_minor=settings.STRIPE_FEE_FIXED_MINOR
    )


@dataclass(frozen=True)
class GiftOutcome:
    donation: Donation
    # For a gift that needs 3-D Secure: what Stripe.js needs to finish it.
    client_secret: str | None = None


class IdempotencyKeyReused(Exception):
    """The request's idempotency key belongs to a different request. Nothing
    was written or charged, and nothing about that other gift may be told."""


def give(*, gift: GiftRequest, before_new_gift: Callable[[], None]) -> GiftOutcome:
    """Record the gift as pending, charge the card, record Stripe's answer.
    A decline is recorded as a failed gift. A retried request (same
    idempotency key, same request) answers as the first one did, never
    charging twice. `before_new_gift` runs as in create_once.

    Raises IdempotencyKeyReused when the key came with another request, and
    StripeUnavailable when Stripe cannot be reached; the gift then stays
    pending and a retry may charge it."""
    donation, is_new = _record_pending_gift(gift, before_new_gift)
    if not is_new and not claim_charge(donation):
        return outcome_so_far(donation)

    # A gift whose earlier attempt never got an answer from Stripe is
    # charged again under the same Stripe idempotency key, so Stripe hands
    # back the first PaymentIntent if that attempt did go through.
    try:
        intent = stripe_gateway.charge(
            amount_minor=donation.charged_minor,
            currency=donation.currency,
            payment_method=gift.payment_method,
            donation_public_id=str(donation.public_id),
        )
    except PaymentDeclined as decline:
        return GiftOutcome(gift_status.record_decline(donation_id=donation.pk, decline=decline))
    except stripe_gateway.StripeUnavailable:
        Donation.objects.filter(pk=donation.pk).update(charge_attempt_started_at=None)
        raise
    donation = gift_status.apply_payment_intent(intent=intent, donation_pk=donation.pk)
    needs_action = donation.status == Status.REQUIRES_ACTION
    return GiftOutcome(donation, intent.client_secret if needs_action else None)


def outcome_so_far(donation: Donation) -> GiftOutcome:
    if donation.status == Status.REQUIRES_ACTION and donation.payment_intent_id:
        intent = stripe_gateway.retrieve_payment_intent(donation.payment_intent_id)
        return GiftOutcome(donation, intent.client_secret)
    return GiftOutcome(donation)


def claim_charge(donation: Donation) -> bool:
    """Whether this request may charge a gift that no request has charged:
    at most one request at a time holds the claim."""
    now = timezone.now()
    return bool(
        Donation.objects.filter(pk=donation.pk, status=Status.PENDING, payment_intent_id__isnull=True)
        .filter(Q(charge_attempt_started_at__isnull=True) | Q(charge_attempt_started_at__lt=now - CHARGE_CLAIM_TIMEOUT))
        .update(charge_attempt_started_at=now)
    )


def _record_pending_gift(gift: GiftRequest, before_new_gift: Callable[[], None]) -> tuple[Donation, bool]:
    return create_once(
        gift=gift,
        before_create=before_new_gift,
        create=lambda: new_donation(
            like=gift,
            donor=donors.donor_for(details=gift.donor),
            organization=organizations.organization_for(details=gift.organization),
            fee_covered_minor=gift.fee_covered_minor,
            frequency=gift.frequency,
            message=gift.message,
            **gift.dedication.gift_fields,
            donor_wants_updates=gift.email_updates,
            donor_updates_source=gift.updates_source,
            charge_attempt_started_at=timezone.now(),
        ),
    )


ATTRIBUTION = ("campaign", "team", "fundraiser", "fund")


def new_donation(*, like: "GiftRequest | OfflineGiftRequest | RecurringPlan", **fields) -> Donation:
    """The one constructor of a gift's row: an unsaved, pending Donation
    attributed like `like` (a request for a gift, or the monthly plan a
    renewal belongs to), for its amount and currency, anonymous if it is,
    with the donor's details, and the organisation's the donor gives as:
    as a request gave them, or for a renewal (given with no details of its
    own) as on the plan's donor's and organisation's records; `fields` adds
    (or overrides) what this kind of gift records (the request's donor and
    organisation records)."""
    if isinstance(like, RecurringPlan):
        # By id: the plan's campaign and fund need not be fetched.
        attribution = {f"{name}_id": getattr(like, f"{name}_id") for name in (*ATTRIBUTION, "organization")}
    else:
        attribution = {name: getattr(like, name) for name in ATTRIBUTION}
    return Donation(
        **{
            **attribution,
            **donors.gift_fields(like.donor),
            **organizations.gift_fields(like.organization),
            "amount_minor": like.amount_minor,
            "currency": like.currency,
            "anonymous": like.anonymous,
            **fields,
        }
    )


def request_fingerprint(gift: GiftRequest) -> str:
    """SHA-256 of what the request means, not of its bytes: a canonical JSON
    of every field of the validated gift (donor, card and amounts included)
    but the idempotency key itself, naming pages and funds by id. Spacing,
    key order and omitted defaults in the body do not change it."""

    def canonical(value):
        if isinstance(value, models.Model):
            return [value._meta.label, value.pk]
        if dataclasses.is_dataclass(value):
            return {field.name: canonical(getattr(value, field.name)) for field in dataclasses.fields(value)}
        if isinstance(value, list | tuple):
            return [canonical(item) for item in value]
        return value

    meaning = canonical(gift)
    del meaning["idempotency_key"]
    # Which client sent the declaration or the choice of updates is not
    # what the request means.
    del meaning["gift_aid_source"]
    del meaning["updates_source"]
    if not meaning["gift_aid"]:
        # As before Gift Aid: a retry sent across the upgrade still matches.
        del meaning["gift_aid"]
    if meaning["organization"] is None:
        # As before organisations were given: a retry sent across the
        # upgrade still matches its first attempt.
        del meaning["organization"]
    return hashlib.sha256(json.dumps(meaning, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def create_once(
    *, gift: GiftRequest, create: Callable[[], Donation], before_create: Callable[[], None]
) -> tuple[Donation, bool]:
    """(the new gift, True), or (the earlier gift with this request's
    idempotency key, False), also when a racing request with the same key
    saved it first. `before_create()` runs only for a request that is not
    a retry of a recorded one, before anything is written (the checks
    against card testing, which may raise). `create()` returns the unsaved
    gift, having saved anything it belongs to (a monthly plan); both are
    saved in one transaction, with the key and the request's fingerprint.

    Raises IdempotencyKeyReused, having written nothing, when the key was
    used by a request with another fingerprint: a key is never a way to
    read someone else's gift (its id, status or 3-D Secure secret)."""
    key = gift.idempotency_key
    fingerprint = request_fingerprint(gift) if key else ""
    if key and (earlier := _gift_with_key(key, fingerprint)):
        return earlier, False
    before_create()
    try:
        with transaction.atomic():
            donation = create()
            donation.idempotency_key, donation.idempotency_fingerprint = key, fingerprint
            donation.save()
            allocations.record_parts(donation, gift.allocations)
            if gift.gift_aid:
                gift_aid.record_declaration_with_gift(donation=donation, source=gift.gift_aid_source)
    except IntegrityError:
        # Two requests raced with one idempotency key: the first one wins.
        earlier = key and _gift_with_key(key, fingerprint)
        if not earlier:
            raise
        return earlier, False
    return donation, True


def _gift_with_key(key: str, fingerprint: str) -> Donation | None:
    """The gift recorded under `key` by the same request, or None if no gift
    has the key. Raises IdempotencyKeyReused if another request used it."""
    earlier = Donation.objects.filter(idempotency_key=key).first()
    if earlier is not None and earlier.idempotency_fingerprint != fingerprint:
        raise IdempotencyKeyReused
    return earlier


def refresh_from_stripe(*, donation: Donation) -> Donation:
    """Ask Stripe where a gift still in flight stands, instead of waiting on
    a webhook that may be late or lost. Gifts in a final state, or never
    sent to Stripe, are returned as they are."""
    if donation.status not in Donation.IN_FLIGHT_STATUSES or not donation.payment_intent_id:
        return donation
    intent = stripe_gateway.retrieve_payment_intent(donation.payment_intent_id)
    return gift_status.apply_payment_intent(intent=intent) or donation


# The donate page polls a gift's status every second, and anyone may poll
# in a loop: Stripe is asked about one gift at most this often, so polling
# cannot use up the account's Stripe rate limit (and fail every gift).
STRIPE_LOOKUP_INTERVAL_SECONDS = 2


def refresh_for_poll(*, donation: Donation) -> Donation:
    """refresh_from_stripe, at most once per STRIPE_LOOKUP_INTERVAL_SECONDS
    per gift across every web process (the claim is in the shared cache);
    between look-ups the gift is answered from the ledger, which webhooks
    keep current. With Redis unreachable no claim can be made, and the
    gift is answered from the ledger (Stripe is not asked)."""
    if donation.status not in Donation.IN_FLIGHT_STATUSES or not donation.payment_intent_id:
        return donation
    claim = f"gift-stripe-lookup:{donation.public_id}"
    if not shared_cache.add(claim, True, timeout=STRIPE_LOOKUP_INTERVAL_SECONDS, when_down=False):
        return donation
    return refresh_from_stripe(donation=donation)


# A gift recorded but never charged (the request died before Stripe
# answered) is given up after this, once Stripe has been asked whether it
# holds an intent for it (settle_stale_gift); if Stripe charges it later
# all the same, the payment_intent.succeeded webhook still moves it on
# (failed -> succeeded).
ABANDONED_AFTER = timedelta(hours=1)


def abandon_uncharged_gift(*, donation_id: int) -> Donation:
    with transaction.atomic():
        donation = gift_status.lock(donation_id)
        claim = donation.charge_attempt_started_at
        if (
            donation.status == Status.PENDING
            and donation.payment_intent_id is None
            and donation.created_at < timezone.now() - ABANDONED_AFTER
            and (claim is None or claim < timezone.now() - CHARGE_CLAIM_TIMEOUT)
        ):
            gift_status.move(
                donation,
                Status.FAILED,
                failure_code="abandoned",
                failure_message="The payment was never completed.",
            )
        return donation


def settle_stale_gift(*, donation_id: int) -> Donation:
    """A gift whose outcome never arrived: ask Stripe where it stands, by
    its PaymentIntent or, when that id was never saved (the answer to the
    charge was lost), by the gift's id in the intents' metadata. A gift is
    given up on only when Stripe has no intent for it; a Stripe error
    leaves it as it is, for the next sweep."""
    donation = Donation.objects.get(pk=donation_id)
    if donation.payment_intent_id:
        return refresh_from_stripe(donation=donation)
    if donation.status in Donation.IN_FLIGHT_STATUSES:
        intent = stripe_gateway.find_gift_payment_intent(str(donation.public_id))
        if intent is not None:
            return gift_status.apply_payment_intent(intent=intent) or donation
    return abandon_uncharged_gift(donation_id=donation_id)
