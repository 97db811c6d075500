"""What people, the donate page and Stripe see when the database cannot be
reached or does not answer in time (a connection refused, a connect or
statement timeout): 503 with Retry-After, never a bare 500. People get a
friendly page; the JSON API and the webhooks get JSON (Stripe, like the
email provider, retries any 5xx, so an event sent meanwhile is delivered
again once the database is back). The same JSON paths get a JSON 404
for a path no view matched.

The error pages are rendered without the request: no context processor
runs, so neither the user nor the session nor the messages (all in the
database) are loaded to draw them."""

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

logger = logging.getLogger(__name__)

DATABASE_OUTAGES = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
# Paths answered in JSON: the API, Stripe's webhook, the email provider's.
JSON_PATH_PREFIXES = ("/api/", "/stripe/", "/anymail/")

SERVICE_UNAVAILABLE = {
    "error": {
        "code": "service_unavailable",
        "message": "We can't reach our records just now. Please try again in a minute.",
    }
}
NOT_FOUND = {"error": {"code": "not_found", "message": "There is nothing at this address."}}
SERVER_ERROR = {
    "error": {
        "code": "server_error",
        "message": "Something went wrong on our side. Please try again in a minute.",
    }
}


class DatabaseOutageMiddleware:
    """A view that meets a database outage answers 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_OUTAGES):
            return None
        # django.request logs the 503 itself; this says why.
        logger.warning("The database is unavailable (%s: %s): answered 503", type(exception).__name__, exception)
        return service_unavailable(request)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: a path no view matched (such as /api/campaigns/<a slug
    with a space>/) is answered in JSON on the JSON paths too, like the
    views' own 404s; people get Django's page."""
    if _wants_json(request):
        return JsonResponse(NOT_FOUND, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an exception nothing else answered. A database outage
    met before any view (a middleware loading the session, say) is a 503
    too; anything else is the friendly 500."""
    if isinstance(sys.exc_info()[1], DATABASE_OUTAGES):
        return service_unavailable(request)
    if _wants_json(request):
        return JsonResponse(SERVER_ERROR, status=500)
    return _error_page("500.html", status=500)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        response = JsonResponse(SERVICE_UNAVAILABLE, status=503)
    else:
        response = _error_page("503.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _wants_json(request: HttpRequest) -> bool:
    return request.path_info.startswith(JSON_PATH_PREFIXES)


def _error_page(template_name: str, *, status: int) -> HttpResponse:
    body = loader.get_template(template_name).render({"org_name": settings.ORG_NAME})
    return HttpResponse(body, status=status)
