"""The fake Stripe keeps to the gateway: exactly the calls of
payments.stripe.CALLS, each with the real function's signature, installed
in place of every one of them."""

import inspect

import pytest

from payments import stripe as stripe_gateway
from tests.fakes.stripe import FakeStripe

# Taken when this module is imported, before any test puts the fake in place.
REAL_CALLS = {name: getattr(stripe_gateway, name) for name in stripe_gateway.CALLS}


def gateway_calls_of_the_fake() -> set[str]:
    return {name for name, member in vars(FakeStripe).items() if getattr(member, "is_gateway_call", False)}


def test_the_fake_offers_exactly_the_gateways_calls():
    assert gateway_calls_of_the_fake() == set(stripe_gateway.CALLS)


@pytest.mark.parametrize("name", stripe_gateway.CALLS)
def test_each_call_of_the_fake_has_the_real_signature(name):
    assert inspect.signature(getattr(FakeStripe(), name)) == inspect.signature(REAL_CALLS[name])


def test_every_unmarked_test_talks_to_the_fake(fake_stripe, settings):
    for name in stripe_gateway.CALLS:
        assert getattr(stripe_gateway, name).__self__ is fake_stripe
    assert settings.STRIPE_API_BASE == "http://127.0.0.1:9"


def test_an_unmarked_test_cannot_start_localstripe(request):
    with pytest.raises(pytest.fail.Exception, match="not marked stripe_contract / integration / e2e"):
        request.getfixturevalue("localstripe_url")


def test_scripted_failures_come_before_the_call_and_in_the_order_asked(fake_stripe):
    fake_stripe.fail_next(2)

    for _ in range(2):
        with pytest.raises(stripe_gateway.StripeUnavailable):
            stripe_gateway.create_setup_intent()

    assert stripe_gateway.create_setup_intent().startswith("seti_")
    assert len(fake_stripe.calls_to("create_setup_intent")) == 3


def test_a_scripted_decline_names_its_failed_intent(fake_stripe):
    fake_stripe.decline_next(code="expired_card", message="Your card has expired.")

    with pytest.raises(stripe_gateway.PaymentDeclined) as declined:
        stripe_gateway.charge(amount_minor=500, currency="usd", payment_method="pm_card_visa", donation_public_id="d1")

    assert (declined.value.code, declined.value.message) == ("expired_card", "Your card has expired.")
    intent = stripe_gateway.retrieve_payment_intent(declined.value.payment_intent_id)
    assert (intent.status, intent.failure_code) == ("requires_payment_method", "expired_card")
    assert [e["type"] for e in fake_stripe.events] == ["payment_intent.payment_failed"]


def test_stripe_refuses_a_refund_above_what_is_left_of_the_charge(fake_stripe):
    """localstripe does not; our refund service must refuse it first anyway."""
    intent = stripe_gateway.charge(
        amount_minor=500, currency="usd", payment_method="pm_card_visa", donation_public_id="d2"
    )

    with pytest.raises(stripe_gateway.RefundFailed, match="greater than unrefunded"):
        stripe_gateway.refund(payment_intent_id=intent.id, amount_minor=501, hopefund_refund_id=1, reason="other")
