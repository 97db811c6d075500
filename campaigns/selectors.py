"""Reads of campaigns, teams, fundraisers, invites and who may manage
them. The pages that also show totals and gifts are composed in
pages/selectors.py."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from campaigns.models import AmountPreset, Campaign, Fund, Fundraiser, PrivacyNotice, Team, TeamInvite
from core.money import CURRENCIES

# --- Finding pages ------------------------------------------------------


def current_privacy_notice() -> PrivacyNotice | None:
    """The newest notice already published, if the charity wrote one."""
    return PrivacyNotice.objects.filter(published_at__lte=timezone.now()).first()


def campaign_by_slug(slug: str, *, include_drafts: bool = False) -> Campaign | None:
    """A campaign the public may see: a draft is not public until staff
    publish it, so only staff tools (imports, reconciling) ask for drafts."""
    campaigns = Campaign.objects.all() if include_drafts else Campaign.objects.exclude(status=Campaign.Status.DRAFT)
    # Its entity decides what its form asks for and its receipts say: read with it.
    return campaigns.select_related("receipting_entity").filter(slug=slug).first()


def visible_teams(campaign: Campaign):
    return Team.objects.filter(campaign=campaign, is_hidden=False)


def visible_fundraisers(campaign: Campaign):
    """Fundraisers shown to the public: not hidden, and not on a hidden team."""
    return Fundraiser.objects.filter(campaign=campaign, is_hidden=False).exclude(team__is_hidden=True)


def team_in_campaign(campaign: Campaign, slug: str) -> Team | None:
    """A team the public may see and give to; hidden teams are refused."""
    return visible_teams(campaign).filter(slug=slug).first()


def fundraiser_in_campaign(campaign: Campaign, slug: str) -> Fundraiser | None:
    """A fundraiser the public may see and give to; hidden pages, and pages
    on a hidden team, are refused."""
    return visible_fundraisers(campaign).select_related("team", "owner").filter(slug=slug).first()


def teams_to_join(campaign: Campaign):
    return visible_teams(campaign).order_by("name")


def team_slug_taken(campaign: Campaign, slug: str) -> bool:
    return Team.objects.filter(campaign=campaign, slug=slug).exists()


def fundraiser_slug_taken(campaign: Campaign, slug: str) -> bool:
    return Fundraiser.objects.filter(campaign=campaign, slug=slug).exists()


def fundraiser_of(user, campaign: Campaign) -> Fundraiser | None:
    """The person's own page in this campaign (there is at most one)."""
    if not user.is_authenticated:
        return None
    return Fundraiser.objects.select_related("team").filter(campaign=campaign, owner=user).first()


def funds_offered(campaign: Campaign) -> list[Fund]:
    chosen = list(campaign.funds.filter(is_active=True))
    return chosen or list(Fund.objects.filter(is_active=True))


# The amounts a campaign with no presets of its own offers, in major units.
DEFAULT_PRESETS_MAJOR = (25, 50, 100, 250)


@dataclass(frozen=True)
class OfferedAmount:
    """One amount the donate form offers, and what it does (may be "")."""

    amount_minor: int
    impact_text: str = ""


def amounts_offered(campaign: Campaign) -> list[OfferedAmount]:
    """The campaign's presets in order (one query), or DEFAULT_PRESETS_MAJOR
    when it has none. A preset below today's minimum gift (MIN_GIFT_MINOR
    raised since it was saved) is left out, as the API would refuse it."""
    smallest = settings.MIN_GIFT_MINOR.get(campaign.currency, 0)
    own = [
        OfferedAmount(preset.amount_minor, preset.impact_text)
        for preset in AmountPreset.objects.filter(campaign=campaign, amount_minor__gte=smallest)
    ]
    if own:
        return own
    exponent = CURRENCIES[campaign.currency].exponent
    return [OfferedAmount(major * 10**exponent) for major in DEFAULT_PRESETS_MAJOR]


# --- Captains, owners and their dashboards ------------------------------


@dataclass(frozen=True)
class MyPages:
    fundraisers: list[Fundraiser]
    captained_teams: list[Team]
    open_campaigns: list[Campaign]


