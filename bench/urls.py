"""The site's URLs plus the benchmark's baseline: a view answering "ok"
through the same middleware."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from hopefund.urls import handler404, handler500  # noqa: F401
from hopefund.urls import urlpatterns as site_urlpatterns


@require_GET
def ok(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/ok/", ok), *site_urlpatterns]
