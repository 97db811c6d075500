"""The reporting period of a finance page: from and to dates from a GET
form, both included, this calendar year by default, at most a year long."""

from dataclasses import dataclass
from datetime import date

from django import forms
from django.utils import timezone

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


def this_calendar_year() -> Period:
    year = timezone.localdate().year
    return Period(date(year, 1, 1), date(year, 12, 31))


class PeriodForm(forms.Form):
    """`?from=2026-01-01&to=2026-03-31`; a date left out takes its default
    (this calendar year's first or last day)."""

    def __init__(self, data, **kwargs):
        default = this_calendar_year()
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
