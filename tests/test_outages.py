"""A database outage, for real: the test's connection pointed at a port
where nothing listens (or a black hole that never answers). Pages answer a
friendly 503, the API and the webhook JSON 503 with Retry-After; nothing
answers 500."""

import json
import time

import pytest
from django.db import connections
from django.test import Client, RequestFactory

from hopefund.outages import server_error
from tests.black_hole import black_hole
from tests.conftest import free_port
from tests.gifts import give
from tests.stripe_events import event, post_event, stripe_object

FRIENDLY_503 = "We'll be back in a moment"


@pytest.fixture
def database_at(django_db_blocker, monkeypatch):
    """Points the database at another port (and, optionally, another
    connect timeout) until the test ends; the connection is closed first so
    that the next query connects there, and closed again afterwards."""
    database = connections["default"]
    with django_db_blocker.unblock():

        def point_at(port: int, *, connect_timeout: int | None = None) -> None:
            database.close()
            monkeypatch.setitem(database.settings_dict, "PORT", port)
            if connect_timeout is not None:
                options = {**database.settings_dict["OPTIONS"], "connect_timeout": connect_timeout}
                monkeypatch.setitem(database.settings_dict, "OPTIONS", options)

        yield point_at
        database.close()


@pytest.fixture
def database_down(database_at):
    database_at(free_port())  # nothing listens there


def assert_service_unavailable_json(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["error"]["code"] == "service_unavailable"


def test_a_page_answers_a_friendly_503_when_the_database_refuses_connections(client, database_down):
    response = client.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"].startswith("text/html")
    assert FRIENDLY_503 in response.content.decode()


def test_a_signed_in_visitors_page_answers_503_when_their_session_cannot_be_loaded(database_down):
    # The session is loaded by a middleware, before any view: handler500's case.
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "a" * 32

    response = client.get("/")

    assert response.status_code == 503
    assert FRIENDLY_503 in response.content.decode()
    assert "Log in" not in response.content.decode()


def test_the_json_api_answers_json_503_when_the_database_refuses_connections(client, database_down):
    assert_service_unavailable_json(client.get("/api/campaigns/dressember-2026/"))
    assert_service_unavailable_json(give(client))


def test_the_stripe_webhook_answers_503_when_the_database_is_down_so_stripe_retries(client, database_down):
    response = post_event(client, event("payment_intent.succeeded", stripe_object("payment_intent")))

    assert_service_unavailable_json(response)


def test_a_page_answers_503_within_the_connect_timeout_when_the_database_never_answers(client, database_at):
    with black_hole() as port:
        database_at(port, connect_timeout=2)
        started = time.monotonic()

        response = client.get("/")

    assert response.status_code == 503
    assert FRIENDLY_503 in response.content.decode()
    assert time.monotonic() - started < 4


def test_any_other_error_answers_the_friendly_500_page_drawn_without_the_database(database_down):
    request = RequestFactory().get("/campaigns/dressember-2026/")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = server_error(request)

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_any_other_error_in_the_api_answers_json_500():
    request = RequestFactory().post("/api/donations/")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = server_error(request)

    assert response.status_code == 500
    assert json.loads(response.content)["error"]["code"] == "server_error"
