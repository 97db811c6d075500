"""The payout pages: the list of Stripe payouts and each payout's
reconciliation report, for people with finance.view_finance_reports."""

import logging

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from kombu.exceptions import OperationalError

from finance import tasks
from finance.access import finance_permission_required
from finance.selectors import payouts as selectors

logger = logging.getLogger(__name__)
REPORTS = "finance.view_finance_reports"


@require_GET
@finance_permission_required(REPORTS)
def payout_list(request):
    return render(request, "finance/payouts.html", {"payouts": selectors.payouts_page(request.GET.get("page"))})


@require_GET
@finance_permission_required(REPORTS)
def payout_detail(request, stripe_payout_id: str):
    report = selectors.payout_report(stripe_payout_id, lines_page=request.GET.get("lines_page"))
    if report is None:
        raise Http404("No such payout.")
    return render(request, "finance/payout_detail.html", {"report": report, "payout": report.payout})


@require_POST
@finance_permission_required(REPORTS)
def fetch_payouts(request):
    try:
        tasks.fetch_recent_payouts.delay()
    except OperationalError:
        logger.exception("could not enqueue fetch_recent_payouts")
        messages.error(request, "The task queue could not be reached, so nothing was fetched. Try again shortly.")
    else:
        messages.success(request, "Fetching payouts from Stripe. Reload this page in a minute to see them.")
    return redirect("finance:payouts")
