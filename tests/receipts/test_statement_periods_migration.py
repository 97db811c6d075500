"""Statements issued before statement years were each the default
entity's, for a calendar year: the migration names each by its year."""

import pytest

from tests.migrating import migrate

BEFORE = [("receipts", "0010_statements_per_organization")]
AFTER = [("receipts", "0012_statements_per_entity_and_period")]


@pytest.mark.django_db(transaction=True)
def test_existing_statements_are_named_by_their_calendar_year_for_the_default_entity(latest_schema_afterwards):
    old = migrate(BEFORE)
    donor = old.get_model("donations", "Donor").objects.create(email="ada@example.org", first_name="Ada")
    old.get_model("receipts", "YearEndStatement").objects.create(donor=donor, year=2025)

    new = migrate(AFTER)

    statement = new.get_model("receipts", "YearEndStatement").objects.get()
    assert (statement.year, statement.period, statement.entity_id, statement.replaces_id) == (2025, "2025", None, None)
