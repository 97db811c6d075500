"""The donor's own JSON: what GET /api/donors/me/ answers with a portal session."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from donors import selectors
from donors.session import donor_required_api


@never_cache
@require_GET
@donor_required_api
def me(request):
    donor = request.donor
    return JsonResponse(
        {"email": donor.email, "gifts": selectors.api_gifts(donor), "plans": selectors.api_plans(donor)}
    )
