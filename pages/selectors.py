"""Read models for the public giving pages, the captains' dashboards and
the campaign API: campaigns' pages with the donation counters and gifts.
Each function runs a fixed number of queries, however many teams,
fundraisers and gifts a campaign has."""

from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.urls import reverse

from campaigns.models import Campaign, CampaignUpdate, Fund, Fundraiser, Team, TeamInvite
from campaigns.selectors import (
    OfferedAmount,
    amounts_offered,
    campaign_by_slug,
    fundraiser_in_campaign,
    funds_offered,
    possible_co_captains,
    team_in_campaign,
    visible_fundraisers,
    visible_teams,
)
from donations import selectors as donation_selectors
from donations.selectors import GiftLine, Tally
from receipts import selectors as receipt_selectors

# How many rows a leaderboard or a captain's list shows per page.
BOARD_PAGE_SIZE = 10
FEATURED_TEAMS_SHOWN = 6
UPDATES_SHOWN = 5
GIFTS_ON_WALL = 10
# Longer search terms are cut to this; no team or fundraiser name is longer.
SEARCH_MAX_LENGTH = 120


@dataclass(frozen=True)
class PageSummary:
    """A team's or fundraiser's name, goal, progress and page."""

    slug: str
    name: str
    goal_minor: int
    tally: Tally
    url: str
    fundraisers: list["PageSummary"] = field(default_factory=list)


@dataclass(frozen=True)
class CampaignOverview:
    campaign: Campaign
    tally: Tally
    funds: list[Fund]
    teams: list[PageSummary]
    # Fundraisers that belong to no team.
    fundraisers: list[PageSummary]
    tallies: dict[donation_selectors.ScopeKey, Tally]


@dataclass(frozen=True)
class GivingPage:
    """Everything a public campaign, team or fundraiser page shows."""

    campaign: Campaign
    team: Team | None
    fundraiser: Fundraiser | None
    title: str
    story: str
    goal_minor: int
    tally: Tally
    funds: list[Fund]
    recent_gifts: list[GiftLine]
    updates: list[CampaignUpdate]
    # The donate form's amounts: the campaign's presets or the defaults.
    amounts: list[OfferedAmount] = field(default_factory=list)
    search: str = ""
    featured_teams: list[Team] = field(default_factory=list)
    # Ranked by what they raised; None where the page has no such board.
    team_board: Page | None = None
    fundraiser_board: Page | None = None

    @property
    def photo(self):
        """The team's or fundraiser's own photo (an empty file if it has
        none); the campaign's page shows its hero image instead."""
        page = self.fundraiser or self.team
        return page.photo if page else None


# --- The campaign API ---------------------------------------------------


def campaign_overview(slug: str) -> CampaignOverview | None:
    """Every visible team and fundraiser of the campaign with its totals."""
    campaign = campaign_by_slug(slug)
    if campaign is None:
        return None
    tallies = donation_selectors.counter_tallies(campaign_id=campaign.pk)
    teams = list(visible_teams(campaign))
    fundraisers = list(visible_fundraisers(campaign))

    def summary(page, url_name: str, key) -> PageSummary:
        return PageSummary(
            slug=page.slug,
            name=page.name,
            goal_minor=page.goal_minor,
            tally=tallies.get(key, Tally()),
            url=reverse(url_name, kwargs={"campaign_slug": campaign.slug, "slug": page.slug}),
        )

    by_team: dict[int | None, list[PageSummary]] = {}
    for fundraiser in fundraisers:
        by_team.setdefault(fundraiser.team_id, []).append(
            summary(fundraiser, "campaigns:fundraiser", (campaign.pk, None, fundraiser.pk))
        )
    team_summaries = []
    for team in teams:
        team_summary = summary(team, "campaigns:team", (campaign.pk, team.pk, None))
        team_summary.fundraisers.extend(by_team.get(team.pk, []))
        team_summaries.append(team_summary)
    return CampaignOverview(
        campaign=campaign,
        tally=tallies.get((campaign.pk, None, None), Tally()),
        funds=funds_offered(campaign),
        teams=team_summaries,
        fundraisers=by_team.get(None, []),
        tallies=tallies,
    )


# --- Public pages ---------------------------------------------------------


def _ranked(pages, *, scope: str, search: str):
    if search:
        pages = pages.filter(name__icontains=search)
    ranked = donation_selectors.with_counter_totals(pages.select_related("campaign"), scope=scope)
    return ranked.order_by("-raised_minor", "name", "pk")


def _board(pages, *, scope: str, search: str, page_number) -> Page:
    return Paginator(_ranked(pages, scope=scope, search=search), BOARD_PAGE_SIZE).get_page(page_number)


def _updates(**scope) -> list[CampaignUpdate]:
    return list(CampaignUpdate.objects.filter(is_hidden=False, **scope)[:UPDATES_SHOWN])


