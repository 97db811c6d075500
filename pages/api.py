"""The public JSON reads that combine apps: a campaign with its totals, and
a gift with its receipt number."""

import logging

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from core import rate_limit
from donations import selectors as donation_selectors
from donations.services import gifts
from donations.views import too_many_attempts
from pages import selectors as page_selectors
from payments.stripe import StripeUnavailable

logger = logging.getLogger(__name__)


@require_GET
def campaign_api(request, slug: str):
    overview = page_selectors.campaign_overview(slug)
    if overview is None:
        return JsonResponse({"error": {"code": "not_found", "message": "No such campaign."}}, status=404)
    campaign = overview.campaign

    def page_json(summary) -> dict:
        return {
            "slug": summary.slug,
            "name": summary.name,
            "goal_minor": summary.goal_minor,
            "raised_minor": summary.tally.raised_minor,
            "donor_count": summary.tally.donor_count,
            "url": request.build_absolute_uri(summary.url),
        }

    return JsonResponse(
        {
            "slug": campaign.slug,
            "title": campaign.title,
            "currency": campaign.currency,
            "goal_minor": campaign.goal_minor,
            "raised_minor": overview.tally.raised_minor,
            "donor_count": overview.tally.donor_count,
            "gift_count": overview.tally.gift_count,
            "is_open": campaign.is_open(),
            "donor_address_required": campaign.needs_donor_address,
            "url": request.build_absolute_uri(campaign.get_absolute_url()),
            "funds": [{"slug": fund.slug, "name": fund.name} for fund in overview.funds],
            "teams": [
                {**page_json(team), "fundraisers": [page_json(f) for f in team.fundraisers]} for team in overview.teams
            ],
            "fundraisers": [page_json(f) for f in overview.fundraisers],
        }
    )


@require_GET
def donation_detail(request, public_id: str):
    # Generous: the donate page polls once a second for 30 seconds.
    wait = rate_limit.seconds_until_allowed(
        scope="donation-status",
        identity=rate_limit.client_address(request),
        rate=settings.DONATION_STATUS_RATE_LIMIT,
    )
    if wait:
        return too_many_attempts(request, wait)
    donation = donation_selectors.donation_by_public_id(public_id)
    if donation is None:
        return JsonResponse({"error": {"code": "not_found", "message": "No such gift."}}, status=404)
    gift_aided = donation.gift_aid_declaration_id is not None
    try:
        # The donate page polls here after 3-D Secure: answer with Stripe's
        # view rather than wait for the webhook.
        donation = gifts.refresh_for_poll(donation=donation)
    except StripeUnavailable:
        logger.warning("Stripe unavailable; answering gift %s from the ledger", donation.public_id)
    return JsonResponse(
        {
            "id": str(donation.public_id),
            "status": donation.status,
            "amount_minor": donation.charged_minor,
            "currency": donation.currency,
            "fund": donation.fund.slug,
            "refunded_minor": donation.refunded_minor,
            # Each part as charged (its share of any fee cover included, as
            # the gift's amount_minor is) and what of it was refunded.
            "allocations": [
                {"fund": part.fund.slug, "amount_minor": part.charged_minor, "refunded_minor": part.refunded_minor}
                for part in donation_selectors.parts_of(donation)
            ],
            # The copy of the standing receipt's number kept on the gift.
            "receipt_number": donation.receipt_number or None,
            # Whether a Gift Aid declaration covers the gift.
            "gift_aid": gift_aided,
        }
    )
