"""Ledger rows for the finance overview and admin tests, written straight
to the database: these tests are about reading the ledger, not about how
gifts reach it (tests/donations covers that)."""

import itertools
from datetime import datetime

from django.contrib.auth.models import Group
from django.utils import timezone

from donations.models import Donation, Donor
from finance.services.permissions import FINANCE_GROUP
from tests import factories

_numbers = itertools.count(1)


def donor(**fields) -> Donor:
    number = next(_numbers)
    values = {"email": f"donor{number}@example.org", "first_name": "Ada", "last_name": f"Lee{number}", **fields}
    return Donor.objects.create(**values)


def gift(
    *,
    campaign,
    fund,
    amount_minor: int,
    paid_at: datetime | None,
    currency: str = "usd",
    status: str = Donation.Status.SUCCEEDED,
    **fields,
) -> Donation:
    """A gift as the ledger holds it once settled; `paid_at` is its
    succeeded_at (None for gifts never paid)."""
    fields.setdefault("donor", donor())
    return Donation.objects.create(
        campaign=campaign,
        fund=fund,
        amount_minor=amount_minor,
        currency=currency,
        status=status,
        succeeded_at=paid_at,
        **fields,
    )


def at(*args) -> datetime:
    """An aware datetime in the site's time zone."""
    return timezone.make_aware(datetime(*args))


def finance_staff(**fields):
    user = factories.UserFactory(is_staff=True, **fields)
    user.groups.add(Group.objects.get(name=FINANCE_GROUP))
    return user
