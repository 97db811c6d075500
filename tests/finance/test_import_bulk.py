"""The import's bulk write (donations.services.offline.record_offline_gifts)
against the gift-by-gift path it replaced: the same ledger, counters,
donors and receipts, in a number of queries that does not grow with the
number of rows."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from donations import selectors
from donations.models import Donation, Donor, GivingTotal
from donations.services import offline
from finance.imports.reader import read_import_file
from finance.imports.rows import check_rows
from receipts.models import CampaignBenefit, Receipt
from tests.finance.import_files import csv_bytes, gift_row

pytestmark = pytest.mark.django_db


def gifts_of(rows: list[dict]) -> list[offline.OfflineGiftRequest]:
    result = check_rows(read_import_file(csv_bytes(rows)).text)
    assert not result.errors, result.errors
    return [row.gift for row in result.rows]


def record_gift_by_gift(gifts) -> None:
    """What the import did before the bulk write, and the demo's seed does:
    each gift, oldest first, from nothing to succeeded through
    gift_status.move (offline.record_offline_gift)."""
    with transaction.atomic():
        for gift in sorted(gifts, key=lambda gift: gift.received_on):
            offline.record_offline_gift(gift=gift)


def state() -> dict:
    """Everything a gift's recording touches, without ids or times."""
    detail_fields = ["email", *Donor.DETAIL_FIELDS]
    return {
        "counters": sorted(
            GivingTotal.objects.values_list(
                "campaign_id", "team_id", "fundraiser_id", "raised_minor", "gift_count", "donor_count"
            ),
            key=repr,
        ),
        "donors": sorted(Donor.objects.values_list(*detail_fields)),
        "gifts": sorted(
            Donation.objects.values_list(
                "donor__email", "amount_minor", "status", "succeeded_at", "team_id", "fundraiser_id", "message"
            ),
            key=repr,
        ),
        "receipts": sorted(
            (r.number, r.donation.donor.email, r.amount_minor, r.benefit_description, r.benefit_value_minor, r.status)
            for r in Receipt.objects.select_related("donation__donor")
        ),
        "receipt_records": sorted(
            repr({key: value for key, value in r.record.items() if key not in ("issued_at", "issued_date")})
            for r in Receipt.objects.all()
        ),
    }


def a_mixed_file(fundraiser) -> list[dict]:
    team = fundraiser.team.slug
    return [
        # A donor on record giving again, blanks that must not erase.
        gift_row(1, email="mae@example.org", first_name="Mae", address_line1="", city="", date="2025-03-01"),
        gift_row(2, email="mae@example.org", fundraiser="", team=team, first_name="May", date="2025-12-31"),
        # A new donor three times, across the campaign, team and fundraiser.
        gift_row(3, email="new@example.org", fundraiser="", date="2026-01-02"),
        gift_row(4, email="NEW@example.org", fundraiser="", team=team, city="Shelbyville", date="2026-01-03"),
        gift_row(5, email="new@example.org", receipt="no", date="2026-01-01"),
        # Others, one without a receipt, one on the campaign alone.
        *(gift_row(n, fundraiser="" if n % 3 else "ada-lee", receipt="no" if n == 8 else "yes") for n in range(6, 12)),
    ]


def test_the_bulk_write_leaves_the_ledger_counters_donors_and_receipts_as_gift_by_gift_did(fundraiser):
    CampaignBenefit.objects.create(campaign=fundraiser.campaign, description="A gala dinner", value_minor=1000)
    Donor.objects.create(email="mae@example.org", first_name="Mae", last_name="Jemison", city="Houston")
    # Mae already gave to the team: she is not a new donor there.
    record_gift_by_gift(gifts_of([gift_row(99, email="mae@example.org", fundraiser="", team=fundraiser.team.slug)]))
    gifts = gifts_of(a_mixed_file(fundraiser))

    with transaction.atomic():
        record_gift_by_gift(gifts)
        gift_by_gift = state()
        transaction.set_rollback(True)
    recorded = offline.record_offline_gifts(gifts=gifts)

    assert state() == gift_by_gift
    assert [donation.amount_minor for donation in recorded] == [gift.amount_minor for gift in gifts]
    assert not selectors.counters_out_of_step()
    assert Receipt.objects.count() == sum(gift.wants_receipt for gift in gifts) + 1


def test_the_bulk_write_queues_one_send_for_each_receipt(fundraiser, django_capture_on_commit_callbacks, mailoutbox):
    gifts = gifts_of(a_mixed_file(fundraiser))

    with django_capture_on_commit_callbacks(execute=True):
        offline.record_offline_gifts(gifts=gifts)

    receipted = sorted(Receipt.objects.values_list("donation__donor__email", flat=True))
    assert sorted(message.to[0] for message in mailoutbox) == receipted
    assert len(receipted) == sum(gift.wants_receipt for gift in gifts)
    assert set(Receipt.objects.values_list("status", flat=True)) == {Receipt.Status.SENT}


def queries_to_record(rows: int) -> int:
    # Every fifth row by a donor who gave before in the file.
    gifts = gifts_of(
        [gift_row(n, email=f"donor{n - n % 5 if n % 5 == 1 else n}@example.org") for n in range(1, rows + 1)]
    )
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        offline.record_offline_gifts(gifts=gifts)
        transaction.set_rollback(True)
    return len(queries)


def test_recording_two_hundred_gifts_takes_as_many_queries_as_ten(fundraiser):
    assert queries_to_record(200) == queries_to_record(10)
