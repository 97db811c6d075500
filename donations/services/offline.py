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
from donations.services import donors, gift_status, totals
from donations.services.gifts import DonorDetails, GiftTarget, new_donation

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


def record_offline_gifts(
    *, gifts: Sequence[OfflineGiftRequest], on_progress: Callable[[int], None] | None = None
) -> list[Donation]:
    """Record every gift in one transaction, all or none; returns the
    donations in the order of `gifts`. `on_progress(n)` is told how many
    are recorded so far (visible only to this process until commit)."""
    # Oldest first, so receipt numbers follow the dates received and every
    # import takes the receipt sequences' locks in the same (year) order.
    order = sorted(range(len(gifts)), key=lambda index: gifts[index].received_on)
    recorded: list[Donation | None] = [None] * len(gifts)
    with transaction.atomic():
        _create_new_donors([gifts[index] for index in order])
        totals.lock_counters(_unsaved_donation(gift) for gift in gifts)
        for done, index in enumerate(order, start=1):
            recorded[index] = _record(gifts[index])
            if on_progress is not None:
                on_progress(done)
    return recorded


def _create_new_donors(oldest_first: list[OfflineGiftRequest]) -> None:
    """Insert the donors this batch introduces in one statement, with the
    details of their first gift. Left to donors.donor_for, each new donor
    would be a savepoint, and thousands of subtransactions in one long
    transaction slow every other session's snapshots on PostgreSQL.
    Existing donors are left alone here; each gift, recorded as succeeded
    (finance received it), then applies its details to its donor exactly
    as a succeeded online gift does (donations.services.effects)."""
    first_seen: dict[str, DonorDetails] = {}
    for gift in oldest_first:
        first_seen.setdefault(gift.donor.email.lower(), gift.donor)
    Donor.objects.bulk_create(
        [Donor(**{**asdict(details), "email": email}) for email, details in first_seen.items()],
        ignore_conflicts=True,
        batch_size=1000,
    )


def _unsaved_donation(gift: OfflineGiftRequest) -> Donation:
    return new_donation(like=gift, source=Donation.Source.OFFLINE_IMPORT, message=gift.message)


def _record(gift: OfflineGiftRequest) -> Donation:
    # Lock order: the new Donation, then its counters (already held), then
    # the receipt sequence.
    donation = _unsaved_donation(gift)
    donation.donor = donors.donor_for(details=gift.donor)
    gift_status.move(
        donation,
        Donation.Status.SUCCEEDED,
        succeeded_at=timezone.make_aware(datetime.combine(gift.received_on, RECEIVED_AT)),
        wants_receipt=gift.wants_receipt,
    )
    return donation
