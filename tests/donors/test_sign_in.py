"""Signing in to the donor portal by an emailed link: the same answer for
every address, a link that works once and for DONOR_SIGN_IN_LINK_MINUTES,
the limits per client address and per address typed, and the session it
opens (a browser-session cookie that ends after an idle hour)."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from donors import session
from donors.models import SignInLink
from donors.services import sign_in
from tests import factories
from tests.auth import sign_in_donor
from tests.donors.conftest import link_in
from tests.locks import wait_for_lock_waiters

pytestmark = pytest.mark.django_db


def test_a_known_and_an_unknown_address_get_the_same_answer_and_only_the_donor_gets_an_email(
    ask_for_link, donor, mailoutbox
):
    known = ask_for_link("Ada@Example.org")
    unknown = ask_for_link("nobody@example.org")

    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert [message.to for message in mailoutbox] == [["ada@example.org"]]
    [message] = mailoutbox
    assert "works once, within 30 minutes" in message.body
    assert link_in(message).startswith("/donor/sign-in/")
    assert SignInLink.objects.get().donor == donor


def test_a_used_link_opened_again_in_the_browser_it_signed_in_goes_to_the_portal(client, donor):
    link = SignInLink.objects.create(donor=donor, expires_at=timezone.now() + timedelta(minutes=5))
    path = f"/donor/sign-in/{sign_in.token_for(link)}/"
    assert client.get(path).status_code == 302

    again = client.get(path)

    assert again.status_code == 302 and again["Location"] == "/donor/"
    # Signed in as someone else, the same used link is refused.
    other = Client()
    sign_in_donor(other, factories.DonorFactory(email="bo@example.org"))
    assert other.get(path).status_code == 410


def test_the_link_signs_the_donor_in_and_brings_them_to_the_portal(client, ask_for_link, donor, mailoutbox):
    ask_for_link(donor.email)

    response = client.get(link_in(mailoutbox[0]))

    assert response.status_code == 302 and response["Location"] == "/donor/"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    portal = client.get("/donor/")
    assert portal.status_code == 200
    assert "Signed in as ada@example.org" in portal.content.decode()


def test_the_database_alone_gives_no_usable_link(client, donor):
    link = SignInLink.objects.create(donor=donor, expires_at=timezone.now() + timedelta(minutes=5))

    # Its public id, as the row holds it, with or without a made-up signature.
    for token in (link.public_id.hex, str(link.public_id), f"{link.public_id.hex}.forged"):
        response = client.get(f"/donor/sign-in/{token}/")
        assert response.status_code == 404, token
        assert "This link is not valid" in response.content.decode()
    link.refresh_from_db()
    assert link.used_at is None
    assert session.SESSION_KEY not in client.session


def test_a_used_link_fails_with_a_clear_page_and_the_form_for_a_new_one(ask_for_link, donor, mailoutbox):
    ask_for_link(donor.email)
    path = link_in(mailoutbox[0])
    assert Client().get(path).status_code == 302

    other_browser = Client()
    response = other_browser.get(path)

    assert response.status_code == 410
    page = response.content.decode()
    assert "This link was already used" in page
    assert 'action="/donor/sign-in/"' in page and 'name="email"' in page
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert session.SESSION_KEY not in other_browser.session


def test_a_link_works_for_the_minutes_the_setting_gives_and_fails_after(client, ask_for_link, donor, mailoutbox):
    before = timezone.now()
    ask_for_link(donor.email)
    link = SignInLink.objects.get()
    assert before + timedelta(minutes=30) <= link.expires_at <= timezone.now() + timedelta(minutes=30)
    SignInLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get(link_in(mailoutbox[0]))

    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert session.SESSION_KEY not in client.session
    link.refresh_from_db()
    assert link.used_at is None


def test_an_erased_donor_gets_no_link_and_an_earlier_link_no_longer_signs_them_in(ask_for_link, donor, mailoutbox):
    earlier = SignInLink.objects.create(donor=donor, expires_at=timezone.now() + timedelta(minutes=5))
    donor.erased_at = timezone.now()
    donor.save(update_fields=["erased_at"])

    response = ask_for_link(donor.email)

    assert response.status_code == 202
    assert mailoutbox == []
    assert SignInLink.objects.filter(donor=donor).count() == 1
    assert Client().get(f"/donor/sign-in/{sign_in.token_for(earlier)}/").status_code == 404


def test_a_link_used_or_expired_before_its_email_went_out_is_not_sent(donor, mailoutbox):
    link = SignInLink.objects.create(donor=donor, expires_at=timezone.now() - timedelta(seconds=1))

    assert sign_in.send_link(link_id=link.pk) is False
    assert mailoutbox == []


def test_the_email_task_run_twice_sends_one_email(donor, mailoutbox):
    link = SignInLink.objects.create(donor=donor, expires_at=timezone.now() + timedelta(minutes=5))

    assert sign_in.send_link(link_id=link.pk) is True
    assert sign_in.send_link(link_id=link.pk) is False
    [message] = mailoutbox
    assert message.extra_headers["Message-ID"].startswith(f"<sign-in-{link.public_id}@")


def test_next_is_carried_through_the_link_and_another_sites_address_is_dropped(
    client, donor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/donor/sign-in/", {"email": donor.email, "next": "/donor/preferences/"})
        client.post("/donor/sign-in/", {"email": donor.email, "next": "https://evil.example/donor/"})

    first, second = (link_in(message) for message in mailoutbox)
    assert Client().get(first)["Location"] == "/donor/preferences/"
    assert Client().get(second)["Location"] == "/donor/"


def test_the_sign_in_page_asks_for_an_email_and_shows_the_same_page_for_every_address(client, donor, mailoutbox):
    page = client.get("/donor/sign-in/?next=/donor/")
    assert page.status_code == 200
    assert '<label for="id_email">Your email address' in page.content.decode()
    assert 'name="next" value="/donor/"' in page.content.decode()

    known = client.post("/donor/sign-in/", {"email": donor.email})
    unknown = client.post("/donor/sign-in/", {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 200
    assert "Check your email" in known.content.decode()
    assert known.content == unknown.content


def test_the_sign_in_page_refuses_an_invalid_address_with_a_message(client):
    response = client.post("/donor/sign-in/", {"email": "not-an-address"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid email address." in page
    assert 'aria-invalid="true"' in page


@pytest.mark.parametrize(
    "body, field",
    [
        (b"not json", "__all__"),
        (b"[]", "__all__"),
        (b"{}", "email"),
        (b'{"email": "not-an-address"}', "email"),
        (b'{"email": 42}', "email"),
    ],
)
def test_the_api_answers_400_with_a_message_to_a_malformed_body_or_address(client, body, field, mailoutbox):
    response = client.post("/api/donor-sign-in/", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][field][0]
    assert mailoutbox == []


def test_past_the_limit_per_client_address_the_answer_is_429_for_known_and_unknown_alike(
    settings, ask_for_link, donor, mailoutbox
):
    settings.DONOR_SIGN_IN_CLIENT_RATE_LIMIT = "2/h"
    assert ask_for_link("nobody@example.org").status_code == 202
    assert ask_for_link("someone@example.org").status_code == 202

    known = ask_for_link(donor.email)
    unknown = ask_for_link("nobody2@example.org")
    from_elsewhere = ask_for_link(donor.email, REMOTE_ADDR="10.0.0.7")

    assert known.status_code == unknown.status_code == 429
    assert known.content == unknown.content
    assert int(known["Retry-After"]) > 0
    assert from_elsewhere.status_code == 202
    assert len(mailoutbox) == 1


def test_past_the_limit_per_address_typed_the_answer_is_still_202_but_no_email_is_sent(
    settings, ask_for_link, donor, mailoutbox
):
    settings.DONOR_SIGN_IN_RATE_LIMIT = "2/h"
    answers = [ask_for_link(donor.email, REMOTE_ADDR=f"10.0.0.{n}") for n in range(4)]

    assert [answer.status_code for answer in answers] == [202, 202, 202, 202]
    assert len({answer.content for answer in answers}) == 1
    assert len(mailoutbox) == 2
    assert SignInLink.objects.count() == 2


def test_the_page_and_the_api_count_against_one_limit_per_client_address(settings, client, ask_for_link):
    settings.DONOR_SIGN_IN_CLIENT_RATE_LIMIT = "1/h"
    assert client.post("/donor/sign-in/", {"email": "a@example.org"}).status_code == 200

    over = client.post("/donor/sign-in/", {"email": "b@example.org"})

    assert over.status_code == 429
    assert "Too many requests for a link" in over.content.decode()
    assert ask_for_link("c@example.org").status_code == 429


@pytest.mark.django_db(transaction=True)
def test_two_uses_of_one_link_at_once_sign_in_once(donor):
    link = SignInLink.objects.create(donor=donor, expires_at=timezone.now() + timedelta(minutes=5))
    path = f"/donor/sign-in/{sign_in.token_for(link)}/"
    answers = []

    def click():
        try:
            answers.append(Client().get(path).status_code)
        finally:
            connection.close()

    # Both requests queue on the row's lock, held here, then run as one
    # commits: a check made before the lock would let both in.
    with ThreadPoolExecutor(max_workers=2) as pool:
        with transaction.atomic():
            SignInLink.objects.select_for_update().get(pk=link.pk)
            futures = [pool.submit(click), pool.submit(click)]
            wait_for_lock_waiters(2)
        for future in futures:
            future.result(timeout=30)

    assert sorted(answers) == [302, 410]
    assert SignInLink.objects.get().used_at is not None


def test_the_session_cookie_ends_with_the_browser(client, donor):
    link = SignInLink.objects.create(donor=donor, expires_at=timezone.now() + timedelta(minutes=5))

    response = client.get(f"/donor/sign-in/{sign_in.token_for(link)}/")

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value
    assert (cookie["expires"], cookie["max-age"]) == ("", "")
    assert cookie["httponly"]


def test_the_session_ends_after_an_idle_hour_and_a_request_within_it_keeps_it(client, donor, monkeypatch):
    factories.DonationFactory(donor=donor, succeeded=True)
    link = SignInLink.objects.create(donor=donor, expires_at=timezone.now() + timedelta(minutes=5))
    client.get(f"/donor/sign-in/{sign_in.token_for(link)}/")
    now = time.time()

    def clock_at(seconds_later):
        monkeypatch.setattr(session, "time", SimpleNamespace(time=lambda: now + seconds_later))

    clock_at(59 * 60)
    assert client.get("/donor/").status_code == 200
    clock_at(59 * 60 + 3599)
    assert client.get("/api/donors/me/").status_code == 200
    clock_at(59 * 60 + 3599 + 3601)
    idle = client.get("/donor/")

    assert idle.status_code == 302 and idle["Location"] == "/donor/sign-in/?next=/donor/"
    assert client.get("/api/donors/me/").status_code == 401


def test_signing_out_ends_the_donor_session_and_needs_the_csrf_token(donor):
    browser = Client(enforce_csrf_checks=True)
    link = SignInLink.objects.create(donor=donor, expires_at=timezone.now() + timedelta(minutes=5))
    browser.get(f"/donor/sign-in/{sign_in.token_for(link)}/")
    page = browser.get("/donor/").content.decode()
    assert 'action="/donor/sign-out/"' in page

    assert browser.post("/donor/sign-out/").status_code == 403
    assert browser.get("/donor/").status_code == 200
    signed_out = browser.post("/donor/sign-out/", {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})

    assert signed_out.status_code == 302
    assert "You are signed out." in browser.get(signed_out["Location"]).content.decode()
    assert browser.get("/donor/").status_code == 302