def team_to_manage(campaign_slug: str, slug: str) -> Team | None:
    """A team, hidden or not: its captains may still put it right."""
    return (
        Team.objects.select_related("campaign", "organization").filter(campaign__slug=campaign_slug, slug=slug).first()
    )


def fundraiser_to_manage(campaign_slug: str, slug: str) -> Fundraiser | None:
    return Fundraiser.objects.select_related("campaign", "team").filter(campaign__slug=campaign_slug, slug=slug).first()


def can_manage_team(user, team: Team) -> bool:
    """The team's captains only. Being staff (even a superuser) is no way
    in: the dashboard shows donors' names and messages and speaks in the
    team's name; staff act on teams through the admin, under its
    permissions and history."""
    return user.is_authenticated and team.captains.filter(pk=user.pk).exists()


def can_manage_fundraiser(user, fundraiser: Fundraiser) -> bool:
    """The page's owner only (staff: see can_manage_team)."""
    return user.is_authenticated and fundraiser.owner_id == user.pk


def people_told_of_gifts(pages: set[tuple[int | None, int | None]]) -> dict[tuple[int | None, int | None], list]:
    """For each (team id, fundraiser id) a gift was made on, the active
    people with an email address to tell of it: the fundraiser page's
    owner and the team's captains, each once, in id order (two queries)."""
    team_ids = {team_id for team_id, _ in pages if team_id}
    fundraiser_ids = {fundraiser_id for _, fundraiser_id in pages if fundraiser_id}
    captains: dict[int, list] = {}
    for team in Team.objects.filter(pk__in=team_ids).prefetch_related("captains"):
        captains[team.pk] = [user for user in team.captains.all() if user.is_active and user.email]
    fundraisers = Fundraiser.objects.filter(pk__in=fundraiser_ids, owner__is_active=True).select_related("owner")
    owners = {fundraiser.pk: fundraiser.owner for fundraiser in fundraisers if fundraiser.owner.email}
    told = {}
    for team_id, fundraiser_id in pages:
        people = {user.pk: user for user in captains.get(team_id, [])}
        if fundraiser_id in owners:
            people[owners[fundraiser_id].pk] = owners[fundraiser_id]
        told[(team_id, fundraiser_id)] = [people[pk] for pk in sorted(people)]
    return told


def possible_co_captains(team: Team) -> list:
    """Members (owners of fundraisers on the team) who are not captains yet."""
    return [
        fundraiser.owner
        for fundraiser in Fundraiser.objects.filter(team=team, owner__isnull=False)
        .exclude(owner__captained_teams=team)
        .select_related("owner")
        .order_by("owner__first_name", "owner__last_name", "owner__pk")
    ]


def pages_of(user) -> MyPages:
    """The fundraisers a person owns and the teams they captain."""
    return MyPages(
        fundraisers=list(Fundraiser.objects.filter(owner=user).select_related("campaign", "team")),
        captained_teams=list(user.captained_teams.select_related("campaign")),
        open_campaigns=[c for c in Campaign.objects.filter(status=Campaign.Status.ACTIVE) if c.is_open()],
    )


def invites_sent_since(inviter, since) -> int:
    return TeamInvite.objects.filter(invited_by=inviter, created_at__gte=since).count()


def hash_invite_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_by_token(token: str) -> TeamInvite | None:
    return TeamInvite.objects.select_related("team__campaign").filter(token_hash=hash_invite_token(token)).first()


def team_member(team: Team, fundraiser_slug: str) -> Fundraiser | None:
    return Fundraiser.objects.select_related("owner").filter(team=team, slug=fundraiser_slug).first()


def teams_and_fundraisers_by_slug(campaign: Campaign) -> tuple[dict[str, Team], dict[str, Fundraiser]]:
    """Every team and fundraiser of the campaign, hidden or not, by slug,
    as team_to_manage and fundraiser_to_manage find them one at a time
    (two queries): for checking thousands of rows that name them."""
    teams = {team.slug: team for team in Team.objects.select_related("campaign").filter(campaign=campaign)}
    fundraisers = {
        fundraiser.slug: fundraiser
        for fundraiser in Fundraiser.objects.select_related("campaign", "team").filter(campaign=campaign)
    }
    return teams, fundraisers
