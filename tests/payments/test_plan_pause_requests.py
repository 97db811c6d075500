"""Pausing and resuming a subscription's collection through the real
gateway (the SDK, its encoding, the parsing of the answer). localstripe
has no pause_collection, so Stripe's subscription endpoint is answered in
process from Stripe's own example subscription, and each request is
checked against the shape Stripe documents: `pause_collection[behavior]`
and `pause_collection[resumes_at]` to pause, `pause_collection` sent empty
to unset it."""

import json
import urllib.parse
from datetime import UTC, datetime

import pytest
import stripe

from payments.stripe import subscriptions as real_subscriptions
from payments.stripe.client import STRIPE_API_VERSION
from tests.fakes.stripe import FakeStripe
from tests.stripe_events import stripe_object

RESUMES_AT = datetime(2027, 3, 4, 12, 0, tzinfo=UTC)


class SubscriptionEndpoint(stripe.HTTPClient):
    """POST /v1/subscriptions/<id> as Stripe answers it: the subscription
    with the update applied. Records every request's method, path and form."""

    name = "subscription-endpoint"

    def __init__(self, subscription: dict):
        super().__init__()
        self.subscription = subscription
        self.requests: list[tuple[str, str, list[tuple[str, str]]]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urllib.parse.urlsplit(url).path
        body = post_data.decode() if isinstance(post_data, bytes) else post_data or ""
        form = urllib.parse.parse_qsl(body, keep_blank_values=True)
        self.requests.append((method, path, form))
        if path != f"/v1/subscriptions/{self.subscription['id']}":
            return json.dumps({"error": {"type": "invalid_request_error", "code": "resource_missing"}}), 404, {}
        fields = dict(form)
        if fields.get("pause_collection") == "":
            self.subscription["pause_collection"] = None
        elif "pause_collection[behavior]" in fields:
            self.subscription["pause_collection"] = {
                "behavior": fields["pause_collection[behavior]"],
                "resumes_at": int(fields["pause_collection[resumes_at]"]),
            }
        return json.dumps(self.subscription), 200, {}

    def close(self):
        pass


@pytest.fixture
def endpoint(monkeypatch):
    subscription = stripe_object("subscription", id="sub_pause", status="active", pause_collection=None)
    endpoint = SubscriptionEndpoint(subscription)
    sdk = stripe.StripeClient("sk_test_pause", stripe_version=STRIPE_API_VERSION, http_client=endpoint)
    monkeypatch.setattr(real_subscriptions, "client", lambda: sdk)
    return endpoint


def test_a_pause_asks_stripe_to_void_invoices_until_it_ends(endpoint):
    state = real_subscriptions.pause_subscription("sub_pause", resumes_at=RESUMES_AT)

    [(method, path, form)] = endpoint.requests
    assert (method, path) == ("post", "/v1/subscriptions/sub_pause")
    assert form == [
        ("pause_collection[behavior]", "void"),
        ("pause_collection[resumes_at]", str(int(RESUMES_AT.timestamp()))),
    ]
    assert (state.paused, state.paused_until, state.status) == (True, RESUMES_AT, "active")


def test_a_resume_unsets_pause_collection(endpoint):
    real_subscriptions.pause_subscription("sub_pause", resumes_at=RESUMES_AT)

    state = real_subscriptions.resume_subscription("sub_pause")

    assert endpoint.requests[-1][2] == [("pause_collection", "")]
    assert (state.paused, state.paused_until) == (False, None)
    assert real_subscriptions.retrieve_subscription("sub_pause") == state


def test_the_fake_answers_pause_and_resume_with_the_same_states():
    fake = FakeStripe()
    customer = fake.new_customer_with_card(
        email="ada@example.org", name="Ada", payment_method="pm_card_visa", plan_public_id="p"
    )
    subscription = fake.subscribe(customer_id=customer, currency="usd", quantity=2500, plan_public_id="p")

    paused = fake.pause_subscription(subscription.id, resumes_at=RESUMES_AT)
    resumed = fake.resume_subscription(subscription.id)

    assert (paused.paused, paused.paused_until) == (True, RESUMES_AT)
    assert (resumed.paused, resumed.paused_until) == (False, None)
    assert fake.retrieve_subscription(subscription.id) == resumed


def test_stripes_example_subscription_paused_with_no_end_reads_as_paused_without_an_end():
    from payments.stripe import SubscriptionState

    state = SubscriptionState.from_stripe(stripe_object("subscription"))

    assert (state.paused, state.paused_until) == (True, None)
