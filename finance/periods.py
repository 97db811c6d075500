"""The reporting period of a finance page: from and to dates from a GET
form, both included, the fiscal year under way by default
(FISCAL_YEAR_START), at most a year long."""

from dataclasses import dataclass
from datetime import date

from django import forms
from django.conf import settings
from django.utils import timezone

from core.years import Year

MAX_PERIOD_DAYS = 366
# Far enough from date.min and date.max that a day's bounds in any time
# zone still exist.
EARLIEST, LATEST = date(1900, 1, 1), date(9998, 12, 31)


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def fiscal_year(start_year: int) -> Year:
    """The charity's fiscal year that starts in `start_year`."""
    return Year(start_year, settings.FISCAL_YEAR_START)


def this_fiscal_year() -> Year:
    return Year.containing(timezone.localdate(), settings.FISCAL_YEAR_START)


def fiscal_year_label(year: Year) -> str:
    """ "FY 2026-27", or "2026" for a fiscal year that is the calendar year."""
    return year.label if year.is_calendar_year else f"FY {year.label}"


def fiscal_period(year: Year) -> Period:
    return Period(year.first_day, year.last_day)


@dataclass(frozen=True)
class QuickPeriod:
    """A period the finance pages offer in one click."""

    name: str  # "This fiscal year"
    label: str  # "FY 2026-27"
    year: Year

    @property
    def period(self) -> Period:
        return fiscal_period(self.year)


def quick_periods() -> list[QuickPeriod]:
    current = this_fiscal_year()
    return [
        QuickPeriod("This fiscal year", fiscal_year_label(current), current),
        QuickPeriod("Last fiscal year", fiscal_year_label(current.previous()), current.previous()),
    ]


class PeriodForm(forms.Form):
    """`?from=2026-01-01&to=2026-03-31`; a date left out takes its default
    (the first or last day of the fiscal year under way)."""

    def __init__(self, data, **kwargs):
        default = fiscal_period(this_fiscal_year())
        # A date left out (or empty) takes its default, so the form always
        # shows the period the page reports.
        data = data.copy()
        for name, value in (("from", default.start), ("to", default.end)):
            if not data.get(name):
                data[name] = value.isoformat()
        super().__init__(data, **kwargs)
        # "from" is a Python keyword, so the fields are added by name.
        for name, label in (("from", "From"), ("to", "To")):
            self.fields[name] = forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        start, end = cleaned["from"], cleaned["to"]
        if not (EARLIEST <= start <= LATEST and EARLIEST <= end <= LATEST):
            raise forms.ValidationError(f"Dates must be between {EARLIEST} and {LATEST}.")
        if start > end:
            raise forms.ValidationError("The start date must be on or before the end date.")
        period = Period(start, end)
        if period.days > MAX_PERIOD_DAYS:
            raise forms.ValidationError(
                f"Choose a period of at most {MAX_PERIOD_DAYS} days; this one has {period.days}."
            )
        cleaned["period"] = period
        return cleaned

    @property
    def period(self) -> Period:
        """The chosen period; only once the form is valid."""
        return self.cleaned_data["period"]
