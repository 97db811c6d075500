"""Client addresses for the rate limits, behind TRUSTED_PROXY_COUNT
reverse proxies that append to X-Forwarded-For (nginx's
$proxy_add_x_forwarded_for): what a client writes in the header never
picks its bucket, and donors behind one proxy are counted apart."""

import pytest
from django.test import RequestFactory

from core.rate_limit import client_address
from tests.gifts import gift_body, give

PROXY = "10.0.0.2"  # nginx, as gunicorn sees it


def address(*, forwarded_for: str | None = None, remote_addr: str = PROXY) -> str:
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client_address(RequestFactory().post("/", **headers))


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert address(forwarded_for="198.51.100.9", remote_addr="203.0.113.5") == "203.0.113.5"


@pytest.mark.parametrize(
    "forwarded_for, expected",
    [
        ("203.0.113.5", "203.0.113.5"),
        # The client sent "X-Forwarded-For: 198.51.100.9"; nginx appended what it saw.
        ("198.51.100.9, 203.0.113.5", "203.0.113.5"),
        ("1.1.1.1,2.2.2.2 , 203.0.113.5", "203.0.113.5"),
    ],
)
def test_one_trusted_proxy_means_the_rightmost_entry(settings, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = 1

    assert address(forwarded_for=forwarded_for) == expected


def test_two_trusted_proxies_mean_the_second_entry_from_the_right(settings):
    """A load balancer saw the client; nginx saw the load balancer."""
    settings.TRUSTED_PROXY_COUNT = 2

    assert address(forwarded_for="198.51.100.9, 203.0.113.5, 10.0.0.1") == "203.0.113.5"


def test_fewer_entries_than_proxies_fall_back_to_the_leftmost_and_no_header_to_remote_addr(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    assert address(forwarded_for="10.0.0.1") == "10.0.0.1"
    assert address(forwarded_for="") == PROXY
    assert address() == PROXY


@pytest.mark.django_db
def test_forged_forwarded_for_entries_cannot_move_a_donor_to_a_fresh_bucket(client, campaign, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.DONATION_RATE_LIMIT = "2/m"

    def attempt(n: int, forged: str):
        body = gift_body(donor__email=f"tester{n}@example.org")
        return give(client, body, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{forged}203.0.113.5")

    answers = [attempt(n, forged) for n, forged in enumerate(["", "198.51.100.1, ", "198.51.100.2, 10.9.9.9, "])]

    assert [a.status_code for a in answers] == [201, 201, 429]


@pytest.mark.django_db
def test_two_donors_behind_one_proxy_have_separate_buckets(client, campaign, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.DONATION_RATE_LIMIT = "1/m"

    def attempt(donor_address: str, email: str):
        body = gift_body(donor__email=email)
        return give(client, body, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=donor_address)

    assert attempt("203.0.113.5", "ada@example.org").status_code == 201
    assert attempt("198.51.100.7", "bo@example.org").status_code == 201
    assert attempt("203.0.113.5", "cy@example.org").status_code == 429


@pytest.mark.django_db
def test_logins_are_limited_per_donor_behind_the_proxy_too(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_RATE_LIMIT = "1/m"

    def log_in(donor_address: str, email: str):
        data = {"username": email, "password": "wrong"}
        return client.post("/accounts/login/", data, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=donor_address)

    assert log_in("203.0.113.5", "ada@example.org").status_code == 200
    assert log_in("198.51.100.7", "bo@example.org").status_code == 200
    assert log_in("6.6.6.6, 203.0.113.5", "cy@example.org").status_code == 429
