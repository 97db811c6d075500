"""The moves page: every gift finance moved to another fundraiser, team or
fund, with who, when, why and the receipt before and after, for people
with finance.view_finance_reports. Moves are made in the admin, on the
gift's own page, which each row links to."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from donations import selectors
from finance.access import finance_permission_required


@require_GET
@finance_permission_required("finance.view_finance_reports")
def gift_moves(request):
    return render(request, "finance/moves.html", {"moves": selectors.gift_moves_page(request.GET.get("page"))})
