"""Captains' team dashboards and owners' fundraiser dashboards. Only a
team's captains (or a page's owner) get in: anyone else logged in, staff
and superusers too, gets 403, and a visitor is sent to log in."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from campaigns import selectors, services
from campaigns.forms import (
    CoCaptainForm,
    FundraiserForm,
    InviteForm,
    PageForm,
    TeamForm,
    UpdateForm,
    add_refusal,
)
from core import rate_limit
from donations import selectors as donation_selectors
from pages import selectors as page_selectors
from pages import sharing
from pages.forms import ThankYouNoteForm
from receipts.services import thank_you_notes


def _managed(find, may_manage):
    """Load the page named in the URL (404 if none) and let only those
    `may_manage` allows through; the view gets the page."""

    def decorator(view):
        @login_required
        @wraps(view)
        def guarded(request, campaign_slug: str, slug: str, *args, **kwargs):
            page = find(campaign_slug, slug)
            if page is None:
                raise Http404("No such page.")
            if not may_manage(request.user, page):
                raise PermissionDenied("Only this page's captains or owner can manage it.")
            return view(request, page, *args, **kwargs)

        return guarded

    return decorator


team_managers_only = _managed(selectors.team_to_manage, selectors.can_manage_team)
fundraiser_managers_only = _managed(selectors.fundraiser_to_manage, selectors.can_manage_fundraiser)


def _page_initial(page) -> dict:
    return {
        "name": page.name,
        "story": page.story,
        "goal": PageForm.goal_initial(page.goal_minor, page.campaign.currency),
    }


# --- Teams ----------------------------------------------------------------


def _render_dashboard(request, template: str, page, context: dict, forms: dict, *, thank_failed=None, status=None):
    """A dashboard with its forms; 400 when a submitted form has errors.
    `thank_failed`: the gift whose thank-you note came back with errors,
    and its form."""
    has_errors = any(form.is_bound and form.errors for form in forms.values()) or thank_failed is not None
    share_url = request.build_absolute_uri(page.get_absolute_url())
    context = {
        "campaign": page.campaign,
        "share_url": share_url,
        "share_links": sharing.share_links(url=share_url, title=page.name),
        "thank_failed": thank_failed,
        "thank_max_length": ThankYouNoteForm.base_fields["note"].max_length,
        **context,
        **forms,
    }
    return render(request, template, context, status=status or (400 if has_errors else 200))


def _post_update(request, page, dashboard, manage_url: str, where: str, **scope):
    """An update posted from a team's or a fundraiser's dashboard."""
    form = UpdateForm(request.POST)
    if not form.is_valid():
        return dashboard(request, page, update_form=form)
    services.post_update(author=request.user, campaign=page.campaign, **scope, **form.cleaned_data)
    messages.success(request, f"Update posted on {where}.")
    return redirect(manage_url, page.campaign.slug, page.slug)


def _thank_donor(request, page, gift, *, dashboard, manage_url: str):
    """A thank-you note posted from a dashboard's list of gifts. Nothing in
    the answer names the donor's address, or (for an anonymous gift) who
    they are; a gift thanked already gets 409 and nothing is sent."""
    wait = rate_limit.seconds_until_allowed(
        scope="thank-you-note", identity=f"user:{request.user.pk}", rate=settings.THANK_YOU_NOTE_RATE_LIMIT
    )
    if wait:
        messages.error(request, f"You have sent a lot of notes just now. Try again in {wait} seconds.")
        return dashboard(request, page, status=429)
    form = ThankYouNoteForm(request.POST)
    if not form.is_valid():
        return dashboard(request, page, thank_failed={"gift_id": gift.pk, "form": form})
    try:
        thank_you_notes.thank_donor(
            donation=gift, sender=request.user, text=form.cleaned_data["note"], thanked_from=page
        )
    except thank_you_notes.AlreadyThanked as refusal:
        messages.error(request, str(refusal))
        return dashboard(request, page, status=409)
    except thank_you_notes.NoteRefused as refusal:
        form.add_error("note", str(refusal))
        return dashboard(request, page, thank_failed={"gift_id": gift.pk, "form": form})
    messages.success(request, "Your thank-you note is on its way to the donor.")
    # Back to the page of gifts the note was sent from.
    back = reverse(manage_url, args=[page.campaign.slug, page.slug])
    gifts_page = request.GET.get("gifts_page", "")
    return redirect(f"{back}?gifts_page={gifts_page}" if gifts_page.isdigit() else back)


def _team_dashboard(
    request,
    team,
    *,
    edit_form=None,
    invite_form=None,
    captain_form=None,
    update_form=None,
    thank_failed=None,
    status=None,
):
    dashboard = page_selectors.team_dashboard(
        team, gifts_page=request.GET.get("gifts_page"), members_page=request.GET.get("members_page")
    )
    forms = {
        "edit_form": edit_form
        or TeamForm(
            campaign=team.campaign,
            editing=True,
            initial={**_page_initial(team), "organization": team.organization.name if team.organization else ""},
        ),
        "invite_form": invite_form or InviteForm(),
        "captain_form": captain_form or CoCaptainForm(members=dashboard.possible_captains),
        "update_form": update_form or UpdateForm(),
    }
    return _render_dashboard(
        request,
        "campaigns/manage_team.html",
        team,
        {"dashboard": dashboard, "team": team, "thank_url": "campaigns:thank-team-donor"},
        forms,
        thank_failed=thank_failed,
        status=status,
    )


@team_managers_only
@require_http_methods(["GET", "POST"])
def manage_team(request, team):
    """The captain's dashboard; a POST edits the team's name, story, goal,
    photo and organisation."""
    if request.method == "GET":
        return _team_dashboard(request, team)
    form = TeamForm(request.POST, request.FILES, campaign=team.campaign, editing=True)
    if not form.is_valid():
        return _team_dashboard(request, team, edit_form=form)
    services.update_team(
        team=team,
        details=form.details(),
        remove_photo=form.cleaned_data["remove_photo"],
        organization_name=form.cleaned_data["organization"],
    )
    messages.success(request, "Team page saved.")
    return redirect("campaigns:manage-team", team.campaign.slug, team.slug)


@team_managers_only
@require_POST
def invite_member(request, team):
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _team_dashboard(request, team, invite_form=form)
    try:
        sent = services.invite_member(team=team, email=form.cleaned_data["email"], invited_by=request.user)
    except services.Refused as refusal:
        add_refusal(form, refusal)
        return _team_dashboard(request, team, invite_form=form)
    if sent.emailed:
        messages.success(
            request, f"Invite emailed to {sent.invite.email}. You can also send them this link: {sent.link}"
        )
    else:
        messages.warning(request, f"We could not email {sent.invite.email}; send them this link yourself: {sent.link}")
    return redirect("campaigns:manage-team", team.campaign.slug, team.slug)


@team_managers_only
@require_POST
def remove_member(request, team, fundraiser_slug: str):
    fundraiser = selectors.team_member(team, fundraiser_slug)
    if fundraiser is None:
        raise Http404("No such member.")
    try:
        services.remove_member(team=team, fundraiser=fundraiser)
    except services.Refused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"{fundraiser.name} is no longer on the team.")
    return redirect("campaigns:manage-team", team.campaign.slug, team.slug)


@team_managers_only
@require_POST
def add_co_captain(request, team):
    form = CoCaptainForm(request.POST, members=selectors.possible_co_captains(team))
    if not form.is_valid():
        return _team_dashboard(request, team, captain_form=form)
    try:
        services.add_co_captain(team=team, user=form.chosen())
    except services.Refused as refusal:
        add_refusal(form, refusal)
        return _team_dashboard(request, team, captain_form=form)
    messages.success(request, "Co-captain added.")
    return redirect("campaigns:manage-team", team.campaign.slug, team.slug)


@team_managers_only
@require_POST
def post_team_update(request, team):
    return _post_update(request, team, _team_dashboard, "campaigns:manage-team", "the team page", team=team)


@team_managers_only
@require_POST
def thank_team_donor(request, team, gift_id):
    """A note to the donor of a gift to the team or one of its pages."""
    gift = donation_selectors.counted_gift_on_page(gift_id, team_id=team.pk)
    if gift is None:
        raise Http404("No such gift to this team.")
    return _thank_donor(request, team, gift, dashboard=_team_dashboard, manage_url="campaigns:manage-team")


# --- Fundraisers ------------------------------------------------------------


def _fundraiser_dashboard(request, fundraiser, *, edit_form=None, update_form=None, thank_failed=None, status=None):
    dashboard = page_selectors.fundraiser_dashboard(fundraiser, gifts_page=request.GET.get("gifts_page"))
    forms = {
        "edit_form": edit_form
        or FundraiserForm(campaign=fundraiser.campaign, editing=True, initial=_page_initial(fundraiser)),
        "update_form": update_form or UpdateForm(),
    }
    return _render_dashboard(
        request,
        "campaigns/manage_fundraiser.html",
        fundraiser,
        {"dashboard": dashboard, "fundraiser": fundraiser, "thank_url": "campaigns:thank-fundraiser-donor"},
        forms,
        thank_failed=thank_failed,
        status=status,
    )


@fundraiser_managers_only
@require_http_methods(["GET", "POST"])
def manage_fundraiser(request, fundraiser):
    """The owner's dashboard; a POST edits the page."""
    if request.method == "GET":
        return _fundraiser_dashboard(request, fundraiser)
    form = FundraiserForm(request.POST, request.FILES, campaign=fundraiser.campaign, editing=True)
    if not form.is_valid():
        return _fundraiser_dashboard(request, fundraiser, edit_form=form)
    services.update_fundraiser(
        fundraiser=fundraiser, details=form.details(), remove_photo=form.cleaned_data["remove_photo"]
    )
    messages.success(request, "Page saved.")
    return redirect("campaigns:manage-fundraiser", fundraiser.campaign.slug, fundraiser.slug)


@fundraiser_managers_only
@require_POST
def post_fundraiser_update(request, fundraiser):
    return _post_update(
        request, fundraiser, _fundraiser_dashboard, "campaigns:manage-fundraiser", "your page", fundraiser=fundraiser
    )


@fundraiser_managers_only
@require_POST
def thank_fundraiser_donor(request, fundraiser, gift_id):
    """A note to the donor of a gift on the page."""
    gift = donation_selectors.counted_gift_on_page(gift_id, fundraiser_id=fundraiser.pk)
    if gift is None:
        raise Http404("No such gift to this page.")
    return _thank_donor(
        request, fundraiser, gift, dashboard=_fundraiser_dashboard, manage_url="campaigns:manage-fundraiser"
    )
