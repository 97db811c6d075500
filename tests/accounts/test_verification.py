"""Sign-up tells a visitor nothing about who has an account, is throttled
per client address, and an account's email is confirmed by a signed link
that works once and expires."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts import tasks, verification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "nia.jones@example.org",
    "first_name": "Nia",
    "last_name": "Jones",
    "password1": "dress-for-freedom-42",
    "password2": "dress-for-freedom-42",
}
THREE_DAYS = 3 * 86400


def link_in(mail) -> str:
    return re.search(r"http://testserver/accounts/verify/\S+/", mail.body).group(0)


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def test_sign_up_answers_the_same_for_a_known_and_an_unknown_address(client, mailoutbox):
    known = UserFactory(email="known@example.org")
    password_before = known.password

    for_known = client.post("/accounts/signup/", {**SIGNUP, "email": "Known@Example.org"})
    for_unknown = client.post("/accounts/signup/", SIGNUP)

    assert (for_known.status_code, for_known["Location"]) == (for_unknown.status_code, for_unknown["Location"])
    assert for_known.cookies.keys() == for_unknown.cookies.keys()
    assert "_auth_user_id" not in client.session
    known.refresh_from_db()
    assert known.password == password_before and known.first_name != "Nia"
    assert get_user_model().objects.count() == 2
    note, welcome = mailoutbox
    assert note.to == ["known@example.org"] and "already has an account" in note.body
    assert "/accounts/login/" in note.body and "/accounts/password-reset/" in note.body
    assert "/accounts/verify/" not in note.body
    assert welcome.to == ["nia.jones@example.org"] and link_in(welcome)


def test_sign_up_is_throttled_per_client_address(client, settings, mailoutbox):
    settings.SIGNUP_RATE_LIMIT = "2/h"
    for number in range(2):
        assert client.post("/accounts/signup/", {**SIGNUP, "email": f"person{number}@example.org"}).status_code == 302

    refused = client.post("/accounts/signup/", {**SIGNUP, "email": "person2@example.org"})

    assert refused.status_code == 429 and "Too many sign-ups" in refused.content.decode()
    assert get_user_model().objects.count() == 2 and len(mailoutbox) == 2


def test_an_unverified_account_can_sign_in(client):
    client.post("/accounts/signup/", SIGNUP)

    response = client.post("/accounts/login/", {"username": SIGNUP["email"], "password": SIGNUP["password1"]})

    assert response.status_code == 302 and response["Location"] == "/accounts/"


def test_the_verification_link_works_once(client, mailoutbox):
    client.post("/accounts/signup/", SIGNUP)
    link = link_in(mailoutbox[0])
    user = get_user_model().objects.get()

    opened = client.get(link)
    user.refresh_from_db()
    assert opened.status_code == 200 and "Confirm my email address" in opened.content.decode()
    assert user.email_verified_at is None  # a mail scanner opening the link confirms nothing

    confirmed = client.post(link)
    user.refresh_from_db()
    verified_at = user.email_verified_at
    assert confirmed.status_code == 302 and confirmed["Location"] == "/accounts/login/"
    assert verified_at is not None

    again = client.post(link)
    user.refresh_from_db()
    assert again.status_code == 400 and "already been used" in again.content.decode()
    assert user.email_verified_at == verified_at


@pytest.mark.parametrize(("age", "works"), [(THREE_DAYS - 60, True), (THREE_DAYS + 60, False)])
def test_the_verification_link_expires_after_three_days(client, monkeypatch, age, works):
    user = UserFactory(unverified=True)
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda signer: signing.b62_encode(int(time.time()) - age))
    token = verification.verification_token(user)
    monkeypatch.undo()

    response = client.post(f"/accounts/verify/{token}/")

    user.refresh_from_db()
    assert (user.email_verified_at is not None) is works
    if not works:
        assert response.status_code == 400 and "expired" in response.content.decode()


def test_a_link_for_an_address_since_changed_or_tampered_with_confirms_nothing(client):
    user = UserFactory(unverified=True, email="old@example.org")
    token = verification.verification_token(user)
    forged = verification.verification_token(UserFactory(unverified=True)).replace(":", ":x", 1)
    user.email = user.username = "new@example.org"
    user.save()

    for bad in (token, forged):
        response = client.post(f"/accounts/verify/{bad}/")
        assert response.status_code == 400 and "not valid" in response.content.decode()
    assert not get_user_model().objects.filter(email_verified_at__isnull=False).exists()


def test_an_unverified_person_can_send_the_link_again_within_the_limit(client, settings, mailoutbox):
    settings.SIGNUP_RATE_LIMIT = "2/h"
    user = UserFactory(unverified=True)
    client.force_login(user)

    page = client.get("/accounts/verify/")
    sent = [client.post("/accounts/verify/").status_code for _ in range(2)]
    refused = client.post("/accounts/verify/")

    assert "Send me the link again" in page.content.decode()
    assert sent == [302, 302] and refused.status_code == 429
    assert len(mailoutbox) == 2 and all(mail.to == [user.email] for mail in mailoutbox)
    client.post(link_in(mailoutbox[-1]))
    user.refresh_from_db()
    assert user.email_verified_at is not None


def test_password_reset_queues_the_same_work_for_a_known_and_an_unknown_address(client, monkeypatch):
    UserFactory(email="casey@example.org")
    queued = []
    monkeypatch.setattr(tasks.send_password_reset, "delay", lambda **kwargs: queued.append(kwargs))

    answers = [client.post("/accounts/password-reset/", {"email": email}) for email in ("casey@example.org", "x@y.org")]

    assert [answer["Location"] for answer in answers] == ["/accounts/password-reset/sent/"] * 2
    assert queued == [{"email": "casey@example.org"}, {"email": "x@y.org"}]


@pytest.mark.django_db(transaction=True)
def test_accounts_made_before_verification_existed_are_marked_verified():
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0001_initial")])
    old_user_model = executor.loader.project_state([("accounts", "0001_initial")]).apps.get_model("accounts", "User")
    old_user_model.objects.create(username="captain@example.org", email="captain@example.org")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert get_user_model().objects.get(username="captain@example.org").email_verified_at is not None
    assert UserFactory(unverified=True).email_verified_at is None
