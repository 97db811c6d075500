"""Shared fixtures: Stripe (the in-memory fake for every test, localstripe
for the tests marked as needing the real thing), and the demo campaign's
building blocks."""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from core import rate_limit, task_queue
from finance.services.permissions import FINANCE_GROUP
from payments import stripe as stripe_gateway
from tests import factories
from tests.auth import log_in
from tests.fakes.stripe import FakeStripe
from tests.migrating import migrate

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


# Tests marked with one of these talk to localstripe; every other test to
# the in-memory fake, so that the unit suite starts no Stripe at all.
LOCALSTRIPE_MARKERS = ("stripe_contract", "integration", "e2e", "reliability")
# Nothing listens there: a call that went around the fake fails at once.
NO_STRIPE_HERE = "http://127.0.0.1:9"


def uses_localstripe(item: pytest.Item) -> bool:
    return any(item.get_closest_marker(name) for name in LOCALSTRIPE_MARKERS)


@pytest.fixture(scope="session")
def _localstripe_process():
    """A fresh, in-memory localstripe on its own port, started the first
    time a marked test asks for it and kept for the rest of the run."""
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


@pytest.fixture
def localstripe_url(request):
    if not uses_localstripe(request.node):
        pytest.fail(
            f"{request.node.nodeid} asks for localstripe but is not marked "
            f"{' / '.join(LOCALSTRIPE_MARKERS)}: unit tests use the `fake_stripe` fixture "
            "(tests/fakes/stripe.py); mark the test if its point is how Stripe itself behaves.",
            pytrace=False,
        )
    return request.getfixturevalue("_localstripe_process")


@pytest.fixture
def localstripe_webhooks_to(localstripe_url):
    """`localstripe_webhooks_to(url)`: localstripe delivers its events to
    `url`, signed with our secret, for this test only. Its registration
    outlives the test, so afterwards it is pointed where nothing listens:
    no later test (nor the session's live server) hears of this one's
    events."""
    from tests.localstripe import send_webhooks_to

    yield send_webhooks_to
    send_webhooks_to(f"{NO_STRIPE_HERE}/")


@pytest.fixture
def fake_stripe(monkeypatch):
    """The in-memory Stripe, in place of every call of payments.stripe."""
    fake = FakeStripe()
    for name in stripe_gateway.CALLS:
        monkeypatch.setattr(stripe_gateway, name, getattr(fake, name))
    return fake


@pytest.fixture(autouse=True)
def _stripe(request, settings):
    if uses_localstripe(request.node):
        settings.STRIPE_API_BASE = request.getfixturevalue("localstripe_url")
    else:
        settings.STRIPE_API_BASE = NO_STRIPE_HERE
        request.getfixturevalue("fake_stripe")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit windows live in the cache: each test starts with none,
    and no wake of a task a test before it made is remembered."""
    cache.clear()
    task_queue._asked_at.clear()


@pytest.fixture(autouse=True)
def _rate_limit_clock(monkeypatch):
    """Rate limits count in fixed windows of the clock; a test whose
    requests straddled a window's end would see its count start again.
    Their clock stands still, one second into a day (and so into a window
    of any length)."""
    start_of_a_window = int(time.time() // 86400) * 86400 + 1
    monkeypatch.setattr(rate_limit, "time", SimpleNamespace(time=lambda: start_of_a_window))


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's superuser's client, with the second factor the admin
    asks for given."""
    return log_in(client, admin_user)


@pytest.fixture
def finance_user(db):
    """The finance team's member, who may see every finance page."""
    user = factories.UserFactory(email="fiona@example.org", first_name="Fiona", last_name="Finance", is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE_GROUP))
    return user


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
def make_gift(campaign, funds, django_capture_on_commit_callbacks):
    """A paid gift from Ada (with a postal address) to the aftercare fund,
    through the ledger's services: counted, receipted, its receipt sent
    (on-commit callbacks run, Celery is eager) unless told otherwise.
    `donor__...` sets the donor; other fields go to DonationFactory."""

    def make(*, send_receipt: bool = True, fund: str = "aftercare", **fields):
        donor = {name.removeprefix("donor__"): fields.pop(name) for name in list(fields) if name.startswith("donor__")}
        with django_capture_on_commit_callbacks(execute=send_receipt):
            return factories.DonationFactory(
                succeeded=True,
                through_services=True,
                campaign=campaign,
                fund=funds[fund],
                donor=factories.DonorFactory(with_address=True, **{"email": "ada@example.org", **donor}),
                **fields,
            )

    return make


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


@pytest.fixture
def latest_schema_afterwards():
    """For a data migration's test (tests.migrating): leave the schema as
    every other test expects it."""
    yield
    migrate()
