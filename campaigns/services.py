"""Writes for campaigns, teams, fundraisers, invites and updates."""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from campaigns import page_versions, selectors
from campaigns.models import Campaign, CampaignUpdate, Fundraiser, Organization, Team, TeamInvite

logger = logging.getLogger(__name__)


class Refused(Exception):
    """A change the rules do not allow. The message is for the person who
    asked; `field` names the form field it is about, if any."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def _refuse_unless_verified(user, *, doing: str) -> None:
    """Publishing and inviting need an address the person proved they read
    (accounts' verification link): otherwise a stranger could sign up as
    ceo@charity.org and publish pages or send invites in its name."""
    if user.email_verified_at is None:
        raise Refused(
            f"Confirm your email address before you {doing}: follow the link we emailed you, "
            "or send yourself a new one."
        )


@dataclass(frozen=True)
class PageDetails:
    """What a person writes about a team or fundraiser page."""

    name: str
    story: str
    goal_minor: int
    # Chosen once, when the page is made: shared links must keep working.
    slug: str = ""
    photo: UploadedFile | None = None


def _refuse_if_closed(campaign: Campaign) -> None:
    if not campaign.is_open():
        raise Refused("This campaign is closed, so its pages can no longer change.")


@transaction.atomic
def create_fundraiser(*, campaign: Campaign, owner, details: PageDetails, team: Team | None = None) -> Fundraiser:
    """The owner's personal page in the campaign, optionally on a team.
    It is public at once, so the owner must have confirmed their email."""
    _refuse_if_closed(campaign)
    _refuse_unless_verified(owner, doing="publish a page")
    if selectors.fundraiser_of(owner, campaign) is not None:
        raise Refused("You already have a fundraiser page in this campaign.")
    if selectors.fundraiser_slug_taken(campaign, details.slug):
        raise Refused(f"The address {details.slug!r} is taken in this campaign; choose another.", field="slug")
    try:
        with transaction.atomic():
            return Fundraiser.objects.create(
                campaign=campaign,
                team=team,
                owner=owner,
                slug=details.slug,
                name=details.name,
                story=details.story,
                goal_minor=details.goal_minor,
                photo=details.photo or "",
            )
    except IntegrityError:
        # Someone took the address, or the owner made a page, a moment ago.
        raise Refused("That page was made a moment ago; reload and try again.", field="slug") from None


@transaction.atomic
def update_fundraiser(*, fundraiser: Fundraiser, details: PageDetails, remove_photo: bool = False) -> Fundraiser:
    return _update_page(fundraiser, details, remove_photo=remove_photo)


def _update_page(page: Team | Fundraiser, details: PageDetails, *, remove_photo: bool) -> Team | Fundraiser:
    """A team's or fundraiser's words, goal and photo (kept unless a new one
    is given or `remove_photo`); saving bumps its pages (campaigns.signals)."""
    page.name, page.story, page.goal_minor = details.name, details.story, details.goal_minor
    if details.photo:
        page.photo = details.photo
    elif remove_photo:
        page.photo = ""
    page.save(update_fields=["name", "story", "goal_minor", "photo"])
    return page


@transaction.atomic
def create_team(*, campaign: Campaign, captain, details: PageDetails) -> Team:
    """A new team with its creator as captain; the creator's own page, if it
    is on no team yet, joins it. It is public at once, so the creator must
    have confirmed their email."""
    _refuse_if_closed(campaign)
    _refuse_unless_verified(captain, doing="publish a team")
    if selectors.team_slug_taken(campaign, details.slug):
        raise Refused(f"The address {details.slug!r} is taken in this campaign; choose another.", field="slug")
    try:
        with transaction.atomic():
            team = Team.objects.create(
                campaign=campaign,
                slug=details.slug,
                name=details.name,
                story=details.story,
                goal_minor=details.goal_minor,
            )
    except IntegrityError:
        raise Refused("That address was taken a moment ago; choose another.", field="slug") from None
    team.captains.add(captain)
    own_page = selectors.fundraiser_of(captain, campaign)
    if own_page is not None and own_page.team_id is None:
        join_team(fundraiser=own_page, team=team)
    return team


@transaction.atomic
def update_team(
    *, team: Team, details: PageDetails, remove_photo: bool = False, organization_name: str | None = None
) -> Team:
    """The team's page, and, unless `organization_name` is None, the
    organisation whose team it is ("" for none), matched by name or added."""
    if organization_name is not None:
        team.organization = organization_named(organization_name) if organization_name else None
        team.save(update_fields=["organization"])
    return _update_page(team, details, remove_photo=remove_photo)


def organization_named(name: str, **details) -> Organization:
    """The organisation of this name in any case (Organization is one per
    name), added with `details` if there is none; an existing one is left
    as it is."""
    organization, _created = Organization.objects.get_or_create(name__iexact=name, defaults={"name": name, **details})
    return organization


@transaction.atomic
def join_team(*, fundraiser: Fundraiser, team: Team) -> Fundraiser:
    """Put a fundraiser on a team. Gifts already made keep the team they were
    given to (the ledger never changes); new gifts count for the new team."""
    if team.campaign_id != fundraiser.campaign_id:
        raise Refused("That team is in another campaign.")
    _refuse_if_closed(team.campaign)
    if team.is_hidden:
        raise Refused("That team is not taking new members.")
    fundraiser.team = team
    fundraiser.save(update_fields=["team"])
    return fundraiser


@transaction.atomic
def remove_member(*, team: Team, fundraiser: Fundraiser) -> None:
    """Take a fundraiser off the team (and its owner off the captains).
    Gifts already made still count for the team: the ledger says so."""
    if fundraiser.team_id != team.pk:
        raise Refused("That fundraiser is not on this team.")
    captains = list(Team.captains.through.objects.select_for_update().filter(team=team))
    owner_is_captain = any(row.user_id == fundraiser.owner_id for row in captains)
    if owner_is_captain and len(captains) == 1:
        raise Refused("A team needs a captain: make someone else captain first.")
    if owner_is_captain:
        team.captains.remove(fundraiser.owner_id)
    fundraiser.team = None
    fundraiser.save(update_fields=["team"])


@transaction.atomic
def add_co_captain(*, team: Team, user) -> None:
    """Co-captains are chosen from the team's members."""
    if not Fundraiser.objects.filter(team=team, owner=user).exists():
        raise Refused("Only a member of the team can become a co-captain.", field="user")
    team.captains.add(user)


@dataclass(frozen=True)
class InviteSent:
    invite: TeamInvite
    link: str
    emailed: bool


def _refuse_over_invite_quota(inviter) -> None:
    """At most INVITE_DAILY_LIMIT invites per account in any 24 hours, so
    no account can use our sending address to mail strangers in bulk. The
    inviter's row is locked so that two invites at once count in turn."""
    get_user_model().objects.select_for_update().filter(pk=inviter.pk).first()
    if selectors.invites_sent_since(inviter, timezone.now() - timedelta(days=1)) >= settings.INVITE_DAILY_LIMIT:
        raise Refused(
            f"You have sent {settings.INVITE_DAILY_LIMIT} invites in the last 24 hours, the most we allow in a "
            "day. Try again tomorrow, or share your team page's link instead.",
            field="email",
        )


def invite_member(*, team: Team, email: str, invited_by) -> InviteSent:
    """An invite link for one email address, valid for TEAM_INVITE_DAYS and
    usable once, emailed to the address. Only the token's hash is stored;
    the link is returned so the captain can also share it by hand. Only a
    verified account may invite, within its daily quota."""
    _refuse_if_closed(team.campaign)
    _refuse_unless_verified(invited_by, doing="send invites")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        _refuse_over_invite_quota(invited_by)
        invite = TeamInvite.objects.create(
            team=team,
            email=email.strip().lower(),
            token_hash=selectors.hash_invite_token(token),
            invited_by=invited_by,
            expires_at=timezone.now() + timedelta(days=settings.TEAM_INVITE_DAYS),
        )
    link = settings.SITE_URL + reverse("campaigns:invite", kwargs={"token": token})
    context = {
        "invite": invite,
        "team": team,
        "link": link,
        "inviter": invited_by,
        "days": settings.TEAM_INVITE_DAYS,
        "org_name": settings.ORG_NAME,
    }
    # Sent after the commit, never inside a transaction.
    try:
        send_mail(
            subject=render_to_string("campaigns/email/team_invite_subject.txt", context).strip(),
            message=render_to_string("campaigns/email/team_invite.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[invite.email],
        )
    except Exception:  # any provider error: the invite stands, the captain shares the link
        logger.exception("could not email team invite %s", invite.pk)
        return InviteSent(invite, link, emailed=False)
    return InviteSent(invite, link, emailed=True)


@transaction.atomic
def accept_invite(*, token: str, user, new_page: PageDetails | None = None) -> Fundraiser:
    """Join the invite's team: with the person's page in the campaign, or a
    new page made from `new_page`. Each invite works once, before it
    expires, for the address it was sent to."""
    found = selectors.invite_by_token(token)
    if found is None:
        raise Refused("This invite link is not valid. Ask your team captain for a new one.")
    invite = TeamInvite.objects.select_for_update().get(pk=found.pk)
    if invite.accepted_at is not None:
        raise Refused("This invite link has already been used. Ask your team captain for a new one.")
    if invite.expires_at <= timezone.now():
        raise Refused("This invite link has expired. Ask your team captain for a new one.")
    if user.email.lower() != invite.email:
        raise Refused(f"This invite was sent to another email address. Log in as {invite.email} to accept it.")
    team = found.team
    page = selectors.fundraiser_of(user, team.campaign)
    if page is None:
        if new_page is None:
            raise Refused("Make your fundraiser page to join the team.")
        page = create_fundraiser(campaign=team.campaign, owner=user, details=new_page, team=team)
    else:
        join_team(fundraiser=page, team=team)
    invite.accepted_at, invite.accepted_by = timezone.now(), user
    invite.save(update_fields=["accepted_at", "accepted_by"])
    return page


@transaction.atomic
def post_update(
    *, author, campaign: Campaign, title: str, body: str, team: Team | None = None, fundraiser: Fundraiser | None = None
) -> CampaignUpdate:
    return CampaignUpdate.objects.create(
        campaign=campaign, team=team, fundraiser=fundraiser, author=author, title=title, body=body
    )


@transaction.atomic
def set_hidden(*, items, hidden: bool) -> int:
    """Moderation: hide (or show again) teams, fundraisers or updates. A
    hidden team or fundraiser is gone from the public site and refuses
    gifts; gifts already made still count."""
    # A queryset update sends no post_save: bump the pages here.
    page_versions.bump_content(items.values_list("campaign_id", flat=True).distinct())
    return items.update(is_hidden=hidden)
