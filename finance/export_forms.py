"""The gift export's filters, checked the same way for the finance page and
for `manage.py export_donations`."""

import re

from django import forms

from campaigns.models import Campaign, Fund
from donations.models import Donation
from finance import periods
from finance.exports import GiftFilters

ISO_DATE = "%Y-%m-%d"


class SlugChoiceField(forms.ModelChoiceField):
    """A campaign or fund chosen by its slug, named in the error when unknown."""

    def __init__(self, queryset, *, noun: str, **kwargs):
        super().__init__(
            queryset,
            to_field_name="slug",
            required=False,
            empty_label=f"All {noun}s",
            error_messages={"invalid_choice": f"There is no {noun} with the slug “%(value)s”."},
            **kwargs,
        )


class GiftExportForm(forms.Form):
    since = forms.DateField(
        required=False,
        input_formats=[ISO_DATE],
        label="From",
        help_text="First day included (UTC), YYYY-MM-DD.",
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
    )
    until = forms.DateField(
        required=False,
        input_formats=[ISO_DATE],
        label="Until",
        help_text="Last day included (UTC), YYYY-MM-DD.",
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
    )
    # The fiscal year that starts in this year (FISCAL_YEAR_START), for
    # since and until: the page offers this one and the last, the command
    # (--fiscal-year) any.
    fiscal_year = forms.CharField(
        required=False,
        label="Fiscal year",
        help_text="Instead of From and Until: the charity's whole fiscal year.",
        widget=forms.Select,
    )
    campaign = SlugChoiceField(Campaign.objects.order_by("title"), noun="campaign")
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Every status"), *Donation.Status.choices],
        error_messages={"invalid_choice": "“%(value)s” is not a gift status."},
    )
    fund = SlugChoiceField(Fund.objects.order_by("sort_order", "name"), noun="fund")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].widget.choices = [("", "From and Until as given")] + [
            (str(quick.year.start_year), f"{quick.name} ({quick.label})") for quick in periods.quick_periods()
        ]

    def clean_fiscal_year(self) -> int | None:
        value = self.cleaned_data["fiscal_year"]
        if not value:
            return None
        if not re.fullmatch(r"\d{4}", value):
            raise forms.ValidationError(f"Enter the year the fiscal year starts in, as YYYY, not “{value}”.")
        return int(value)

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if cleaned.get("fiscal_year") and (since or until):
            self.add_error("fiscal_year", "Choose a fiscal year or the first and last days, not both.")
        if since and until and since > until:
            raise forms.ValidationError(f"The first day ({since}) is after the last day ({until}).")
        return cleaned

    def one_line(self) -> str:
        """The errors in one line, each named by the command option that
        fills its field (--since, --fiscal-year...)."""
        return " ".join(
            f"--{field.replace('_', '-')}: {error}" if field != "__all__" else error
            for field, errors in self.errors.items()
            for error in errors
        )

    def filters(self) -> GiftFilters:
        """The export's filters; only on a valid form."""
        data = self.cleaned_data
        since, until = data["since"], data["until"]
        if data["fiscal_year"]:
            period = periods.fiscal_period(periods.fiscal_year(data["fiscal_year"]))
            since, until = period.start, period.end
        return GiftFilters(
            since=since,
            until=until,
            campaign_slug=data["campaign"].slug if data["campaign"] else None,
            status=data["status"] or None,
            fund_slug=data["fund"].slug if data["fund"] else None,
        )
