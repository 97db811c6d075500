from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from donations.services.update_choices import UnknownFund
from donors.preference_forms import PreferencesForm
from donors.services import preferences as service
from donors.session import donor_required
from receipts import selectors as receipt_selectors
from receipts.models import EmailSuppression


@donor_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """The signed-in donor's choice of impact updates: every fund, only
    the funds they choose, or none. Only ever their own."""
    donor = request.donor
    reason = receipt_selectors.suppression_reason(donor.email)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                service.save_preferences(
                    donor_id=donor.pk,
                    choice=form.cleaned_data["updates"],
                    fund_ids=[fund.pk for fund in form.cleaned_data["funds"]],
                )
            except UnknownFund as unknown:
                form.add_error("funds", str(unknown))
            else:
                messages.success(request, "Your email preferences are saved.")
                return redirect("donors:preferences")
        status = 400
    else:
        form = PreferencesForm(initial=_current(donor, reason))
        status = 200
    return render(
        request,
        "donors/preferences.html",
        {
            "donor": donor,
            "portal_section": "preferences",
            "form": form,
            # Bounced, marked as spam or refused by the provider: no choice
            # here can send to the address (only an unsubscribe is lifted).
            "undeliverable": reason not in (None, EmailSuppression.Reason.UNSUBSCRIBED),
            "undeliverable_reason": EmailSuppression.Reason(reason).label if reason else "",
        },
        status=status,
    )


def _current(donor, reason: str | None) -> dict:
    if not donor.wants_updates or reason == EmailSuppression.Reason.UNSUBSCRIBED:
        return {"updates": service.NONE, "funds": list(donor.update_funds.all())}
    funds = list(donor.update_funds.all())
    return {"updates": service.CHOSEN if funds else service.ALL, "funds": funds}
