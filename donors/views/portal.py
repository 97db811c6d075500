from django.shortcuts import render

from donors.session import donor_required


@donor_required
def portal(request):
    return render(request, "donors/portal.html", {"donor": request.donor, "portal_section": "gifts"})