def _giving_page(campaign: Campaign, *, team: Team | None = None, fundraiser: Fundraiser | None = None, **boards):
    """What every giving page shows, for the campaign itself or for one of
    its teams or fundraisers: the page's own words, totals, gifts and
    updates. A fundraiser's page names its team but counts only itself."""
    page = fundraiser or team
    if fundraiser is not None:
        scope, updates = {"fundraiser_id": fundraiser.pk}, _updates(fundraiser=fundraiser)
    elif team is not None:
        scope, updates = {"team_id": team.pk}, _updates(team=team)
    else:
        scope, updates = {"campaign_id": campaign.pk}, _updates(campaign=campaign, team=None, fundraiser=None)
    return GivingPage(
        campaign=campaign,
        team=team,
        fundraiser=fundraiser,
        title=page.name if page else campaign.title,
        story=(page.story if page else "") or campaign.story,
        goal_minor=(page or campaign).goal_minor,
        tally=donation_selectors.counter_tally(**{"campaign_id": campaign.pk, **scope}),
        funds=funds_offered(campaign),
        amounts=amounts_offered(campaign),
        recent_gifts=donation_selectors.recent_gifts(**scope, limit=GIFTS_ON_WALL),
        updates=updates,
        **boards,
    )


def campaign_page(slug: str, *, search: str = "", teams_page=1, fundraisers_page=1) -> GivingPage | None:
    """The campaign's page: its totals, featured teams, team and fundraiser
    leaderboards (searchable by name, paginated), gifts and updates."""
    campaign = campaign_by_slug(slug)
    if campaign is None:
        return None
    search = search.strip()[:SEARCH_MAX_LENGTH]
    featured = _ranked(visible_teams(campaign).filter(is_featured=True), scope="team", search="")
    return _giving_page(
        campaign,
        search=search,
        featured_teams=list(featured[:FEATURED_TEAMS_SHOWN]),
        team_board=_board(visible_teams(campaign), scope="team", search=search, page_number=teams_page),
        fundraiser_board=_board(
            visible_fundraisers(campaign), scope="fundraiser", search=search, page_number=fundraisers_page
        ),
    )


def team_page(campaign_slug: str, slug: str, *, search: str = "", fundraisers_page=1) -> GivingPage | None:
    """A team's page: its totals, its fundraisers ranked, gifts and updates."""
    campaign = campaign_by_slug(campaign_slug)
    team = team_in_campaign(campaign, slug) if campaign else None
    if team is None:
        return None
    search = search.strip()[:SEARCH_MAX_LENGTH]
    members = visible_fundraisers(campaign).filter(team=team)
    return _giving_page(
        campaign,
        team=team,
        search=search,
        fundraiser_board=_board(members, scope="fundraiser", search=search, page_number=fundraisers_page),
    )


def fundraiser_page(campaign_slug: str, slug: str) -> GivingPage | None:
    """A supporter's page: their story and photo, totals, gifts and updates."""
    campaign = campaign_by_slug(campaign_slug)
    fundraiser = fundraiser_in_campaign(campaign, slug) if campaign else None
    if fundraiser is None:
        return None
    return _giving_page(campaign, team=fundraiser.team, fundraiser=fundraiser)


# --- Dashboards ---------------------------------------------------------


@dataclass(frozen=True)
class TeamDashboard:
    team: Team
    tally: Tally
    gifts: Page
    members: Page
    captains: list
    # Members who could be made co-captains.
    possible_captains: list
    open_invites: list[TeamInvite]
    updates: list[CampaignUpdate]


@dataclass(frozen=True)
class FundraiserDashboard:
    fundraiser: Fundraiser
    tally: Tally
    gifts: Page
    updates: list[CampaignUpdate]


@dataclass(frozen=True)
class DashboardGift(GiftLine):
    """A gift as its page's dashboard lists it: with when its donor was
    thanked, if they were (and so whether a note can still be sent)."""

    thanked_at: datetime | None = None


def _with_thanks(gifts: Page) -> Page:
    """The page's gifts, each with when it was thanked (one query more)."""
    thanked = receipt_selectors.thanked_on(gift.gift_id for gift in gifts.object_list)
    gifts.object_list = [
        DashboardGift(**asdict(gift), thanked_at=thanked.get(gift.gift_id)) for gift in gifts.object_list
    ]
    return gifts


def team_dashboard(team: Team, *, gifts_page=1, members_page=1) -> TeamDashboard:
    campaign = team.campaign
    captains = list(team.captains.order_by("first_name", "last_name", "pk"))
    members = Paginator(
        donation_selectors.with_counter_totals(
            Fundraiser.objects.filter(team=team).select_related("campaign", "owner"), scope="fundraiser"
        ).order_by("-raised_minor", "name", "pk"),
        BOARD_PAGE_SIZE,
    ).get_page(members_page)
    return TeamDashboard(
        team=team,
        tally=donation_selectors.counter_tally(campaign_id=campaign.pk, team_id=team.pk),
        gifts=_with_thanks(donation_selectors.gifts_page(team_id=team.pk, page_number=gifts_page)),
        members=members,
        captains=captains,
        possible_captains=possible_co_captains(team),
        open_invites=list(team.invites.filter(accepted_at__isnull=True).order_by("-created_at")[:50]),
        updates=list(CampaignUpdate.objects.filter(team=team)[:UPDATES_SHOWN]),
    )


def fundraiser_dashboard(fundraiser: Fundraiser, *, gifts_page=1) -> FundraiserDashboard:
    return FundraiserDashboard(
        fundraiser=fundraiser,
        tally=donation_selectors.counter_tally(campaign_id=fundraiser.campaign_id, fundraiser_id=fundraiser.pk),
        gifts=_with_thanks(donation_selectors.gifts_page(fundraiser_id=fundraiser.pk, page_number=gifts_page)),
        updates=list(CampaignUpdate.objects.filter(fundraiser=fundraiser)[:UPDATES_SHOWN]),
    )
