from django.http import Http404

from donors.session import donor_required


@donor_required
def my_data(request):
    raise Http404("Not built yet.")
