"""Receipts issued before records and hashed tokens: the migration keeps
their download links working and freezes them as they read that day."""

import pytest
from django.utils import timezone

from tests.migrating import migrate

BEFORE = [("donations", "0003_idempotency_key_tied_to_request"), ("receipts", "0001_initial")]
AFTER = [("donations", "0004_gift_donor_details"), ("receipts", "0002_receipts_frozen_at_issue")]


@pytest.mark.django_db(transaction=True)
def test_existing_receipts_keep_their_links_and_are_frozen_with_their_donors_details(
    organisation, client, latest_schema_afterwards
):
    old = migrate(BEFORE)
    fund = old.get_model("campaigns", "Fund").objects.create(slug="rescue", name="Rescue")
    campaign = old.get_model("campaigns", "Campaign").objects.create(slug="c", title="Dressember", goal_minor=1)
    donor = old.get_model("donations", "Donor").objects.create(
        email="ada@example.org", first_name="Ada", last_name="Lee", city="Springfield", stripe_customer_id="cus_ada"
    )
    gift = old.get_model("donations", "Donation").objects.create(
        donor=donor,
        campaign=campaign,
        fund=fund,
        amount_minor=5000,
        currency="usd",
        status="succeeded",
        succeeded_at=timezone.now(),
    )
    old.get_model("donations", "RecurringPlan").objects.create(
        donor=donor, campaign=campaign, fund=fund, amount_minor=5000, currency="usd", stripe_subscription_id="sub_1"
    )
    old.get_model("receipts", "Receipt").objects.create(
        year=2026,
        sequence=1,
        number="2026-000001",
        donation=gift,
        amount_minor=5000,
        currency="usd",
        public_token="a-link-already-in-a-donors-inbox",
    )

    new = migrate(AFTER)

    migrated_gift = new.get_model("donations", "Donation").objects.get()
    assert (migrated_gift.donor_first_name, migrated_gift.donor_city) == ("Ada", "Springfield")
    assert new.get_model("donations", "RecurringPlan").objects.get().stripe_customer_id == "cus_ada"
    record = new.get_model("receipts", "Receipt").objects.get().record
    assert (record["donor_name"], record["org_name"], record["amount"]) == ("Ada Lee", "Freedom Now", "$50.00")
    migrate()
    response = client.get("/receipts/a-link-already-in-a-donors-inbox/pdf/")
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
