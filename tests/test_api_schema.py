"""The OpenAPI document of the JSON API (hopefund/openapi.json, served at
GET /api/schema/) stays true: it describes every route under /api/ and
only routes that exist, it is valid OpenAPI 3.1, and real answers of each
kind (gifts, declines, validation errors, limits, outages, the webhook)
are answers it describes, status code, media type, headers and body."""

import re

import pytest
from openapi_spec_validator import validate

from hopefund.api_schema import DOCUMENT
from tests.api_schema import DOCUMENT_JSON, SCHEMA, assert_described
from tests.donations.test_card_testing import trip_breaker, turnstile  # noqa: F401 (fixtures)
from tests.gifts import (
    DECLINING_PAYMENT_METHOD,
    THREE_D_SECURE_PAYMENT_METHOD,
    gift_body,
    give,
    start_card_form,
)
from tests.stripe_events import event, post_event, stripe_object
from tests.test_authorization_matrix import url_patterns
from tests.test_outages import database_at, database_down  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

# Stripe's webhook is described too: it answers JSON, and a signed event
# is the only way in, so fuzzing it only ever meets its 400.
DESCRIBED_OUTSIDE_API = {"/stripe/webhook/"}


def path_templates() -> set[str]:
    """Every URL pattern as an OpenAPI path template: /api/campaigns/{slug}/."""
    return {"/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", pattern) for pattern in url_patterns()}


def test_every_route_under_api_is_described_and_every_described_path_is_a_route():
    all_routes = path_templates()
    api_routes = {route for route in all_routes if route.startswith("/api/")}
    described = set(DOCUMENT_JSON["paths"])

    assert api_routes - described == set(), "routes under /api/ missing from hopefund/openapi.json"
    assert described - all_routes == set(), "paths in hopefund/openapi.json that no route serves"
    assert described - api_routes == DESCRIBED_OUTSIDE_API


def test_the_document_is_valid_openapi_that_schemathesis_reads_operation_by_operation():
    validate(DOCUMENT_JSON)

    operations = [result.ok() for result in SCHEMA.get_all_operations()]

    assert {operation.label for operation in operations} == {
        f"{method.upper()} {path}" for path, item in DOCUMENT_JSON["paths"].items() for method in item
    }


def test_the_schema_is_served_as_the_document_and_can_be_cached(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert response.content == DOCUMENT
    assert response["Content-Type"] == "application/vnd.oai.openapi+json;version=3.1"
    assert "public" in response["Cache-Control"]
    assert_described(response)

    again = client.get("/api/schema/", HTTP_IF_NONE_MATCH=response["ETag"])

    assert again.status_code == 304
    assert_described(again)


# --- Real answers are described answers ----------------------------------


def test_a_campaign_with_teams_fundraisers_and_gifts_is_described(client, fundraiser, make_gift):
    make_gift()

    response = client.get("/api/campaigns/dressember-2026/")

    assert response.status_code == 200
    assert response.json()["teams"][0]["fundraisers"]
    assert_described(response)


@pytest.mark.parametrize("path", ["/api/campaigns/no-such-campaign/", "/api/donations/not-a-gift/"])
def test_a_missing_campaign_or_gift_is_a_described_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert_described(response)


def test_a_path_under_api_that_no_view_matches_answers_a_json_404(client):
    # No slug has a space: the route does not match, so no view answers.
    response = client.get("/api/campaigns/not%20a%20slug/")

    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert_described(response)
    assert client.get("/campaigns/not%20a%20slug/")["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "payment_method, status",
    [("pm_card_visa", 201), (THREE_D_SECURE_PAYMENT_METHOD, 201), (DECLINING_PAYMENT_METHOD, 402)],
)
def test_a_gift_charged_awaiting_3d_secure_or_declined_and_its_detail_are_described(
    client, campaign, payment_method, status
):
    created = give(client, gift_body(payment_method=payment_method))

    assert created.status_code == status
    assert_described(created)
    assert_described(client.get(f"/api/donations/{created.json()['id']}/"))


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"[]", id="not-an-object"),
        pytest.param(b"{}", id="empty-object"),
        pytest.param(gift_body(amount_minor="50", donor="Ada", payment_method="card"), id="wrong-types"),
        pytest.param(gift_body(dedication="x" * 200_000), id="too-large"),
    ],
)
@pytest.mark.parametrize("path", ["/api/donations/", "/api/setup-intents/"])
def test_refused_gift_bodies_are_described(client, campaign, path, body):
    response = client.post(path, data=body, content_type="application/json")

    assert response.status_code in (400, 413)
    assert_described(response)


