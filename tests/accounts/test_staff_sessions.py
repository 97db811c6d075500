"""The admin's login is rate limited like the site's, and staff sessions
end after STAFF_SESSION_IDLE_SECONDS without a request."""

import time

import pytest
from django.test import Client

from accounts.middleware import LAST_SEEN_SESSION_KEY
from tests.auth import log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-passphrase"


@pytest.fixture
def staff(db):
    return UserFactory(email="stella@example.org", is_staff=True, is_superuser=True)


def test_admin_login_answers_429_past_the_login_limit_even_with_the_right_password(client, settings, staff):
    settings.LOGIN_RATE_LIMIT = "3/m"
    for _ in range(3):
        assert client.post("/admin/login/", {"username": staff.username, "password": "guess"}).status_code == 200

    response = client.post("/admin/login/?next=/admin/", {"username": staff.username, "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many login attempts. Try again in" in response.content.decode()
    assert 'action="/admin/login/?next=/admin/"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_admin_login_and_the_site_login_count_together(client, settings, staff):
    settings.LOGIN_RATE_LIMIT = "3/m"
    for n in range(3):
        login_page = "/admin/login/" if n % 2 else "/accounts/login/"
        client.post(login_page, {"username": staff.username, "password": "guess"}, REMOTE_ADDR=f"10.0.0.{n}")

    response = client.post("/admin/login/", {"username": staff.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")

    assert response.status_code == 429


def test_the_admin_login_still_logs_staff_in_and_then_asks_for_the_second_factor(client, staff):
    response = client.post("/admin/login/?next=/admin/", {"username": staff.username, "password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/")["Location"] == "/accounts/two-factor/?next=%2Fadmin%2F"


def idle_for(client, seconds: float) -> None:
    session = client.session
    session[LAST_SEEN_SESSION_KEY] = time.time() - seconds
    session.save()


def test_a_staff_session_idle_past_the_limit_is_logged_out_while_a_fundraisers_is_not(settings, staff):
    settings.STAFF_SESSION_IDLE_SECONDS = 1800
    staff_client = log_in(Client(), staff)
    fundraiser_client = log_in(Client(), UserFactory(email="ada@example.org"))
    idle_for(staff_client, 1801)
    idle_for(fundraiser_client, 14 * 86400 - 60)

    staff_page = staff_client.get("/admin/")
    fundraiser_page = fundraiser_client.get("/accounts/")

    assert staff_page.status_code == 302 and staff_page["Location"].startswith("/admin/login/")
    assert "_auth_user_id" not in staff_client.session
    assert "after 30 minutes without activity" in staff_client.get(staff_page["Location"]).content.decode()
    assert fundraiser_page.status_code == 200
    assert "_auth_user_id" in fundraiser_client.session


def test_a_staff_session_in_use_stays_logged_in_and_its_clock_starts_again(settings, staff):
    settings.STAFF_SESSION_IDLE_SECONDS = 1800
    staff_client = log_in(Client(), staff)
    idle_for(staff_client, 1790)

    assert staff_client.get("/admin/").status_code == 200
    assert time.time() - staff_client.session[LAST_SEEN_SESSION_KEY] < 5
