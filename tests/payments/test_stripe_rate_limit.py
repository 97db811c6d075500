"""Stripe's 429: the real SDK against a tiny local server that refuses
PaymentIntent creation for its rate limit, then accepts it (or never
does). The gateway waits and tries again within its budget, with the one
idempotency key, so at most one PaymentIntent is made; past the budget the
API answers 503 with Retry-After and the gift stays pending."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from donations.models import Donation
from payments import stripe as stripe_gateway
from payments.stripe import StripeRateLimited, payments
from payments.stripe import client as stripe_client
from tests.gifts import gift_body, give
from tests.stripe_events import stripe_object

pytestmark = pytest.mark.django_db

ALWAYS = 10**9


class RateLimitedStripe:
    """Answers `POST /v1/payment_intents` with 429 `refusals` times, then
    as Stripe does: one PaymentIntent per idempotency key, the same one
    for every repeat. Payment methods are looked up freely."""

    def __init__(self, *, refusals: int):
        self.refusals = refusals
        self.intent_posts: list[str] = []  # the idempotency key of each
        self.intents: dict[str, dict] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                method_id = self.path.split("?")[0].rsplit("/", 1)[-1]
                self._answer(200, stripe_object("payment_method", id=method_id))

            def do_POST(self):
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                key = self.headers["Idempotency-Key"]
                with fake.lock:
                    fake.intent_posts.append(key)
                    if fake.refusals > 0:
                        fake.refusals -= 1
                        refusal = {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many."}
                        return self._answer(429, {"error": refusal})
                    intent = fake.intents.setdefault(
                        key,
                        stripe_object(
                            "payment_intent",
                            id=f"pi_ratelimit{len(fake.intents)}",
                            status="succeeded",
                            amount=int(form["amount"][0]),
                            currency=form["currency"][0],
                            metadata={"donation_id": form["metadata[donation_id]"][0]},
                            latest_charge=f"ch_ratelimit{len(fake.intents)}",
                            last_payment_error=None,
                        ),
                    )
                self._answer(200, intent)

            def _answer(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def short_waits(monkeypatch):
    """The rule's shape with waits short enough for a unit test."""
    monkeypatch.setattr(stripe_client, "RATE_LIMIT_WAITS_SECONDS", (0.01, 0.02, 0.04, 0.08))


@pytest.fixture
def real_gateway(monkeypatch):
    """The real gift calls (the SDK over HTTP) in place of the fake's."""
    for name in ("charge", "retrieve_payment_method"):
        monkeypatch.setattr(stripe_gateway, name, getattr(payments, name))


def charge_once(stripe_server, settings):
    settings.STRIPE_API_BASE = stripe_server.url
    return payments.charge(amount_minor=500, currency="usd", payment_method="pm_card_visa", donation_public_id="d1")


def test_a_429_is_waited_out_and_tried_again_with_the_same_idempotency_key(settings, short_waits):
    with RateLimitedStripe(refusals=3) as stripe_server:
        intent = charge_once(stripe_server, settings)

    assert intent.status == "succeeded"
    assert stripe_server.intent_posts == ["donation-d1"] * 4
    assert len(stripe_server.intents) == 1


def test_429s_past_every_wait_are_stripe_rate_limited_and_charge_nothing(settings, short_waits):
    with RateLimitedStripe(refusals=ALWAYS) as stripe_server, pytest.raises(StripeRateLimited):
        charge_once(stripe_server, settings)

    assert len(stripe_server.intent_posts) == len(stripe_client.RATE_LIMIT_WAITS_SECONDS) + 1
    assert stripe_server.intents == {}


def test_the_waits_fit_in_a_gift_requests_budget():
    # Two calls of a gift may each wait them all out, inside gunicorn's 30 s.
    assert 1 < sum(stripe_client.RATE_LIMIT_WAITS_SECONDS) <= 4


def test_a_gift_through_a_burst_of_429s_is_charged_once(client, campaign, settings, short_waits, real_gateway):
    with RateLimitedStripe(refusals=2) as stripe_server:
        settings.STRIPE_API_BASE = stripe_server.url
        response = give(client)

    assert response.status_code == 201
    assert response.json()["status"] == "succeeded"
    assert len(stripe_server.intents) == 1
    assert Donation.objects.get().payment_intent_id == "pi_ratelimit0"


def test_a_gift_stripe_keeps_refusing_is_503_with_a_short_retry_after_then_charged_once_on_retry(
    client, campaign, settings, short_waits, real_gateway
):
    body, key = gift_body(), {"HTTP_IDEMPOTENCY_KEY": "gift-rate-limited-1"}
    with RateLimitedStripe(refusals=len(stripe_client.RATE_LIMIT_WAITS_SECONDS) + 1) as stripe_server:
        settings.STRIPE_API_BASE = stripe_server.url
        refused = give(client, body, **key)
        pending = Donation.objects.get()
        retried = give(client, body, **key)

    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "payments_unavailable"
    assert refused["Retry-After"] == "5"
    assert pending.status == Donation.Status.PENDING
    assert retried.status_code == 201
    assert retried.json()["id"] == str(pending.public_id)
    assert set(stripe_server.intent_posts) == {f"donation-{pending.public_id}"}
    assert len(stripe_server.intents) == 1
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED
