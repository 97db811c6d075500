"""Gifts for the export tests, and reading an export back.

Gifts whose every column a test sets (dates, fees, odd names) are written
straight to the ledger with `ledger_gift`; gifts whose receipts and
refunds matter go through the API and donations' refund service (see the
test modules)."""

import csv
import io
import itertools
from datetime import UTC, datetime

from django.contrib.auth.models import Group

from campaigns.models import Fund
from donations.models import Donation, Donor
from finance.exports import HEADERS, GiftExport, GiftFilters, csv_line
from finance.services.permissions import FINANCE_GROUP
from tests.factories import UserFactory

_numbers = itertools.count(1)


def ledger_gift(campaign, *, donor: dict | None = None, at=None, **fields) -> Donation:
    """A gift row as the services leave it: succeeded (with its time) unless
    told otherwise. `donor` sets the donor's fields; `at` sets created_at
    and, for a succeeded gift, succeeded_at."""
    number = next(_numbers)
    donor_fields = {"first_name": "Ada", "last_name": "Lee", "email": f"donor{number}@example.org", **(donor or {})}
    donor, _ = Donor.objects.get_or_create(email=donor_fields.pop("email"), defaults=donor_fields)
    at = at or datetime(2026, 12, 1, 10, 15, tzinfo=UTC)
    values = {
        "donor": donor,
        "campaign": campaign,
        "fund": Fund.objects.get(slug="general"),
        "amount_minor": 5000,
        "currency": "usd",
        "status": Donation.Status.SUCCEEDED,
        "stripe_fee_minor": 175,
        "payment_intent_id": f"pi_test_{number}",
        "created_at": at,
        **fields,
    }
    if values["status"] != Donation.Status.SUCCEEDED:
        values.setdefault("succeeded_at", None)
    else:
        values.setdefault("succeeded_at", at)
    return Donation.objects.create(**values)


def csv_bytes(filters: GiftFilters | None = None) -> bytes:
    return b"".join(GiftExport(filters or GiftFilters()).csv_chunks())


def python_csv_bytes(filters: GiftFilters | None = None) -> bytes:
    """The Python writer's bytes, with the header, on any database."""
    export = GiftExport(filters or GiftFilters())
    return csv_line(HEADERS) + b"".join(export.python_csv_chunks())


def read_csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode(), newline="")))


def exported_rows(filters: GiftFilters | None = None) -> list[dict]:
    return read_csv(csv_bytes(filters))


def finance_user(email="fin@example.org"):
    user = UserFactory(email=email, first_name="Fin", last_name="Ance")
    user.groups.add(Group.objects.get(name=FINANCE_GROUP))
    return user
