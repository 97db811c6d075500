"""Campaign, team and fundraiser pages, starting pages and teams, and
invites. Captains' and owners' dashboards are in pages/dashboards.py, the
JSON reads in pages/api.py."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns import page_versions, selectors, services
from campaigns.forms import FundraiserForm, PageForm, add_refusal
from campaigns.models import Campaign
from core import countries
from core.money import CURRENCIES, format_money
from donations import gift_aid, update_consent
from donations.services.gifts import covered_fee
from pages import selectors as page_selectors
from pages import sharing
from pages.page_cache import MAX_AGE_SECONDS, Shareable, shared_for_visitors

# The preset checked when the page opens: the second (50 of the defaults),
# or the only one.
DEFAULT_PRESET = 1


@dataclass(frozen=True)
class AmountChoice:
    """One preset as the donate form shows it."""

    label: str
    amount_minor: int
    impact_text: str


@require_GET
def privacy_notice(request):
    return render(request, "campaigns/privacy.html", {"notice": selectors.current_privacy_notice()})


@require_GET
def home(request):
    campaigns = Campaign.objects.filter(status=Campaign.Status.ACTIVE).order_by("-created_at")
    return render(
        request, "campaigns/home.html", {"campaigns": campaigns, "preview": sharing.home_preview(request.path)}
    )


def _render_giving_page(request, found):
    if found is None:
        raise Http404("No such page.")
    campaign = found.campaign
    currency = CURRENCIES[campaign.currency]
    presets = [
        AmountChoice(format_money(amount.amount_minor, currency.code), amount.amount_minor, amount.impact_text)
        for amount in found.amounts
    ]
    checked_preset = presets[min(DEFAULT_PRESET, len(presets) - 1)].amount_minor
    country = countries.DEFAULT_FOR_CURRENCY.get(campaign.currency, "")
    preview = sharing.giving_page_preview(found, path=request.path)
    response = render(
        request,
        "campaigns/giving_page.html",
        {
            "page": found,
            "campaign": campaign,
            "currency": currency,
            "amount_presets": presets,
            "checked_preset": checked_preset,
            # The donate form's script updates it as the amount changes.
            "fee_to_cover": format_money(covered_fee(checked_preset), currency.code),
            "countries": countries.by_name(),
            "default_country": country,
            "address_labels": countries.address_labels(country),
            "address_labels_by_country": countries.labels_json(),
            # Marked required (and refused by the API when missing) only
            # where the campaign's receipts need the address.
            "address_required": campaign.needs_donor_address,
            "address_parts_required": countries.required_address_parts(country),
            "address_rules": countries.address_rules_json(),
            # HMRC's model declaration, around the amount the script keeps
            # up to date; only where the campaign's charity claims Gift Aid.
            "gift_aid_wording": (
                gift_aid.wording_around_amount(charity=campaign.entity.name)
                if campaign.entity.offers_gift_aid
                else None
            ),
            "gift_aid_amount": format_money(checked_preset, currency.code),
            # The box for impact updates: the words its consent record keeps.
            "updates_wording": update_consent.DONATE_FORM,
            "updates_refusal": update_consent.DONATE_FORM_REFUSAL,
            "preview": preview,
            "share_url": preview.url,
            "share_links": sharing.share_links(url=preview.url, title=preview.title),
            "stripe_js_url": settings.STRIPE_JS_URL,
            "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        },
    )
    response.shareable = Shareable(
        versions=[
            page_versions.SITE,
            page_versions.content(campaign.pk),
            page_versions.totals(
                campaign.pk,
                team_id=found.team.pk if found.team else None,
                fundraiser_id=found.fundraiser.pk if found.fundraiser else None,
            ),
        ],
        max_seconds=_seconds_until_opening_or_closing(campaign),
    )
    return response


def _seconds_until_opening_or_closing(campaign: Campaign) -> int:
    """The page says whether the campaign takes gifts: share it no longer
    than until that changes."""
    now = timezone.now()
    ahead = [moment for moment in (campaign.starts_at, campaign.ends_at) if moment and moment > now]
    return min([MAX_AGE_SECONDS, *(int((moment - now).total_seconds()) for moment in ahead)])


@require_GET
@shared_for_visitors
def campaign_page(request, slug: str):
    found = page_selectors.campaign_page(
        slug,
        search=request.GET.get("q", ""),
        teams_page=request.GET.get("teams_page"),
        fundraisers_page=request.GET.get("fundraisers_page"),
    )
    return _render_giving_page(request, found)


@require_GET
@shared_for_visitors
def team_page(request, campaign_slug: str, slug: str):
    found = page_selectors.team_page(
        campaign_slug, slug, search=request.GET.get("q", ""), fundraisers_page=request.GET.get("fundraisers_page")
    )
    return _render_giving_page(request, found)


@require_GET
@shared_for_visitors
def fundraiser_page(request, campaign_slug: str, slug: str):
    return _render_giving_page(request, page_selectors.fundraiser_page(campaign_slug, slug))


def _open_campaign(slug: str) -> Campaign:
    campaign = selectors.campaign_by_slug(slug)
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


@login_required
@require_http_methods(["GET", "POST"])
def start_fundraiser(request, campaign_slug: str):
    """Make your own fundraiser page, optionally on a team (?team=slug)."""
    campaign = _open_campaign(campaign_slug)
    own_page = selectors.fundraiser_of(request.user, campaign)
    if own_page is not None:
        messages.info(request, "You already have a page in this campaign; here it is.")
        return redirect("campaigns:manage-fundraiser", campaign.slug, own_page.slug)
    teams = list(selectors.teams_to_join(campaign))
    preselected = next((team for team in teams if team.slug == request.GET.get("team")), None)
    form = FundraiserForm(
        request.POST or None,
        request.FILES or None,
        campaign=campaign,
        teams=teams,
        initial={"team": preselected.pk if preselected else "", "goal": 500},
    )
    if request.method == "POST" and form.is_valid():
        try:
            fundraiser = services.create_fundraiser(
                campaign=campaign, owner=request.user, details=form.details(), team=form.chosen_team()
            )
        except services.Refused as refusal:
            add_refusal(form, refusal)
        else:
            messages.success(request, "Your fundraiser page is live. Share it with your friends!")
            return redirect("campaigns:manage-fundraiser", campaign.slug, fundraiser.slug)
    status = 400 if form.errors else 200
    return render(request, "campaigns/start_fundraiser.html", {"campaign": campaign, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def start_team(request, campaign_slug: str):
    """Make a team and be its captain."""
    campaign = _open_campaign(campaign_slug)
    form = PageForm(request.POST or None, campaign=campaign, initial={"goal": 5000})
    if request.method == "POST" and form.is_valid():
        try:
            team = services.create_team(campaign=campaign, captain=request.user, details=form.details())
        except services.Refused as refusal:
            add_refusal(form, refusal)
        else:
            messages.success(request, "Your team is ready. Invite your members from here.")
            return redirect("campaigns:manage-team", campaign.slug, team.slug)
    status = 400 if form.errors else 200
    return render(request, "campaigns/start_team.html", {"campaign": campaign, "form": form}, status=status)


@login_required
@require_POST
def join_team(request, campaign_slug: str, slug: str):
    campaign = _open_campaign(campaign_slug)
    team = selectors.team_in_campaign(campaign, slug)
    if team is None:
        raise Http404("No such team.")
    own_page = selectors.fundraiser_of(request.user, campaign)
    if own_page is None:
        # A member is a fundraiser on the team: make the page first.
        return redirect(reverse("campaigns:start-fundraiser", args=[campaign.slug]) + f"?team={team.slug}")
    try:
        services.join_team(fundraiser=own_page, team=team)
    except services.Refused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Your page is now on {team.name}.")
    return redirect(team.get_absolute_url())


@require_http_methods(["GET", "POST"])
def invite(request, token: str):
    """The page an invite link opens: log in, then join the team (making
    your fundraiser page if you have none)."""
    found = selectors.invite_by_token(token)
    if found is None:
        return render(request, "campaigns/invite.html", {"refusal": "This invite link is not valid."}, status=404)
    team, campaign = found.team, found.team.campaign
    own_page = selectors.fundraiser_of(request.user, campaign)
    form = None
    if request.user.is_authenticated and own_page is None:
        form = FundraiserForm(request.POST or None, request.FILES or None, campaign=campaign, initial={"goal": 500})
    context = {"invite": found, "team": team, "campaign": campaign, "own_page": own_page, "form": form}
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if form is None or form.is_valid():
            try:
                page = services.accept_invite(token=token, user=request.user, new_page=form.details() if form else None)
            except services.Refused as refusal:
                context["refusal"] = str(refusal)
                return render(request, "campaigns/invite.html", context, status=400)
            messages.success(request, f"Welcome to {team.name}!")
            return redirect("campaigns:manage-fundraiser", campaign.slug, page.slug)
        return render(request, "campaigns/invite.html", context, status=400)
    return render(request, "campaigns/invite.html", context)
