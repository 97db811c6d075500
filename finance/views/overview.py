"""The finance overview: totals by fund, campaign and month, and gifts per
day, for a chosen period; and the emails that failed, whatever the period."""

from dataclasses import dataclass

from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from core.money import as_decimal
from finance.access import finance_permission_required
from finance.charts import Bar, bar_chart
from finance.periods import PeriodForm, quick_periods
from finance.selectors import overview as selectors
from receipts import selectors as receipt_selectors


@dataclass(frozen=True)
class DayChart:
    svg: SafeString
    heading: str


@dataclass(frozen=True)
class FailedEmails:
    count: int
    name: str  # "receipt", or "receipts" for more than one
    # The admin's list of them, with each one's error and the action that
    # sends them again.
    admin_url: str


@finance_permission_required("finance.view_finance_reports")
@require_GET
def overview(request):
    form = PeriodForm(request.GET)
    failed_emails = _failed_emails()
    base = {"form": form, "failed_emails": failed_emails, "quick_periods": quick_periods()}
    if not form.is_valid():
        return render(request, "finance/overview.html", base, status=400)
    period = form.period
    overview = selectors.finance_overview(start=period.start, end=period.end)
    context = {
        **base,
        "overview": overview,
        "charts": _day_charts(overview),
        "day_rows": [
            (day.day, day.gift_count, [as_decimal(day.gross_minor.get(c, 0), c) for c in overview.currencies])
            for day in overview.days
        ],
    }
    return render(request, "finance/overview.html", context)


def _failed_emails() -> list[FailedEmails]:
    failed = []
    for model, count in receipt_selectors.failed_email_counts():
        if count:
            opts = model._meta
            changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            name = opts.verbose_name if count == 1 else opts.verbose_name_plural
            failed.append(FailedEmails(count, str(name), f"{changelist}?status__exact=failed"))
    return failed


def _day_charts(overview: selectors.Overview) -> list[DayChart]:
    """Gifts per day (every currency: counts add up), then the gross per
    day in each currency on its own chart (amounts never do)."""
    span = f"from {overview.start} to {overview.end}"
    counts = [Bar(day.day.isoformat(), day.gift_count, str(day.gift_count)) for day in overview.days]
    total = sum(bar.value for bar in counts)
    charts = [
        DayChart(
            bar_chart(
                chart_id="gifts-per-day",
                title=f"Gifts per day {span}",
                y_label="Gifts",
                x_label="Day",
                description=f"{total} gifts in {len(counts)} days; at most {_busiest(counts)}.",
                bars=counts,
            ),
            "Gifts per day",
        )
    ]
    for currency in overview.currencies:
        amounts = []
        for day in overview.days:
            amount = day.gross_minor.get(currency, 0)
            amounts.append(Bar(day.day.isoformat(), amount, str(as_decimal(amount, currency))))
        code = currency.upper()
        charts.append(
            DayChart(
                bar_chart(
                    chart_id=f"gross-per-day-{currency}",
                    title=f"Gross {code} per day {span}",
                    y_label=code,
                    x_label="Day",
                    description=f"Gross {code} per day; at most {_busiest(amounts)}.",
                    bars=amounts,
                ),
                f"Gross per day, {code}",
            )
        )
    return charts


def _busiest(bars: list[Bar]) -> str:
    top = max(bars, key=lambda bar: bar.value)
    return f"{top.value_text} on {top.label}"
