import time

import pytest
from django.db import connections

from tests.black_hole import black_hole
from tests.conftest import free_port

pytestmark = pytest.mark.django_db

# The contract is "within a second"; the rest is slack for a loaded machine.
ANSWER_BOUND_SECONDS = 1.5


def timed_healthz(client):
    started = time.monotonic()
    response = client.get("/healthz")
    return response, time.monotonic() - started


@pytest.fixture
def database_port(monkeypatch):
    """Points the database's settings (which /healthz's own connection
    copies) at another port; the test's open connection is left as it is."""

    def point_at(port: int) -> None:
        monkeypatch.setitem(connections.settings["default"], "PORT", port)

    return point_at


def test_healthz_reports_database_and_broker_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_healthz_is_503_naming_a_broker_that_is_down(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there

    response, seconds = timed_healthz(client)

    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert response.json()["broker"].startswith("down")
    assert seconds < ANSWER_BOUND_SECONDS


def test_healthz_names_a_broker_that_accepts_and_never_answers_within_a_second(client, settings):
    with black_hole() as port:
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"

        response, seconds = timed_healthz(client)

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "down: no answer within 0.9 s"}
    assert seconds < ANSWER_BOUND_SECONDS


def test_healthz_is_503_naming_a_database_that_refuses_connections(client, database_port):
    database_port(free_port())  # nothing listens there

    response, seconds = timed_healthz(client)

    assert response.status_code == 503
    assert response.json() == {"database": "down: OperationalError", "broker": "ok"}
    assert seconds < ANSWER_BOUND_SECONDS


def test_healthz_names_a_database_that_accepts_and_never_answers_within_a_second(client, database_port):
    with black_hole() as port:
        database_port(port)

        response, seconds = timed_healthz(client)

    assert response.status_code == 503
    assert response.json() == {"database": "down: no answer within 0.9 s", "broker": "ok"}
    assert seconds < ANSWER_BOUND_SECONDS


def test_healthz_answers_within_a_second_when_database_and_broker_both_hang(client, database_port, settings):
    with black_hole() as database, black_hole() as broker:
        database_port(database)
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{broker}/0"

        response, seconds = timed_healthz(client)

    assert response.status_code == 503
    assert set(response.json()) == {"database", "broker"}
    assert all(status.startswith("down") for status in response.json().values())
    assert seconds < ANSWER_BOUND_SECONDS


def test_healthz_is_ok_again_once_a_hung_database_is_back(client, database_port):
    real_port = connections.settings["default"]["PORT"]
    with black_hole() as port:
        database_port(port)
        assert client.get("/healthz").status_code == 503
    database_port(real_port)

    response = client.get("/healthz")

    assert response.status_code == 200
