"""Receipts issued before PDFs and corrections get their amount and their
own download token when the database is migrated."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("receipts", "0001_initial")]
AFTER = [("receipts", "0004_receipt_amount_and_token_required")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_receipts_get_their_gifts_amount_and_distinct_tokens(campaign, funds):
    apps = migrate(BEFORE)
    Donation, Donor, Receipt = (
        apps.get_model(app, model) for app, model in (("donations", "Donation"), ("donations", "Donor"),
                                                      ("receipts", "Receipt"))
    )
    donor = Donor.objects.create(email="ada@example.org", first_name="Ada", last_name="Lee")
    for n in (1, 2):
        gift = Donation.objects.create(donor=donor, campaign_id=campaign.pk, fund_id=funds["rescue"].pk,
                                       amount_minor=5000, fee_covered_minor=n, currency="usd")
        Receipt.objects.create(donation=gift, year=2026, sequence=n, number=f"2026-00000{n}")

    apps = migrate(AFTER)

    rows = list(apps.get_model("receipts", "Receipt").objects.order_by("sequence")
                .values_list("amount_minor", "currency", "public_token"))
    assert [(amount, currency) for amount, currency, _ in rows] == [(5001, "usd"), (5002, "usd")]
    assert len({token for _, _, token in rows}) == 2 and all(len(token) >= 43 for _, _, token in rows)
