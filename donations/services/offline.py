"""Gifts received offline (cheques, cash, bank transfers), recorded in the
ledger as paid gifts: the same step from nothing to succeeded as an online
gift (gift_status.move), so the same counters and receipts, and no Stripe
ids, since Stripe never saw them."""

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone

from donations.models import Donation, Donor
from donations.services import allocations, donors, effects, gift_status, organizations, totals
from donations.services.gifts import DonorDetails, GiftTarget, new_donation
from donations.services.organizations import OrganizationDetails

# A received date has no time of day. Noon keeps the gift on that date, and
# its receipt in that year, in any time zone within twelve hours of ours.
RECEIVED_AT = time(12, 0)


@dataclass(frozen=True)
class OfflineGiftRequest(GiftTarget):
    """A validated offline gift (see finance.imports.rows)."""

    received_on: date
    donor: DonorDetails
    wants_receipt: bool
    anonymous: bool = False
    message: str = ""
    organization: OrganizationDetails | None = None
    # What the giver received in return (a gala ticket) and its fair market
    # value, at most `amount_minor`: its receipt states these instead of
    # the campaign's benefit. Blank and 0 for none.
    benefit_description: str = ""
    benefit_value_minor: int = 0


def record_offline_gift(*, gift: OfflineGiftRequest, tell_fundraisers: bool = False) -> Donation:
    """One gift, saved by gift_status.move itself: a dozen queries, on any
    database (the SQLite demo's too, which record_offline_gifts' batched
    statements are not written for). For a handful of gifts; a file of
    thousands goes through record_offline_gifts.

    The page's owner and captains are emailed about it only with
    `tell_fundraisers`: finance chooses, since a file of past gifts would
    otherwise send a burst of stale notices."""
    with transaction.atomic():
        donation = _new_offline_donation(gift)
        donation.donor = donors.donor_for(details=gift.donor)
        donation.organization = organizations.organization_for(details=gift.organization)
        gift_status.move(
            donation,
            Donation.Status.SUCCEEDED,
            succeeded_at=_received_at(gift.received_on),
            wants_receipt=gift.wants_receipt,
            wants_notices=tell_fundraisers,
        )
    return donation


def record_offline_gifts(
    *,
    gifts: Sequence[OfflineGiftRequest],
    tell_fundraisers: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> list[Donation]:
    """Record every gift in one transaction, all or none; returns the
    donations in the order of `gifts`, saved. `on_progress(n)` is told how
    many are recorded so far (visible only to this process until commit);
    `tell_fundraisers` as for record_offline_gift.

    Each gift ends as if it had taken gift_status.move from nothing to
    succeeded (the same counters, donor details and receipt), but the lot
    is written with a few statements per thousand gifts, not a dozen
    queries per gift."""
    # Oldest first, so receipt numbers follow the dates received and donors
    # end with the details of their latest gift.
    order = sorted(range(len(gifts)), key=lambda index: gifts[index].received_on)
    oldest_first = [gifts[index] for index in order]
    with transaction.atomic():
        donor_of = _donors_of(oldest_first)
        organization_of = organizations.organizations_by_name(
            [gift.organization for gift in oldest_first if gift.organization]
        )
        donations = [
            _paid_donation(
                gift,
                donor_of[gift.donor.email.lower()],
                organization_of[gift.organization.name.lower()] if gift.organization else None,
            )
            for gift in oldest_first
        ]
        # Lock order: the counters, taken up front for the whole batch
        # (no other transaction can hold a row not inserted yet), then the
        # donors, then the receipt sequences.
        totals.lock_counters(donations)
        totals.record_new_gifts(donations)
        for start in range(0, len(donations), WRITE_BATCH):
            Donation.objects.bulk_create(donations[start : start + WRITE_BATCH])
            allocations.record_parts_of_many(donations[start : start + WRITE_BATCH])
            if on_progress is not None:
                on_progress(min(start + WRITE_BATCH, len(donations)))
        effects.apply_effects_of_new_paid_gifts(
            donations,
            receipted=[donation for donation, gift in zip(donations, oldest_first, strict=True) if gift.wants_receipt],
            wants_notices=tell_fundraisers,
        )
    recorded: list[Donation | None] = [None] * len(gifts)
    for index, donation in zip(order, donations, strict=True):
        recorded[index] = donation
    return recorded


# Gifts inserted by one statement.
WRITE_BATCH = 1000


def _donors_of(oldest_first: list[OfflineGiftRequest]) -> dict[str, Donor]:
    """Every donor of the batch by email, the new ones inserted in one
    statement with the details of their first gift. Left to
    donors.donor_for, each new donor would be a savepoint, and thousands
    of subtransactions in one long transaction slow every other session's
    snapshots on PostgreSQL. Existing donors are left alone here; each
    gift, recorded as succeeded (finance received it), then applies its
    details to its donor exactly as a succeeded online gift does
    (donations.services.effects)."""
    first_seen: dict[str, DonorDetails] = {}
    for gift in oldest_first:
        first_seen.setdefault(gift.donor.email.lower(), gift.donor)
    Donor.objects.bulk_create(
        [Donor(**{**asdict(details), "email": email}) for email, details in first_seen.items()],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return donors.donors_by_email(set(first_seen))


def _new_offline_donation(gift: OfflineGiftRequest) -> Donation:
    return new_donation(
        like=gift,
        source=Donation.Source.OFFLINE_IMPORT,
        message=gift.message,
        benefit_description=gift.benefit_description,
        benefit_value_minor=gift.benefit_value_minor,
    )


def _paid_donation(gift: OfflineGiftRequest, donor: Donor, organization) -> Donation:
    donation = _new_offline_donation(gift)
    donation.donor, donation.organization = donor, organization
    donation.status = Donation.Status.SUCCEEDED
    donation.succeeded_at = _received_at(gift.received_on)
    return donation


def _received_at(received_on: date) -> datetime:
    return timezone.make_aware(datetime.combine(received_on, RECEIVED_AT))
