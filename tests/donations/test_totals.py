"""The counters always equal the ledger, and reconcile_totals proves it."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from donations.models import GivingTotal
from donations.selectors import counter_tallies, counters_out_of_step, ledger_tallies
from tests.factories import DonationFactory, DonorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed_gifts(fundraiser):
    """Gifts from three donors, one giving twice, one declined, across the
    campaign, a team and a fundraiser, paid through the ledger's services."""
    team = fundraiser.team
    ada, bo, cy = (DonorFactory(email=f"{name}@example.org") for name in ("ada", "bo", "cy"))
    paid = {"succeeded": True, "through_services": True}
    DonationFactory(**paid, amount_minor=5000, campaign=fundraiser.campaign, donor=ada)
    DonationFactory(**paid, amount_minor=2500, team=team, donor=bo)
    DonationFactory(**paid, amount_minor=1000, fundraiser=fundraiser, donor=bo)
    DonationFactory(**paid, amount_minor=1234, fundraiser=fundraiser, donor=cy, cover_fees=True)
    DonationFactory(declined=True, amount_minor=9999, team=team, donor=ada)
    return fundraiser


def test_counters_equal_the_sum_of_succeeded_gifts(mixed_gifts):
    campaign_id, team_id, fundraiser_id = mixed_gifts.campaign_id, mixed_gifts.team_id, mixed_gifts.pk
    tallies = counter_tallies(campaign_id=campaign_id)

    covered = 1234 + 68  # (1234 + 30) / 0.971 = 1301.7 -> 1302
    campaign = tallies[(campaign_id, None, None)]
    assert (campaign.raised_minor, campaign.gift_count, campaign.donor_count) == (5000 + 2500 + 1000 + covered, 4, 3)
    team = tallies[(campaign_id, team_id, None)]
    assert (team.raised_minor, team.gift_count, team.donor_count) == (2500 + 1000 + covered, 3, 2)
    fundraiser = tallies[(campaign_id, None, fundraiser_id)]
    assert (fundraiser.raised_minor, fundraiser.gift_count, fundraiser.donor_count) == (1000 + covered, 2, 2)
    assert tallies == ledger_tallies(campaign_id=campaign_id)


def test_reconcile_totals_passes_when_counters_match(mixed_gifts, capsys):
    call_command("reconcile_totals")

    assert "match the ledger" in capsys.readouterr().out


def test_reconcile_totals_reports_a_drifted_counter_and_exits_1(mixed_gifts, capsys):
    GivingTotal.objects.filter(team_id=mixed_gifts.team_id).update(raised_minor=1)

    with pytest.raises(CommandError) as failure:
        call_command("reconcile_totals")

    assert failure.value.returncode == 1
    assert "1 counter(s) differ" in str(failure.value)
    assert "counter raised=1" in capsys.readouterr().out


def test_reconcile_totals_fix_sets_counters_to_the_ledger(mixed_gifts):
    GivingTotal.objects.filter(fundraiser_id=mixed_gifts.pk).delete()
    GivingTotal.objects.filter(team_id=mixed_gifts.team_id).update(donor_count=99)

    call_command("reconcile_totals", "--fix")

    assert counters_out_of_step() == {}


def test_reconcile_totals_refuses_an_unknown_campaign(db):
    with pytest.raises(CommandError, match="no campaign with slug 'nope'"):
        call_command("reconcile_totals", "--campaign", "nope")


def test_a_fundraiser_gift_locks_and_moves_its_three_counters_in_one_statement_each(mixed_gifts):
    with CaptureQueriesContext(connection) as queries:
        DonationFactory(succeeded=True, through_services=True, amount_minor=700, fundraiser=mixed_gifts)

    on_counters = [query["sql"] for query in queries if 'FROM "donations_givingtotal"' in query["sql"]]
    assert len(on_counters) == 1
    assert on_counters[0].endswith("FOR UPDATE")
    assert "ORDER BY CASE WHEN" in on_counters[0]  # campaigns, teams, then fundraisers: the lock order
    assert len([query for query in queries if query["sql"].startswith('UPDATE "donations_givingtotal"')]) == 1
    campaign_id = mixed_gifts.campaign_id
    assert counter_tallies(campaign_id=campaign_id) == ledger_tallies(campaign_id=campaign_id)


def test_the_first_gift_to_a_fundraiser_creates_and_counts_its_counters(fundraiser):
    DonationFactory(succeeded=True, through_services=True, amount_minor=700, fundraiser=fundraiser)

    tallies = counter_tallies(campaign_id=fundraiser.campaign_id)
    assert {key: (tally.raised_minor, tally.gift_count, tally.donor_count) for key, tally in tallies.items()} == {
        (fundraiser.campaign_id, None, None): (700, 1, 1),
        (fundraiser.campaign_id, fundraiser.team_id, None): (700, 1, 1),
        (fundraiser.campaign_id, None, fundraiser.pk): (700, 1, 1),
    }
