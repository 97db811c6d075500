"""The donor's own data, from their portal: download all of it (the same
JSON as export_donor_data, theirs only, recorded), and ask for it to be
erased (a privacy.DataRequest staff review; one open at a time)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from donors.session import donor_required
from privacy import selectors
from privacy.models import Channel
from privacy.services import export, requests


@require_http_methods(["GET", "POST"])
@donor_required
def my_data(request):
    donor = request.donor
    refused = None
    if request.method == "POST":
        if "download" in request.POST:
            document = export.export_donor_data(donor=donor, channel=Channel.PORTAL)
            response = HttpResponse(export.as_json(document), content_type="application/json; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="my-data.json"'
            response["Cache-Control"] = "no-store"
            return response
        if "request_erasure" in request.POST:
            try:
                requests.request_erasure(donor=donor)
            except requests.RequestRefused as exc:
                refused = exc.message
            else:
                messages.success(
                    request, "We have your request to erase your data, and have emailed you to confirm it."
                )
                return redirect("privacy:my-data")
        else:
            refused = "Choose what you would like to do."
    context = {
        "donor": donor,
        "portal_section": "my-data",
        "open_request": selectors.open_request(donor),
        "refused": refused,
    }
    return render(request, "privacy/my_data.html", context, status=400 if refused else 200)
