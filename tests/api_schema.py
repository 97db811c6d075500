"""The OpenAPI document (hopefund/openapi.json) as schemathesis reads it,
and the checks an answer of the JSON API must pass against it: the test
client's answers in tests/test_api_schema.py, a live server's in
tests/reliability/test_api_schema_fuzz.py."""

import json

import requests
import schemathesis
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hopefund.api_schema import DOCUMENT

DOCUMENT_JSON = json.loads(DOCUMENT)
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT_JSON)

# A status code the operation lists, in a media type it lists, with the
# headers (Retry-After...) and the body described for that status.
CONFORMANCE_CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


TEST_SERVER = "http://testserver"


def assert_described(response) -> None:
    """The test client's `response` is an answer the document describes for
    the operation its request was."""
    __tracebackhide__ = True
    method, path = response.request["REQUEST_METHOD"], response.request["PATH_INFO"]
    operation = SCHEMA.find_operation_by_path(method, path)
    assert operation is not None, f"{method} {path} is not described in hopefund/openapi.json"
    answer = schemathesis.Response(
        status_code=response.status_code,
        headers={name: [value] for name, value in response.items()},
        content=response.content,
        request=requests.Request(method, f"{TEST_SERVER}{path}").prepare(),
        elapsed=0,
        verify=True,
    )
    operation.Case().validate_response(answer, checks=CONFORMANCE_CHECKS, transport_kwargs={"base_url": TEST_SERVER})
