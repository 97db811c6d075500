from django import forms

from donations import update_consent
from donations.services.update_choices import choosable_funds
from donors.services.preferences import ALL, CHOSEN, NONE


class PreferencesForm(forms.Form):
    """The portal's choice of impact updates; its words are the ones the
    consent record keeps (donations/update_consent.py)."""

    updates = forms.ChoiceField(
        choices=[
            (ALL, update_consent.PORTAL_ALL),
            (CHOSEN, update_consent.PORTAL_CHOSEN),
            (NONE, update_consent.PORTAL_NONE),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose one.", "invalid_choice": "Choose one of the three."},
    )
    funds = forms.ModelMultipleChoiceField(
        queryset=choosable_funds(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "Choose funds from the list.",
            "invalid_pk_value": "Choose funds from the list.",
        },
    )

    def full_clean(self):
        super().full_clean()
        # Each input of a field in error says so, and points at its message.
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update({"aria-invalid": "true", "aria-describedby": f"{name}-error"})

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("updates") == CHOSEN and not cleaned.get("funds"):
            self.add_error("funds", "Choose at least one fund, or choose updates about every fund.")
        return cleaned
