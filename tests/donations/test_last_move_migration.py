"""Gifts moved before the gift kept a copy of its last move: the
migration gives each its last move and count, which the export reads."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.migrating import migrate

BEFORE = [("donations", "0014_gifts_given_as_organizations")]
AFTER = [("donations", "0016_copy_last_moves_onto_gifts")]


@pytest.mark.django_db(transaction=True)
def test_gifts_moved_before_get_their_last_move_and_count(latest_schema_afterwards):
    old = migrate(BEFORE)
    rescue = old.get_model("campaigns", "Fund").objects.create(slug="rescue", name="Rescue")
    aftercare = old.get_model("campaigns", "Fund").objects.create(slug="aftercare", name="Aftercare")
    campaign = old.get_model("campaigns", "Campaign").objects.create(slug="c", title="Dressember", goal_minor=1)
    donor = old.get_model("donations", "Donor").objects.create(email="ada@example.org")
    Donation = old.get_model("donations", "Donation")
    moved, untouched = (
        Donation.objects.create(
            donor=donor,
            campaign=campaign,
            fund=rescue,
            amount_minor=5000,
            currency="usd",
            status="succeeded",
            succeeded_at=timezone.now(),
        )
        for _ in range(2)
    )
    now = timezone.now()
    GiftMove = old.get_model("donations", "GiftMove")
    for when, (before, after) in ((now - timedelta(days=1), (rescue, aftercare)), (now, (aftercare, rescue))):
        GiftMove.objects.create(
            donation=moved, from_fund=before, to_fund=after, kept_minor=5000, currency="usd",
            reason="r", channel="admin", actor="fiona@example.org", moved_at=when,
        )  # fmt: skip

    new = migrate(AFTER)

    gifts = new.get_model("donations", "Donation").objects
    last = new.get_model("donations", "GiftMove").objects.get(moved_at=now)
    assert (gifts.get(pk=moved.pk).last_move_id, gifts.get(pk=moved.pk).move_count) == (last.pk, 2)
    assert (gifts.get(pk=untouched.pk).last_move_id, gifts.get(pk=untouched.pk).move_count) == (None, 0)
