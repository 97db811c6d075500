"""DONATION_RATE_LIMIT: attempts per client address, against card testing."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from core import rate_limit
from core.rate_limit import parse_rate, seconds_until_allowed
from donations.models import Donation
from tests.gifts import gift_body, give

pytestmark = pytest.mark.django_db


def test_attempts_over_the_limit_get_429_with_retry_after_and_charge_nothing(client, campaign, settings):
    settings.DONATION_RATE_LIMIT = "2/m"

    answers = [give(client, gift_body(donor__email=f"d{n}@example.org")) for n in range(3)]

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].json()["error"]["code"] == "rate_limited"
    assert 1 <= int(answers[2]["Retry-After"]) <= 60
    assert Donation.objects.count() == 2


def test_invalid_attempts_count_too(client, campaign, settings):
    settings.DONATION_RATE_LIMIT = "2/m"

    for _ in range(2):
        give(client, gift_body(amount_minor=-1))

    assert give(client).status_code == 429


def test_each_client_address_has_its_own_allowance(client, campaign, settings):
    settings.DONATION_RATE_LIMIT = "1/m"

    assert give(client, REMOTE_ADDR="203.0.113.1").status_code == 201
    assert give(client, REMOTE_ADDR="203.0.113.1").status_code == 429
    assert give(client, gift_body(donor__email="b@example.org"), REMOTE_ADDR="203.0.113.2").status_code == 201


@pytest.mark.parametrize(
    "rate, expected", [("10/m", (10, 60)), ("3/s", (3, 1)), (" 100 / h ", (100, 3600)), ("30/10m", (30, 600))]
)
def test_rates_parse(rate, expected):
    assert parse_rate(rate) == expected


@pytest.mark.parametrize("rate", ["", "10", "ten/m", "10/week", "0/m", "-1/m", "30/0m", "30/1.5m"])
def test_malformed_rate_is_refused_at_start_up(rate):
    with pytest.raises(ImproperlyConfigured, match="10/m"):
        parse_rate(rate)


def test_one_email_address_is_limited_across_client_addresses(client, campaign, settings):
    settings.DONATION_EMAIL_RATE_LIMIT = "2/h"

    answers = [give(client, REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(3)]

    assert answers == [201, 201, 429]
    assert give(client, gift_body(donor__email="other@example.org"), REMOTE_ADDR="198.51.100.9").status_code == 201


def test_filled_honeypot_is_refused_and_charges_nothing(client, campaign):
    response = give(client, gift_body(website="http://spam.example"))

    assert response.status_code == 400
    assert "automated" in response.json()["errors"]["__all__"][0]
    assert not Donation.objects.exists()


def _window_key(scope: str, identity: str, window: int) -> str:
    return f"rate:{scope}:{identity}:{int(rate_limit.time.time() // window)}"


def test_counting_an_attempt_is_one_redis_round_trip(monkeypatch):
    seconds_until_allowed(scope="test", identity="a", rate="5/m")  # loads the script into Redis
    redis_client = cache._cache.get_client(write=True)
    sent = []
    send = redis_client.execute_command
    monkeypatch.setattr(redis_client, "execute_command", lambda *args, **kwargs: sent.append(args) or send(*args))

    seconds_until_allowed(scope="test", identity="a", rate="5/m")

    assert len(sent) == 1


def test_a_window_counter_expires_with_its_window_and_later_attempts_keep_that_expiry():
    redis_client = cache._cache.get_client(write=True)
    key = _window_key("test", "a", 60)
    stored_as = cache.make_key(key)

    seconds_until_allowed(scope="test", identity="a", rate="2/m")
    assert 0 < redis_client.ttl(stored_as) <= 60
    redis_client.expire(stored_as, 5)
    seconds_until_allowed(scope="test", identity="a", rate="2/m")

    assert 0 < redis_client.ttl(stored_as) <= 5
    assert cache.get(key) == 2
    assert seconds_until_allowed(scope="test", identity="a", rate="2/m") > 0
