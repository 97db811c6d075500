"""Donors' data rights in the admin: two actions on the Donor admin
(download the donor's data; erase the donor, after a page asking why),
each gated by its own permission on privacy.DataRequest, and the records
of requests, exports and erasures. Privacy sits above donations, so it
extends the Donor admin here (as finance does), never the other way."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.template.response import TemplateResponse

from core.admin import ReadOnlyModelAdmin
from donations.models import Donor
from payments import stripe as stripe_gateway
from privacy import selectors
from privacy.models import Channel, DataExport, DataRequest, Erasure
from privacy.services import erasure, export, requests

EXPORT_PERMISSION = "privacy.export_donor_data"
ERASE_PERMISSION = "privacy.erase_donor"


class ErasureForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why: the donor's request and its date, or the rule it follows. Kept in the erasure's record.",
    )


@admin.action(description="Download the donor's data (JSON)", permissions=["export_donor_data"])
def download_donor_data(modeladmin, request, queryset):
    donors = list(queryset[:2])
    if len(donors) != 1:
        modeladmin.message_user(request, "Choose one donor to download their data.", messages.WARNING)
        return None
    [donor] = donors
    document = export.export_donor_data(donor=donor, channel=Channel.ADMIN, user=request.user)
    response = HttpResponse(export.as_json(document), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="donor-{donor.pk}-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@admin.action(description="Erase the donor…", permissions=["erase_donor"])
def erase_donors(modeladmin, request, queryset):
    """A page asking for the reason, then (POSTed with `confirm`) the erasure."""
    donors = list(queryset.order_by("pk"))
    form = ErasureForm(request.POST if "confirm" in request.POST else None)
    if "confirm" in request.POST and form.is_valid():
        for donor in donors:
            try:
                erasure.erase_donor(
                    donor=donor, reason=form.cleaned_data["reason"], actor=request.user, channel=Channel.ADMIN
                )
            except erasure.AlreadyErased as exc:
                modeladmin.message_user(request, str(exc), messages.INFO)
            except stripe_gateway.StripeUnavailable:
                modeladmin.message_user(
                    request,
                    f"Stripe could not be reached, so donor {donor.pk} was not erased. Try again.",
                    messages.ERROR,
                )
            else:
                modeladmin.message_user(request, f"Donor {donor.pk} was erased.", messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Erase the donor" if len(donors) == 1 else f"Erase {len(donors)} donors",
        "donors": donors,
        "gift_aid_holds": [
            (donor, until) for donor in donors if (until := selectors.gift_aid_records_kept_until(donor)) is not None
        ],
        "form": form,
        "opts": modeladmin.model._meta,
        "action": "erase_donors",
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(
        request, "privacy/admin/erase_confirmation.html", context, status=400 if form.errors else 200
    )


def _with_data_rights(base: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    def has_export_donor_data_permission(self, request) -> bool:
        return request.user.has_perm(EXPORT_PERMISSION)

    def has_erase_donor_permission(self, request) -> bool:
        return request.user.has_perm(ERASE_PERMISSION)

    return type(
        base.__name__,
        (base,),
        {
            "actions": [*(base.actions or []), download_donor_data, erase_donors],
            "has_export_donor_data_permission": has_export_donor_data_permission,
            "has_erase_donor_permission": has_erase_donor_permission,
            "__module__": base.__module__,
        },
    )


# The admin imports each app's admin module in INSTALLED_APPS order:
# donations' and finance's Donor admin are registered by now.
_donor_admin = type(admin.site.get_model_admin(Donor))
admin.site.unregister(Donor)
admin.site.register(Donor, _with_data_rights(_donor_admin))


@admin.register(DataRequest)
class DataRequestAdmin(ReadOnlyModelAdmin):
    """Donors' requests: an open erasure request is carried out with the
    Donor admin's "Erase the donor…" action (which closes it), or declined
    here (the law allows it, e.g. a request that is not the donor's)."""

    list_display = ("requested_at", "kind", "status", "donor", "handled_by", "handled_at")
    list_filter = ("status", "kind")
    list_select_related = ("donor", "handled_by")
    search_fields = ("donor__email",)
    actions = ["decline_requests"]

    @admin.action(description="Decline the chosen open requests", permissions=["erase_donor"])
    def decline_requests(self, request, queryset):
        declined = 0
        for data_request in queryset.filter(status=DataRequest.Status.OPEN):
            requests.decline(request=data_request, user=request.user)
            declined += 1
        self.message_user(request, f"{declined} request(s) declined.", messages.SUCCESS)

    def has_erase_donor_permission(self, request) -> bool:
        return request.user.has_perm(ERASE_PERMISSION)


@admin.register(DataExport)
class DataExportAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "donor", "channel", "actor")
    list_filter = ("channel",)
    list_select_related = ("donor",)


@admin.register(Erasure)
class ErasureAdmin(ReadOnlyModelAdmin):
    list_display = ("erased_at", "donor", "channel", "actor")
    list_filter = ("channel",)
    list_select_related = ("donor",)
