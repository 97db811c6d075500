"""Finance moves a gift to another fundraiser, team or fund: the counters
move with it (exactly the old place's and the new's), the audit keeps
who, when, why, from where and to where, and a refused move changes
nothing."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from donations.models import Donation, GiftMove
from donations.selectors import counter_tallies, counters_out_of_step
from donations.services import moves
from finance.selectors.overview import totals_by_fund
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(campaign, team, fundraiser):
    """Ada's page on Freedom Threads, Bo's page on another team, and a
    team of another campaign with a page of its own."""
    other_team = factories.TeamFactory(campaign=campaign, slug="thread-bearers", name="Thread Bearers")
    bo = factories.FundraiserFactory(campaign=campaign, team=other_team, slug="bo-chen", name="Bo's page")
    elsewhere = factories.CampaignFactory(slug="elsewhere-2026", title="Elsewhere")
    return {
        "ada": fundraiser,
        "bo": bo,
        "freedom": team,
        "bearers": other_team,
        "far_team": factories.TeamFactory(campaign=elsewhere, slug="far", name="Far"),
        "far_page": factories.FundraiserFactory(campaign=elsewhere, slug="far-page", name="Far page"),
    }


def snapshot(campaign):
    return {
        key: (t.raised_minor, t.gift_count, t.donor_count)
        for key, t in counter_tallies(campaign_id=campaign.pk).items()
    }


def changed(before: dict, after: dict) -> dict:
    return {
        key: (before.get(key), after.get(key))
        for key in before.keys() | after.keys()
        if before.get(key) != after.get(key)
    }


def move(gift, finance_user, **to):
    return moves.move_gift(
        donation_id=gift.pk, reason=to.pop("reason", "Given at Bo's event"), moved_by=finance_user, **to
    )


def test_a_moved_gift_changes_exactly_two_sets_of_totals_and_leaves_an_audit_entry(
    make_gift, pages, campaign, finance_user
):
    gift = make_gift(fundraiser=pages["ada"], amount_minor=5000)
    make_gift(fundraiser=pages["bo"], amount_minor=700, donor__email="cy@example.org")
    before = snapshot(campaign)

    record = move(gift, finance_user, to_fundraiser=pages["bo"], reason="  Given at Bo's event  ")

    diff = changed(before, snapshot(campaign))
    # The old set (Ada's page and her team) and the new (Bo's page and his);
    # the campaign's counter is not among them.
    assert diff == {
        (campaign.pk, None, pages["ada"].pk): ((5000, 1, 1), (0, 0, 0)),
        (campaign.pk, pages["freedom"].pk, None): ((5000, 1, 1), (0, 0, 0)),
        (campaign.pk, None, pages["bo"].pk): ((700, 1, 1), (5700, 2, 2)),
        (campaign.pk, pages["bearers"].pk, None): ((700, 1, 1), (5700, 2, 2)),
    }
    assert counters_out_of_step(campaign_id=campaign.pk) == {}
    gift.refresh_from_db()
    assert (gift.fundraiser, gift.team) == (pages["bo"], pages["bearers"])
    assert GiftMove.objects.get() == record
    assert (record.from_fundraiser, record.from_team, record.to_fundraiser, record.to_team) == (
        pages["ada"],
        pages["freedom"],
        pages["bo"],
        pages["bearers"],
    )
    assert (record.reason, record.moved_by, record.actor, record.kept_minor) == (
        "Given at Bo's event",
        finance_user,
        "fiona@example.org",
        5000,
    )
    assert record.moved_at is not None


def test_a_page_move_leaves_the_receipt_as_it_is(make_gift, pages, finance_user):
    gift = make_gift(fundraiser=pages["ada"])
    number = gift.receipt_number

    record = move(gift, finance_user, to_fundraiser=pages["bo"])

    assert gift.receipts.count() == 1
    assert record.receipt_before == record.receipt_after == number


def test_moving_to_the_team_alone_takes_the_gift_off_the_page(make_gift, pages, campaign, finance_user):
    gift = make_gift(fundraiser=pages["ada"], amount_minor=4000)
    before = snapshot(campaign)

    move(gift, finance_user, to_fundraiser=None)

    diff = changed(before, snapshot(campaign))
    assert diff == {(campaign.pk, None, pages["ada"].pk): ((4000, 1, 1), (0, 0, 0))}
    gift.refresh_from_db()
    assert (gift.fundraiser, gift.team) == (None, pages["freedom"])


def test_a_donor_with_another_gift_on_the_page_is_still_counted_there(make_gift, pages, campaign, finance_user):
    gift = make_gift(fundraiser=pages["ada"], amount_minor=1000)
    make_gift(fundraiser=pages["ada"], amount_minor=2000)  # the same donor, Ada

    move(gift, finance_user, to_fundraiser=pages["bo"])

    tallies = snapshot(campaign)
    assert tallies[(campaign.pk, None, pages["ada"].pk)] == (2000, 1, 1)
    assert tallies[(campaign.pk, None, pages["bo"].pk)] == (1000, 1, 1)


def test_moving_the_fund_moves_the_fund_totals_and_no_page_counter(make_gift, campaign, funds, finance_user):
    gift = make_gift(fund="aftercare", amount_minor=3000)
    before = snapshot(campaign)
    day = gift.succeeded_at.date()

    move(gift, finance_user, to_fund=funds["rescue"])

    assert changed(before, snapshot(campaign)) == {}
    by_fund = {line.key: line.figures.gross_minor for line in totals_by_fund(start=day, end=day)}
    assert by_fund == {"Rescue": 3000}


def test_a_partly_refunded_gift_moves_what_it_kept(pages, campaign, funds, finance_user):
    gift = factories.DonationFactory(
        status="partially_refunded",
        refunded_minor=1500,
        amount_minor=5000,
        through_services=True,
        fundraiser=pages["ada"],
        fund=funds["aftercare"],
    )

    record = move(gift, finance_user, to_fundraiser=pages["bo"])

    tallies = snapshot(campaign)
    assert tallies[(campaign.pk, None, pages["bo"].pk)] == (3500, 1, 1)
    assert tallies[(campaign.pk, None, pages["ada"].pk)] == (0, 0, 0)
    assert tallies[(campaign.pk, None, None)] == (3500, 1, 1)
    assert record.kept_minor == 3500


def test_reconcile_totals_passes_after_moves(make_gift, pages, funds, finance_user, capsys):
    first = make_gift(fundraiser=pages["ada"], amount_minor=1000)
    second = make_gift(team=pages["freedom"], amount_minor=2000, donor__email="bo@example.org")
    move(first, finance_user, to_fundraiser=pages["bo"])
    move(second, finance_user, to_team=pages["bearers"], to_fund=funds["rescue"])
    move(first, finance_user, to_fundraiser=None, to_team=None)

    call_command("reconcile_totals")

    assert "match the ledger" in capsys.readouterr().out
    assert GiftMove.objects.count() == 3


@pytest.mark.parametrize(
    ("gift_kind", "to", "message"),
    [
        ("paid", {"to_fundraiser": "far_page"}, "not in this gift's campaign"),
        ("paid", {"to_team": "far_team"}, "not in this gift's campaign"),
        ("paid", {"to_team": "bearers"}, "not on the team"),
        ("paid", {"to_fundraiser": "ada"}, "already counts there"),
        ("paid", {"to_fundraiser": "bo", "reason": "   "}, "Give a reason"),
        ("paid", {"to_fundraiser": "bo", "reason": "x" * 501}, "too long"),
        ("failed", {"to_fundraiser": "bo"}, "only a paid gift can be moved"),
        ("pending", {"to_fundraiser": "bo"}, "only a paid gift can be moved"),
        ("refunded", {"to_fundraiser": "bo"}, "nothing to move"),
    ],
)
def test_a_refused_move_changes_nothing(make_gift, pages, campaign, finance_user, gift_kind, to, message):
    if gift_kind == "paid":
        gift = make_gift(fundraiser=pages["ada"])
    elif gift_kind == "refunded":
        gift = factories.DonationFactory(refunded=True, through_services=True, fundraiser=pages["ada"])
    else:
        gift = factories.DonationFactory(
            fundraiser=pages["ada"], **({"declined": True} if gift_kind == "failed" else {})
        )
    to = {name: pages[value] if name != "reason" else value for name, value in to.items()}
    before, receipts = snapshot(campaign), list(gift.receipts.values_list("number", "status"))

    with pytest.raises(moves.MoveRefused, match=message):
        move(gift, finance_user, **to)

    assert snapshot(campaign) == before
    assert list(gift.receipts.values_list("number", "status")) == receipts
    assert not GiftMove.objects.exists()
    assert Donation.objects.get(pk=gift.pk).fundraiser == pages["ada"]


def test_a_fund_the_campaign_does_not_offer_is_refused(make_gift, campaign, funds, finance_user):
    campaign.funds.set([funds["aftercare"], funds["general"]])
    gift = make_gift(fund="aftercare")

    with pytest.raises(moves.MoveRefused, match="not one Dressember 2026 offers"):
        move(gift, finance_user, to_fund=funds["rescue"])

    assert Donation.objects.get(pk=gift.pk).fund == funds["aftercare"]


def test_the_command_moves_a_gift_and_names_the_corrected_receipt(make_gift, pages, funds, capsys):
    gift = make_gift(fundraiser=pages["ada"], fund="aftercare")
    old_number = gift.receipt_number

    call_command("move_gift", str(gift.public_id), "--fundraiser", "bo-chen", "--fund", "rescue", "--reason", "Asked")

    gift.refresh_from_db()
    assert (gift.fundraiser, gift.team, gift.fund) == (pages["bo"], pages["bearers"], funds["rescue"])
    assert f"(replaces {old_number})" in capsys.readouterr().out
    record = GiftMove.objects.get()
    assert record.channel == "command" and record.actor.endswith("(command line)")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--fundraiser", "far-page"], "no fundraiser 'far-page' in dressember-2026"),
        (["--fund", "nowhere"], "offers no fund 'nowhere'"),
        (["--fundraiser", "ada-lee"], "already counts there"),
        ([], "say where to"),
    ],
)
def test_the_command_exits_1_with_one_line_on_bad_input(make_gift, pages, arguments, message):
    gift = make_gift(fundraiser=pages["ada"])

    with pytest.raises(CommandError, match=message) as failure:
        call_command("move_gift", str(gift.public_id), *arguments, "--reason", "Asked")

    assert failure.value.returncode == 1
    assert "\n" not in str(failure.value)
    assert not GiftMove.objects.exists()


def test_the_command_refuses_an_unknown_gift():
    with pytest.raises(CommandError, match="not a gift's public id"):
        call_command("move_gift", "nope", "--team", "x", "--reason", "Asked")