def test_a_reused_idempotency_key_and_a_refused_one_are_described(client, campaign):
    assert give(client, HTTP_IDEMPOTENCY_KEY="key-1").status_code == 201

    reused = give(client, gift_body(amount_minor=6000), HTTP_IDEMPOTENCY_KEY="key-1")
    too_long = give(client, HTTP_IDEMPOTENCY_KEY="k" * 256)

    assert (reused.status_code, too_long.status_code) == (422, 400)
    assert_described(reused)
    assert_described(too_long)


def test_a_card_form_for_a_valid_gift_is_described(client, campaign):
    response = start_card_form(client)

    assert response.status_code == 201
    assert_described(response)


@pytest.mark.parametrize("send", [give, start_card_form])
def test_too_many_attempts_from_one_address_is_described_with_retry_after(client, campaign, settings, send):
    settings.DONATION_RATE_LIMIT = "1/m"
    send(client)

    response = send(client)

    assert response.status_code == 429
    assert_described(response)


def test_too_many_status_polls_is_described_with_retry_after(client, campaign, settings):
    settings.DONATION_STATUS_RATE_LIMIT = "1/m"
    client.get("/api/donations/not-a-gift/")

    response = client.get("/api/donations/not-a-gift/")

    assert response.status_code == 429
    assert_described(response)


@pytest.mark.parametrize("send", [give, start_card_form])
def test_a_challenge_past_the_email_limit_is_described(client, campaign, settings, turnstile, send):  # noqa: F811
    settings.DONATION_EMAIL_RATE_LIMIT = "1/h"
    send(client)

    response = send(client)

    assert response.status_code == 403
    assert_described(response)


def test_card_gifts_paused_by_the_decline_breaker_is_described(client, trip_breaker):  # noqa: F811
    trip_breaker()

    response = give(client)

    assert (response.status_code, response.json()["error"]["code"]) == (429, "card_checks_paused")
    assert_described(response)


@pytest.mark.parametrize("send", [give, start_card_form])
def test_stripe_out_of_reach_is_a_described_503_with_retry_after(client, campaign, fake_stripe, send):
    with fake_stripe.outage():
        response = send(client)

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert_described(response)


@pytest.mark.parametrize(
    "send",
    [
        lambda client: client.get("/api/campaigns/dressember-2026/"),
        lambda client: client.get("/api/donations/5b0d2c38-3c47-4c8f-9a52-6a3f3e8c1f27/"),
        give,
        start_card_form,
        lambda client: post_event(client, event("payment_intent.succeeded", stripe_object("payment_intent"))),
    ],
    ids=["campaign", "gift", "give", "card-form", "webhook"],
)
def test_a_database_outage_is_a_described_503_everywhere(client, database_down, send):  # noqa: F811
    response = send(client)

    assert response.status_code == 503
    assert_described(response)


def test_stripes_webhook_answers_are_described(client, settings):
    stripe_event = event("payment_intent.succeeded", stripe_object("payment_intent"))

    stored, duplicate = post_event(client, stripe_event), post_event(client, stripe_event)
    unsigned = client.post("/stripe/webhook/", data=b"{}", content_type="application/json")
    settings.STRIPE_WEBHOOK_MAX_BYTES = 10
    too_large = post_event(client, stripe_event)

    assert [r.status_code for r in (stored, duplicate, unsigned, too_large)] == [200, 200, 400, 413]
    assert duplicate.json()["duplicate"] is True
    for response in (stored, duplicate, unsigned, too_large):
        assert_described(response)
