"""Shared fixtures: a localstripe process for the whole run, and the demo
campaign's building blocks."""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.cache import cache

from tests import factories

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, *, timeout: float = 30, headers: dict | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="session")
def localstripe_url():
    """A fresh, in-memory localstripe on its own port for this test run."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "localstripe_server.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/v1/customers", headers={"Authorization": "Bearer sk_test_wait"})
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(autouse=True)
def _stripe_is_localstripe(settings, localstripe_url):
    settings.STRIPE_API_BASE = localstripe_url


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit windows live in the cache: each test starts with none."""
    cache.clear()


@pytest.fixture
def funds(db):
    return {
        slug: factories.FundFactory(slug=slug, name=name)
        for slug, name in (("rescue", "Rescue"), ("aftercare", "Aftercare"), ("general", "Where most needed"))
    }


@pytest.fixture
def campaign(funds):
    return factories.CampaignFactory(slug="dressember-2026", title="Dressember 2026")


@pytest.fixture
def team(campaign):
    return factories.TeamFactory(campaign=campaign, slug="freedom-threads", name="Freedom Threads")


@pytest.fixture
def fundraiser(team):
    return factories.FundraiserFactory(campaign=team.campaign, team=team, slug="ada-lee", name="Ada's Dressember")


@pytest.fixture
def deliver_events(client, django_capture_on_commit_callbacks):
    """Post signed Stripe events to the webhook, processing each after its
    request commits, as the worker would."""
    from tests.stripe_events import post_event

    def deliver(*events):
        with django_capture_on_commit_callbacks(execute=True):
            for stripe_event in events:
                assert post_event(client, stripe_event).status_code == 200

    return deliver
