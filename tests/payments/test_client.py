"""The one translation of Stripe's errors into ours, call by call: the real
gateway functions, with the SDK client made to raise what Stripe would."""

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import stripe

from payments.stripe import errors, payments, subscriptions

ROOT = Path(__file__).resolve().parent.parent.parent


class RaisingClient:
    """Stands in for stripe.StripeClient: any call, on any resource, raises."""

    def __init__(self, exc: Exception):
        self.exc = exc

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        raise self.exc


def card_error():
    return stripe.CardError("Your card was declined.", "card", "card_declined", http_status=402)


def invalid_request(param=None, code=None, http_status=400, message="Invalid request"):
    return stripe.InvalidRequestError(message, param, code=code, http_status=http_status)


def not_found():
    return invalid_request(code="resource_missing", http_status=404, message="No such object")


def network_down():
    return stripe.APIConnectionError("Could not connect to Stripe")


CHARGE = (
    payments,
    "charge",
    {"amount_minor": 500, "currency": "usd", "payment_method": "pm_x", "donation_public_id": "d"},
)
REFUND = (payments, "refund", {"payment_intent_id": "pi_x", "amount_minor": 100, "hopefund_refund_id": 1, "reason": ""})
CARD = (
    subscriptions,
    "new_customer_with_card",
    {"email": "a@b.org", "name": "A", "payment_method": "pm_x", "plan_public_id": "p"},
)
SUBSCRIBE = (
    subscriptions,
    "subscribe",
    {"customer_id": "cus_x", "currency": "usd", "quantity": 500, "plan_public_id": "p"},
)
QUANTITY = (subscriptions, "change_subscription_quantity", {"subscription_id": "sub_x", "quantity": 700})
INTENT = (payments, "retrieve_payment_intent", {"payment_intent_id": "pi_x"})


def call(monkeypatch, target, exc):
    module, name, kwargs = target
    monkeypatch.setattr(module, "client", lambda: RaisingClient(exc))
    return getattr(module, name)(**kwargs)


@pytest.mark.parametrize(
    ("target", "sdk_error", "ours"),
    [
        # The donor's card, presented by the donor: they may try another.
        (CHARGE, card_error, errors.PaymentDeclined),
        (CARD, card_error, errors.PaymentDeclined),
        (CHARGE, lambda: invalid_request(param="payment_method"), errors.PaymentDeclined),
        # An unknown payment method, as localstripe says it: no code, no param.
        (CHARGE, lambda: invalid_request(http_status=404, message="Not Found"), errors.PaymentDeclined),
        (CARD, invalid_request, errors.PaymentDeclined),
        # A card error where no card was presented is Stripe's to sort out.
        (REFUND, card_error, errors.StripeUnavailable),
        (SUBSCRIBE, card_error, errors.StripeUnavailable),
        (QUANTITY, card_error, errors.StripeUnavailable),
        (REFUND, invalid_request, errors.RefundFailed),
        (INTENT, not_found, errors.NotFound),
        (CHARGE, network_down, errors.StripeUnavailable),
        (SUBSCRIBE, network_down, errors.StripeUnavailable),
        (CHARGE, invalid_request, errors.StripeUnavailable),
    ],
    ids=lambda value: getattr(value, "__name__", None) if callable(value) else None,
)
def test_each_stripe_error_becomes_ours(monkeypatch, target, sdk_error, ours):
    with pytest.raises(ours) as raised:
        call(monkeypatch, target, sdk_error())

    assert isinstance(raised.value.__cause__, stripe.StripeError)
    if ours is errors.StripeUnavailable:
        assert type(raised.value) is errors.StripeUnavailable  # not NotFound: Stripe may know the object


def test_a_refused_card_says_why_without_the_card(monkeypatch):
    with pytest.raises(errors.PaymentDeclined) as declined:
        call(monkeypatch, CHARGE, card_error())

    assert (declined.value.code, declined.value.payment_intent_id) == ("card_declined", None)


def test_canceling_a_canceled_subscription_again_is_fine(monkeypatch):
    already = invalid_request(message="This subscription is already canceled.")
    assert call(monkeypatch, (subscriptions, "cancel_subscription", {"subscription_id": "sub_x"}), already) is None

    with pytest.raises(errors.StripeUnavailable):
        call(monkeypatch, (subscriptions, "cancel_subscription", {"subscription_id": "sub_x"}), invalid_request())


def test_stripe_out_of_reach_is_unavailable_through_the_real_sdk(settings):
    # Unmarked tests point Stripe at a port nothing listens on.
    assert settings.STRIPE_API_BASE == "http://127.0.0.1:9"

    with pytest.raises(errors.StripeUnavailable) as raised:
        payments.create_setup_intent()

    assert isinstance(raised.value.__cause__, stripe.APIConnectionError)


def test_canceling_a_setup_intent_stripe_will_not_cancel_answers_it_as_it_stands(monkeypatch):
    """Stripe refuses to cancel a SetupIntent that is canceled (or
    succeeded) already: there is nothing left to do, so it is no error."""
    canceled = {"id": "seti_x", "status": "canceled", "last_setup_error": None}

    def refuse(intent_id):
        raise invalid_request(code="setup_intent_unexpected_state", message="This SetupIntent is already canceled.")

    setup_intents = SimpleNamespace(cancel=refuse, retrieve=lambda intent_id: SimpleNamespace(to_dict=lambda: canceled))
    monkeypatch.setattr(payments, "client", lambda: SimpleNamespace(v1=SimpleNamespace(setup_intents=setup_intents)))

    assert payments.cancel_setup_intent("seti_x").status == "canceled"

    monkeypatch.setattr(payments, "client", lambda: RaisingClient(invalid_request()))
    with pytest.raises(errors.StripeUnavailable):
        payments.cancel_setup_intent("seti_x")


def test_starting_django_leaves_the_sdk_unimported():
    """The SDK costs every process about 7 MB (bench.export's memory
    target): only a call to Stripe imports it, not the apps, the admin,
    the URLs or the gateway package."""
    script = (
        "import sys, django\n"
        "django.setup()\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns\n"
        "import payments.stripe\n"
        "print(sorted(name for name in sys.modules if name.partition('.')[0] == 'stripe'))\n"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "hopefund.settings.test"}
    output = subprocess.run(
        [sys.executable, "-c", script], env=environment, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"


def test_a_web_worker_loads_the_sdk_before_its_first_request():
    """Loaded lazily, a web worker's first gifts and webhooks waited on the
    import, every thread behind its lock (bench/ingest.py's p99)."""
    script = (
        "import runpy, sys\n"
        "hooks = runpy.run_path('gunicorn.conf.py')\n"
        "hooks['post_worker_init'](None)\n"
        "print('stripe' in sys.modules)\n"
    )
    output = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)

    assert output.stdout.strip() == "True"
