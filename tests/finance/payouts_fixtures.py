"""Paid gifts for the payout tests."""


# --- The ledger's side ----------------------------------------------------


def paid_gifts(campaign, count: int, *, amount: int = 5000) -> list:
    """Succeeded gifts with Stripe ids, written straight to the ledger: the
    pages' tests need many, and how a gift is paid is tested elsewhere."""
    from django.utils import timezone

    from campaigns.models import Fund
    from donations.models import Donation, Donor

    donor, _ = Donor.objects.get_or_create(
        email="grace@example.org", defaults={"first_name": "Grace", "last_name": "Hopper"}
    )
    fund = Fund.objects.get(slug="general")
    start = Donation.objects.count()
    return Donation.objects.bulk_create(
        Donation(
            donor=donor,
            campaign=campaign,
            fund=fund,
            amount_minor=amount,
            currency="usd",
            status="succeeded",
            succeeded_at=timezone.now(),
            charge_id=f"ch_test_{start + n}",
            payment_intent_id=f"pi_test_{start + n}",
        )
        for n in range(count)
    )
