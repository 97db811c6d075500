from django.http import Http404

from donors.session import donor_required


@donor_required
def plan(request, public_id):
    raise Http404("Not built yet.")
