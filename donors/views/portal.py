"""The portal's home: every gift of the signed-in donor with its receipts,
their year-end statements, monthly gifts and organisations; and each
receipt's PDF, for the donor whose gift it is."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from donors import selectors
from donors.session import donor_required
from receipts.views import pdf_response


@never_cache
@require_GET
@donor_required
def portal(request):
    donor = request.donor
    page, gifts = selectors.gifts_page(donor, page_number=request.GET.get("page"))
    return render(
        request,
        "donors/portal.html",
        {
            "donor": donor,
            "portal_section": "gifts",
            "page": page,
            "gifts": gifts,
            "statements": selectors.statements(donor),
            "plans": selectors.plans(donor),
            "organizations": selectors.organizations(donor),
        },
    )


@require_GET
@donor_required
def receipt_pdf(request, number: str):
    """A receipt of the donor's own gift; anyone else's number is a 404."""
    receipt = selectors.receipt_of(request.donor, number)
    if receipt is None:
        raise Http404("No such receipt.")
    return pdf_response(receipt)
