"""Forms of the dashboards that reach past campaigns: a fundraiser's
thank-you note to a donor (receipts sends it)."""

from django import forms

from receipts.models import ThankYouNote


class ThankYouNoteForm(forms.Form):
    note = forms.CharField(
        label="Your note",
        max_length=ThankYouNote.TEXT_MAX_LENGTH,
        error_messages={
            "required": "Write a few words to the donor.",
            "max_length": f"Keep the note to {ThankYouNote.TEXT_MAX_LENGTH} characters.",
        },
    )
