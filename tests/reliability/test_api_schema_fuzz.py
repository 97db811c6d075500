"""Schemathesis against a live server: requests generated from the
OpenAPI document (hopefund/openapi.json, what GET /api/schema/ serves),
valid and invalid, to every operation it describes, with Stripe played by
localstripe. Every answer must be no 5xx, a status code the document
lists for the operation, in the media type, with the headers and the body
it describes.

The live site has the campaign, team, fundraiser and gift the document's
examples name, so its examples reach real objects; and half the bodies
generated for the two gift endpoints are pointed at that campaign, so the
fuzzing reaches Stripe (charges, declines, monthly plans) rather than
stopping at "no such campaign"."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from tests.api_schema import CONFORMANCE_CHECKS, DOCUMENT_JSON
from tests.gifts import DECLINING_PAYMENT_METHOD

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    # Rate-limit keys hold the donor's email (up to 254 characters): longer
    # than memcached allows, which is no concern on Redis.
    pytest.mark.filterwarnings("ignore::django.core.cache.CacheKeyWarning"),
]

# Its own copy of the document, for the hook below.
schema = schemathesis.openapi.from_dict(DOCUMENT_JSON)
CHECKS = [not_a_server_error, *CONFORMANCE_CHECKS]
GIFT_PATHS = ("/api/donations/", "/api/setup-intents/")


def example_gift_id() -> str:
    (parameter,) = DOCUMENT_JSON["paths"]["/api/donations/{public_id}/"]["get"]["parameters"]
    return parameter["example"]


@schema.hook
def flatmap_body(context, body):
    """A generated gift body, as it is or given to the live campaign: its
    campaign, fund, currency and attribution made real and its amount in
    range, the rest (donor, frequency, texts, card) as generated, or a card
    that Stripe declines."""
    if context.operation.path not in GIFT_PATHS or not isinstance(body, dict):
        return st.just(body)
    to_the_campaign = st.builds(
        lambda amount_minor, attribution, payment_method: {
            **body,
            "campaign": "dressember-2026",
            "fund": "aftercare",
            "currency": "usd",
            "amount_minor": amount_minor,
            **attribution,
            **({"payment_method": payment_method} if context.operation.path == "/api/donations/" else {}),
        },
        st.integers(min_value=500, max_value=100_000),
        st.sampled_from([{}, {"team": "freedom-threads", "fundraiser": "ada-lee"}, {"team": None, "fundraiser": None}]),
        st.sampled_from(["pm_card_visa", DECLINING_PAYMENT_METHOD, body.get("payment_method")]),
    )
    return st.just(body) | to_the_campaign


@pytest.fixture
def live_site(live_server, fundraiser, make_gift):
    """The live server's address, once it has everything the document's
    examples name: the campaign (with a team and a fundraiser on it) and a
    paid gift with the example's id."""
    make_gift(public_id=example_gift_id())
    return live_server.url


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_answer_is_one_the_schema_describes(case, live_site):
    case.call_and_validate(base_url=live_site, checks=CHECKS, timeout=15)
