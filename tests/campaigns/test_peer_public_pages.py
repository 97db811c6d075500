"""Public campaign, team and fundraiser pages for peer fundraising: totals
fed by the counters and agreeing with the ledger, gift walls that respect
anonymity, leaderboards, search, pagination, moderation and dates."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import CampaignUpdate, Fundraiser
from donations import selectors as donation_selectors
from tests.factories import DonationFactory, DonorFactory, FundraiserFactory, TeamFactory, UserFactory
from tests.gifts import gift_body, give

pytestmark = pytest.mark.django_db

CAMPAIGN = "/campaigns/dressember-2026/"


def page_text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def raised_and_donors(client, url: str) -> tuple[str, str]:
    page = page_text(client, url)
    raised = page.split('data-testid="raised">')[1].split("<")[0]
    donors = page.split('data-testid="donor-count">')[1].split("<")[0]
    return raised, donors


def test_gifts_count_for_the_fundraiser_its_team_and_the_campaign_and_agree_with_the_ledger(client, fundraiser, team):
    DonationFactory(succeeded=True, through_services=True, fundraiser=fundraiser, amount_minor=2500)
    DonationFactory(succeeded=True, through_services=True, team=team, amount_minor=4000)
    DonationFactory(succeeded=True, through_services=True, campaign=team.campaign, amount_minor=1000)

    assert raised_and_donors(client, fundraiser.get_absolute_url()) == ("$25.00", "1")
    assert raised_and_donors(client, team.get_absolute_url()) == ("$65.00", "2")
    assert raised_and_donors(client, CAMPAIGN) == ("$75.00", "3")
    assert donation_selectors.counters_out_of_step() == {}
    ledger = donation_selectors.ledger_tallies()
    campaign_id = team.campaign_id
    assert ledger[(campaign_id, None, fundraiser.pk)].raised_minor == 2500
    assert ledger[(campaign_id, team.pk, None)].raised_minor == 6500
    assert ledger[(campaign_id, None, None)].raised_minor == 7500


def test_gift_wall_shows_messages_and_never_an_anonymous_donors_name_or_any_email(client, fundraiser):
    DonationFactory(
        succeeded=True,
        through_services=True,
        fundraiser=fundraiser,
        amount_minor=3000,
        message="Go Ada!",
        donor=DonorFactory(email="ada@example.org", first_name="Ada", last_name="Lee"),
    )
    DonationFactory(
        succeeded=True,
        through_services=True,
        fundraiser=fundraiser,
        amount_minor=2000,
        anonymous=True,
        message="Quietly proud",
        donor=DonorFactory(email="secret@example.org", first_name="Zelda", last_name="Hidden"),
    )

    for url in (fundraiser.get_absolute_url(), fundraiser.team.get_absolute_url(), CAMPAIGN):
        page = page_text(client, url)
        assert "Ada L." in page and "Go Ada!" in page
        assert "Anonymous" in page and "Quietly proud" in page
        assert "Zelda" not in page and "Hidden" not in page
        assert "@example.org" not in page


def test_leaderboards_rank_teams_and_fundraisers_by_what_the_ledger_says_they_raised(client, campaign, team):
    small = FundraiserFactory(campaign=campaign, team=team, name="Small Steps", slug="small")
    big = FundraiserFactory(campaign=campaign, team=None, name="Big Dreams", slug="big")
    other_team = TeamFactory(campaign=campaign, name="Zeta Team", slug="zeta")
    DonationFactory(succeeded=True, through_services=True, fundraiser=small, amount_minor=1000)
    DonationFactory(succeeded=True, through_services=True, fundraiser=big, amount_minor=9000)
    DonationFactory(succeeded=True, through_services=True, team=other_team, amount_minor=5000)

    page = page_text(client, CAMPAIGN)

    teams_board = page.split('id="team-board-heading"')[1].split('id="fundraiser-board-heading"')[0]
    assert teams_board.index("Zeta Team") < teams_board.index("Freedom Threads")
    assert "$50.00" in teams_board and "$10.00" in teams_board
    fundraisers_board = page.split('id="fundraiser-board-heading"')[1]
    assert fundraisers_board.index("Big Dreams") < fundraisers_board.index("Small Steps")
    ledger = donation_selectors.ledger_tallies(campaign_id=campaign.pk)
    assert ledger[(campaign.pk, other_team.pk, None)].raised_minor == 5000
    assert ledger[(campaign.pk, None, big.pk)].raised_minor == 9000
    assert ledger[(campaign.pk, None, small.pk)].raised_minor == 1000
    assert donation_selectors.counters_out_of_step(campaign_id=campaign.pk) == {}


def test_leaderboards_join_each_pages_counter_once_instead_of_a_subquery_per_figure(client, campaign, team):
    ranked = FundraiserFactory(campaign=campaign, team=team, name="Ranked", slug="ranked")
    FundraiserFactory(campaign=campaign, team=team, name="No gifts yet", slug="none-yet")
    DonationFactory(succeeded=True, through_services=True, fundraiser=ranked, amount_minor=1500)

    with CaptureQueriesContext(connection) as queries:
        page_text(client, CAMPAIGN)

    boards = [query["sql"] for query in queries if '"donations_givingtotal"' in query["sql"]]
    boards = [sql for sql in boards if 'FROM "campaigns_team"' in sql or 'FROM "campaigns_fundraiser"' in sql]
    assert boards
    for sql in boards:
        assert sql.count('LEFT OUTER JOIN "donations_givingtotal"') == 1
        assert sql.count("SELECT") == 1
    board = donation_selectors.with_counter_totals(Fundraiser.objects.filter(team=team), scope="fundraiser")
    figures = {page.name: (page.raised_minor, page.gift_count, page.donor_count) for page in board}
    assert figures == {"Ranked": (1500, 1, 1), "No gifts yet": (0, 0, 0)}


def test_search_finds_teams_and_fundraisers_by_name(client, campaign, team, fundraiser):
    FundraiserFactory(campaign=campaign, name="Grace dresses up", slug="grace")

    page = page_text(client, CAMPAIGN + "?q=GRACE")

    boards = page.split('id="boards-heading"')[1]
    assert "Grace dresses up" in boards
    assert fundraiser.name.replace("'", "&#x27;") not in boards
    assert "Nothing matches &ldquo;GRACE&rdquo;" in boards  # no team is called that


def test_long_leaderboards_are_paginated_and_odd_page_numbers_do_not_break_them(client, campaign):
    Fundraiser.objects.bulk_create(
        Fundraiser(campaign=campaign, slug=f"runner-{n:02}", name=f"Runner {n:02}") for n in range(25)
    )

    first = page_text(client, CAMPAIGN)
    third = page_text(client, CAMPAIGN + "?fundraisers_page=3&q=Runner")

    assert "Runner 00" in first and "Runner 10" not in first
    assert "Page 1 of 3" in first and 'href="?fundraisers_page=2"' in first
    assert "Runner 20" in third and "Runner 24" in third and "Runner 19" not in third
    assert 'href="?fundraisers_page=2&amp;q=Runner"' in third
    for odd in ("abc", "999", "-1", "1" * 30):
        assert client.get(CAMPAIGN + f"?fundraisers_page={odd}&teams_page={odd}").status_code == 200


def test_featured_teams_are_shown_on_the_campaign_page(client, campaign, team):
    TeamFactory(campaign=campaign, name="Spotlight Squad", slug="spotlight", is_featured=True)

    page = page_text(client, CAMPAIGN)

    featured = page.split('id="featured-heading"')[1].split("</section>")[0]
    assert "Spotlight Squad" in featured and "Freedom Threads" not in featured


def test_updates_show_on_their_page_unless_hidden(client, campaign, team, fundraiser):
    CampaignUpdate.objects.create(campaign=campaign, team=team, title="Halfway there", body="<b>Thanks</b> all")
    CampaignUpdate.objects.create(campaign=campaign, team=team, title="Spam", body="buy now", is_hidden=True)

    page = page_text(client, team.get_absolute_url())

    assert "Halfway there" in page and "&lt;b&gt;Thanks&lt;/b&gt; all" in page
    assert "Spam" not in page
    assert "Halfway there" not in page_text(client, fundraiser.get_absolute_url())


def test_fundraiser_story_and_gift_messages_are_escaped(client, fundraiser):
    fundraiser.story = '<script>alert("story")</script>'
    fundraiser.save()
    DonationFactory(
        succeeded=True, through_services=True, fundraiser=fundraiser, message='<img src=x onerror="alert(1)">'
    )

    page = page_text(client, fundraiser.get_absolute_url())

    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x" in page


# --- Moderation -------------------------------------------------------------


def test_a_hidden_fundraiser_is_gone_from_pages_and_api_and_refuses_gifts(client, fundraiser):
    DonationFactory(succeeded=True, through_services=True, fundraiser=fundraiser, amount_minor=2500)
    fundraiser.is_hidden = True
    fundraiser.save()

    assert client.get(fundraiser.get_absolute_url()).status_code == 404
    assert fundraiser.name.replace("'", "&#x27;") not in page_text(client, fundraiser.team.get_absolute_url())
    api = client.get("/api/campaigns/dressember-2026/").json()
    assert api["teams"][0]["fundraisers"] == []
    response = give(client, gift_body(fundraiser="ada-lee"))
    assert response.status_code == 400
    assert "fundraiser" in response.json()["errors"]
    # What it raised before still counts for its team and the campaign.
    assert api["raised_minor"] == 2500 and api["teams"][0]["raised_minor"] == 2500


def test_a_hidden_team_takes_its_fundraisers_pages_with_it(client, team, fundraiser):
    team.is_hidden = True
    team.save()

    assert client.get(team.get_absolute_url()).status_code == 404
    assert client.get(fundraiser.get_absolute_url()).status_code == 404
    assert client.get("/api/campaigns/dressember-2026/").json()["teams"] == []
    assert give(client, gift_body(team="freedom-threads")).status_code == 400
    assert give(client, gift_body(fundraiser="ada-lee")).status_code == 400


# --- Campaign dates ---------------------------------------------------------


def test_a_campaign_past_its_end_date_shows_closed_and_refuses_gifts(client, campaign):
    campaign.starts_at = timezone.now() - timedelta(days=30)
    campaign.ends_at = timezone.now() - timedelta(days=1)
    campaign.save()

    page = page_text(client, CAMPAIGN)
    response = give(client, gift_body())

    assert "This campaign is closed" in page and "donate-form" not in page
    assert response.status_code == 400
    assert response.json()["errors"]["campaign"] == ["This campaign is closed and no longer takes gifts."]


def test_a_campaign_before_its_start_date_says_when_it_opens(client, campaign):
    campaign.starts_at = timezone.now() + timedelta(days=3)
    campaign.save()

    page = page_text(client, CAMPAIGN)

    assert "This campaign opens on" in page and "donate-form" not in page
    assert give(client, gift_body()).status_code == 400


# --- Bounded queries ----------------------------------------------------------


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_every_page_runs_the_same_queries_with_5_or_200_fundraisers(client, campaign, team, fundraiser):
    # Captain of the team and owner of the page, so both dashboards open.
    manager = UserFactory(email="casey@example.org")
    team.captains.add(manager)
    fundraiser.owner = manager
    fundraiser.save()
    DonationFactory(succeeded=True, through_services=True, fundraiser=fundraiser, amount_minor=2500, message="Go!")
    DonationFactory(succeeded=True, through_services=True, team=team, amount_minor=4000, anonymous=True)
    CampaignUpdate.objects.create(campaign=campaign, team=team, title="Hello", body="Hi")
    urls = [
        CAMPAIGN,
        CAMPAIGN + "?q=Runner&fundraisers_page=2",
        team.get_absolute_url(),
        fundraiser.get_absolute_url(),
        "/api/campaigns/dressember-2026/",
        f"{team.get_absolute_url()}manage/",
        f"{fundraiser.get_absolute_url()}manage/",
    ]

    def add_fundraisers(count: int) -> None:
        start = Fundraiser.objects.count()
        teams = [TeamFactory(campaign=campaign, is_featured=True) for _ in range(count // 20)]
        Fundraiser.objects.bulk_create(
            Fundraiser(
                campaign=campaign,
                team=(teams[n % len(teams)] if teams and n % 2 else team),
                slug=f"runner-{start + n}",
                name=f"Runner {start + n}",
            )
            for n in range(count)
        )

    add_fundraisers(4)
    assert Fundraiser.objects.count() == 5
    client.force_login(manager)
    with_five = {url: count_queries(client, url) for url in urls}
    add_fundraisers(195)
    assert Fundraiser.objects.count() == 200
    with_two_hundred = {url: count_queries(client, url) for url in urls}

    assert with_two_hundred == with_five
    # 17: the donate form's amount presets are one fixed query of their
    # own, and a dashboard reads which of its gifts were thanked in one.
    assert max(with_five.values()) <= 17
