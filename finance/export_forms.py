"""The gift export's filters, checked the same way for the finance page and
for `manage.py export_donations`."""

from django import forms

from campaigns.models import Campaign, Fund
from donations.models import Donation
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
    campaign = SlugChoiceField(Campaign.objects.order_by("title"), noun="campaign")
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Every status"), *Donation.Status.choices],
        error_messages={"invalid_choice": "“%(value)s” is not a gift status."},
    )
    fund = SlugChoiceField(Fund.objects.order_by("sort_order", "name"), noun="fund")

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError(f"The first day ({since}) is after the last day ({until}).")
        return cleaned

    def one_line(self) -> str:
        """The errors in one line, each named by the command option that
        fills its field (--since...)."""
        return " ".join(
            f"--{field}: {error}" if field != "__all__" else error
            for field, errors in self.errors.items()
            for error in errors
        )

    def filters(self) -> GiftFilters:
        """The export's filters; only on a valid form."""
        data = self.cleaned_data
        return GiftFilters(
            since=data["since"],
            until=data["until"],
            campaign_slug=data["campaign"].slug if data["campaign"] else None,
            status=data["status"] or None,
            fund_slug=data["fund"].slug if data["fund"] else None,
        )
