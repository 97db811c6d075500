"""The one reader of a JSON request body for the JSON endpoints."""

import json

from django.core.exceptions import RequestDataTooBig


class BadJsonBody(Exception):
    """The body cannot be read as JSON; answer `status` with `message`."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def json_body(request):
    """The request's body, decoded. Raises BadJsonBody: 413 for a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE, 400 for one that is not JSON or nests too
    deeply for the decoder (a RecursionError, which would otherwise be a 500)."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise BadJsonBody("The request is too large.", status=413) from None
    try:
        return json.loads(raw)
    except RecursionError:
        raise BadJsonBody("The request body is nested too deeply.") from None
    except (ValueError, UnicodeDecodeError):
        raise BadJsonBody("The request body must be JSON.") from None
