"""GET /api/schema/: the OpenAPI description of the JSON API.

The document is written by hand in hopefund/openapi.json, next to the URL
configuration whose /api/ routes it describes. tests/test_api_schema.py
keeps it true to the routes and to real answers, and
tests/reliability/test_api_schema_fuzz.py runs schemathesis from it
against a live server."""

import hashlib
from pathlib import Path

from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import etag, require_GET

DOCUMENT_PATH = Path(__file__).with_name("openapi.json")
# Read once, at start-up: it changes only with a deploy.
DOCUMENT = DOCUMENT_PATH.read_bytes()
DOCUMENT_ETAG = hashlib.sha256(DOCUMENT).hexdigest()[:32]
MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.1"


@require_GET
@cache_control(public=True, max_age=3600)
@etag(lambda request: DOCUMENT_ETAG)
def api_schema(request):
    return HttpResponse(DOCUMENT, content_type=MEDIA_TYPE)
