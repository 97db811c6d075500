from django.http import Http404

from donors.session import donor_required


@donor_required
def preferences(request):
    raise Http404("Not built yet.")
