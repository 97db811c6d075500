"""Sign up, log in with an email in any case, rate-limited logins, log out
and password reset by email."""

import re

import pytest
from django.contrib.auth import get_user_model

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-passphrase"
SIGNUP = {
    "email": "Nia.Jones@Example.org",
    "first_name": "Nia",
    "last_name": "Jones",
    "password1": "dress-for-freedom-42",
    "password2": "dress-for-freedom-42",
}


def test_signing_up_makes_an_unverified_account_named_by_the_lower_cased_email(client, mailoutbox):
    response = client.post("/accounts/signup/", SIGNUP)

    assert response.status_code == 302 and response["Location"] == "/accounts/signup/sent/"
    user = get_user_model().objects.get()
    assert (user.username, user.email, user.first_name) == ("nia.jones@example.org", "nia.jones@example.org", "Nia")
    assert user.email_verified_at is None
    assert [message.to for message in mailoutbox] == [["nia.jones@example.org"]]
    assert "Check your email" in client.get(response["Location"]).content.decode()


def test_signing_up_keeps_a_safe_next_page_only_for_signing_in(client):
    kept = client.post("/accounts/signup/", {**SIGNUP, "next": "/campaigns/x/start/"})
    dropped = client.post("/accounts/signup/", {**SIGNUP, "email": "b@example.org", "next": "https://evil.example/"})

    assert kept["Location"] == "/accounts/signup/sent/?next=%2Fcampaigns%2Fx%2Fstart%2F"
    assert dropped["Location"] == "/accounts/signup/sent/"
    assert "/accounts/login/?next=/campaigns/x/start/" in client.get(kept["Location"]).content.decode()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"password2": "something-else-42"}, "The two passwords differ."),
        ({"password1": "short", "password2": "short"}, "This password is too short"),
        ({"password1": "eleven-char", "password2": "eleven-char"}, "It must contain at least 12 characters."),
        ({"password1": "nia.jones.example", "password2": "nia.jones.example"}, "too similar"),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"first_name": "x" * 101}, "at most 100 characters"),
        ({"email": "a" * 140 + "@example.org"}, "at most 150 characters"),
    ],
)
def test_bad_sign_ups_are_refused_with_a_message(client, change, message):
    UserFactory(email="person@example.org")

    response = client.post("/accounts/signup/", {**SIGNUP, **change})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert get_user_model().objects.count() == 1


def test_log_in_with_the_email_in_any_case(client):
    UserFactory(email="casey@example.org")

    response = client.post("/accounts/login/", {"username": "  Casey@EXAMPLE.org ", "password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/accounts/"


def test_a_wrong_password_is_refused_with_a_message(client):
    UserFactory(email="casey@example.org")

    response = client.post("/accounts/login/", {"username": "casey@example.org", "password": "wrong"})

    assert response.status_code == 200
    assert "That email and password do not match an account." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_attempts_over_the_limit_are_refused_even_with_the_right_password(client, settings):
    settings.LOGIN_RATE_LIMIT = "3/m"
    UserFactory(email="casey@example.org")
    for _ in range(3):
        client.post("/accounts/login/", {"username": "casey@example.org", "password": "guess"})

    response = client.post("/accounts/login/", {"username": "casey@example.org", "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many login attempts. Try again in" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_login_limit_also_counts_per_account_across_addresses(client, settings):
    settings.LOGIN_RATE_LIMIT = "3/m"
    UserFactory(email="casey@example.org")
    for n in range(3):
        client.post(
            "/accounts/login/", {"username": "casey@example.org", "password": "guess"}, REMOTE_ADDR=f"10.0.0.{n}"
        )

    response = client.post(
        "/accounts/login/", {"username": "CASEY@example.org", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )

    assert response.status_code == 429


def test_log_out_takes_a_post(client):
    client.force_login(UserFactory())

    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_emails_a_one_time_link_that_sets_a_new_password(client, mailoutbox, settings):
    settings.SITE_URL = "http://testserver"
    UserFactory(email="casey@example.org")

    response = client.post("/accounts/password-reset/", {"email": "Casey@Example.org"})

    assert response["Location"] == "/accounts/password-reset/sent/"
    [mail] = mailoutbox
    assert mail.to == ["casey@example.org"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.body).group(1)
    form_page = client.get(link, follow=True)
    new_password = {"new_password1": "brand-new-passphrase-7", "new_password2": "brand-new-passphrase-7"}
    done = client.post(form_page.redirect_chain[-1][0], new_password)
    assert done["Location"] == "/accounts/reset/done/"
    assert client.login(username="CASEY@example.org", password="brand-new-passphrase-7")
    client.logout()
    again = client.get(link, follow=True)
    assert "This link has expired or was already used" in again.content.decode()


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client, mailoutbox):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.org"})

    assert response["Location"] == "/accounts/password-reset/sent/"
    assert mailoutbox == []


def test_password_reset_requests_are_rate_limited(client, settings, mailoutbox):
    settings.LOGIN_RATE_LIMIT = "2/m"
    UserFactory(email="casey@example.org")
    for _ in range(2):
        client.post("/accounts/password-reset/", {"email": "casey@example.org"})

    response = client.post("/accounts/password-reset/", {"email": "casey@example.org"})

    assert response.status_code == 429 and len(mailoutbox) == 2


def test_my_pages_lists_my_fundraisers_and_the_teams_i_captain(client, team, fundraiser):
    person = UserFactory(email="ada@example.org")
    fundraiser.owner = person
    fundraiser.save()
    team.captains.add(person)
    client.force_login(person)

    page = client.get("/accounts/").content.decode()

    assert "/campaigns/dressember-2026/fundraisers/ada-lee/manage/" in page
    assert "/campaigns/dressember-2026/teams/freedom-threads/manage/" in page


def test_my_pages_needs_an_account(client, db):
    assert client.get("/accounts/")["Location"] == "/accounts/login/?next=/accounts/"
