"""Many donors at once, for impact update tests: rows written straight to
the ledger (a thousand gifts through the API would only be slower)."""

from django.utils import timezone

from donations.models import Donation, Donor
from donations.services.allocations import record_parts_of_many


def donors_who_gave(count: int, *, campaign, fund, prefix: str = "donor") -> list[Donor]:
    donors = Donor.objects.bulk_create(
        Donor(email=f"{prefix}{n}@example.org", first_name="Donor", last_name=str(n)) for n in range(count)
    )
    gifts = Donation.objects.bulk_create(
        Donation(
            donor=donor,
            campaign=campaign,
            fund=fund,
            amount_minor=2500,
            currency="usd",
            status=Donation.Status.SUCCEEDED,
            succeeded_at=timezone.now(),
        )
        for donor in donors
    )
    record_parts_of_many(gifts)
    return donors
