"""Card testing: a script that cycles stolen cards through the donate API
(the card form's SetupIntent, then the gift) is stopped before Stripe
becomes its oracle, and learns nothing from a decline."""

import logging
from types import SimpleNamespace

import pytest

from core import captcha
from donations.models import Donation, StripeEvent
from donations.services import card_checks, stripe_events
from payments.stripe import PaymentDeclined
from tests.gifts import DECLINING_PAYMENT_METHOD, card_form_body, gift_body, give, start_card_form
from tests.stripe_events import event, post_event, stripe_object

pytestmark = pytest.mark.django_db

GENERIC_DECLINE = {
    "code": "card_declined",
    "message": "Your card was declined. Please try another card or contact your bank.",
}
DECLINED_AT_SET_UP = "4000000000000002"
GOOD_CARD = "4242424242424242"
PASSING_TOKEN = "token-a-person-earned"


@pytest.fixture
def turnstile(settings, monkeypatch):
    """Turnstile configured, its verification faked: only PASSING_TOKEN passes."""
    settings.CAPTCHA_PROVIDER = "turnstile"
    settings.CAPTCHA_SITE_KEY = "0x-site-key"
    settings.CAPTCHA_SECRET_KEY = "0x-secret-key"
    verified = []

    def verify_challenge(token, client_address):
        verified.append((token, client_address))
        return token == PASSING_TOKEN

    monkeypatch.setattr(captcha, "verify_challenge", verify_challenge)
    return verified


@pytest.fixture
def trip_breaker(client, campaign, settings):
    """Declined gifts past DECLINE_BREAKER_LIMIT (2 here), from a tester
    who rotates emails: the breaker is on afterwards."""
    settings.DECLINE_BREAKER_LIMIT = "2/10m"

    def trip():
        for n in range(3):
            body = gift_body(payment_method=DECLINING_PAYMENT_METHOD, donor__email=f"tester{n}@example.org")
            assert give(client, body).status_code == 402
        assert card_checks.breaker_seconds_left() > 0

    return trip


def setup_intents_made(fake_stripe) -> int:
    return len(fake_stripe.calls_to("create_setup_intent"))


# --- The card form's SetupIntent comes only after the gift's checks ------


def test_card_form_for_a_valid_gift_gets_a_setup_intent_without_a_payment_method(client, campaign, fake_stripe):
    response = start_card_form(client)

    assert response.status_code == 201
    assert response.json()["client_secret"].startswith("seti_")
    assert setup_intents_made(fake_stripe) == 1


@pytest.mark.parametrize(
    "body, field",
    [
        pytest.param(None, "__all__", id="no-body"),
        pytest.param({}, "campaign", id="empty-object"),
        pytest.param(card_form_body(amount_minor=-1), "amount_minor", id="bad-amount"),
        pytest.param(card_form_body(campaign="no-such-campaign"), "campaign", id="unknown-campaign"),
        pytest.param(card_form_body(donor__email="not-an-email"), "donor.email", id="bad-email"),
        pytest.param({**card_form_body(), "payment_method": "card_123"}, "payment_method", id="bad-payment-method"),
        pytest.param(card_form_body(website="http://spam.example"), "__all__", id="honeypot"),
    ],
)
def test_card_form_for_a_gift_that_does_not_validate_is_400_and_makes_nothing_at_stripe(
    client, campaign, fake_stripe, body, field
):
    response = client.post("/api/setup-intents/") if body is None else start_card_form(client, body)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert fake_stripe.calls == []


def test_card_forms_past_the_address_limit_are_429_and_make_nothing_at_stripe(client, campaign, fake_stripe, settings):
    settings.DONATION_RATE_LIMIT = "2/m"

    answers = [start_card_form(client, card_form_body(donor__email=f"t{n}@example.org")) for n in range(4)]

    assert [a.status_code for a in answers] == [201, 201, 429, 429]
    assert answers[2].json()["error"]["code"] == "rate_limited"
    assert int(answers[2]["Retry-After"]) >= 1
    assert setup_intents_made(fake_stripe) == 2


def test_card_forms_for_one_email_past_its_limit_are_429_from_any_address(client, campaign, fake_stripe, settings):
    settings.DONATION_EMAIL_RATE_LIMIT = "2/h"

    answers = [start_card_form(client, REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(3)]

    assert answers == [201, 201, 429]
    assert setup_intents_made(fake_stripe) == 2


# --- A failed SetupIntent cannot try another card ------------------------


def test_a_failed_setup_intent_is_canceled_so_its_secret_cannot_try_another_card(
    client, campaign, fake_stripe, django_capture_on_commit_callbacks
):
    secret = start_card_form(client).json()["client_secret"]
    with pytest.raises(PaymentDeclined):
        fake_stripe.confirm_card_setup(secret, DECLINED_AT_SET_UP)
    [failed] = fake_stripe.events_of("setup_intent.setup_failed")

    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, failed).status_code == 200

    intent_id = secret.split("_secret_")[0]
    assert fake_stripe.calls_to("cancel_setup_intent") == [((intent_id,), {})]
    assert fake_stripe.objects[intent_id]["status"] == "canceled"
    assert StripeEvent.objects.get(event_id=failed["id"]).status == StripeEvent.Status.PROCESSED
    with pytest.raises(PaymentDeclined) as refused:
        fake_stripe.confirm_card_setup(secret, GOOD_CARD)
    assert refused.value.code == "setup_intent_unexpected_state"


def test_a_setup_failed_event_for_an_intent_canceled_already_is_processed_without_canceling_again(
    client, fake_stripe, django_capture_on_commit_callbacks
):
    """Stripe's own example object, as the event carries it."""
    intent = stripe_object(
        "setup_intent",
        id="seti_test_canceled",
        status="canceled",
        last_setup_error={"type": "card_error", "code": "card_declined", "decline_code": "stolen_card"},
    )
    failed = event("setup_intent.setup_failed", intent)

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, failed)

    assert StripeEvent.objects.get(event_id=failed["id"]).status == StripeEvent.Status.PROCESSED
    assert fake_stripe.calls_to("cancel_setup_intent") == []


def test_a_setup_failed_event_that_cannot_reach_stripe_fails_and_is_retried_later(
    client, campaign, fake_stripe, django_capture_on_commit_callbacks
):
    secret = start_card_form(client).json()["client_secret"]
    with pytest.raises(PaymentDeclined):
        fake_stripe.confirm_card_setup(secret, DECLINED_AT_SET_UP)
    [failed] = fake_stripe.events_of("setup_intent.setup_failed")

    fake_stripe.fail_next()
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, failed)

    stored = StripeEvent.objects.get(event_id=failed["id"])
    assert stored.status == StripeEvent.Status.FAILED
    intent = fake_stripe.objects[secret.split("_secret_")[0]]
    assert intent["status"] == "requires_payment_method"

    stripe_events.reprocess_stripe_event(event_pk=stored.pk)

    assert intent["status"] == "canceled"


# --- One card, however many payment methods ------------------------------


def test_the_same_card_past_its_limit_is_429_whatever_the_email_address_and_payment_method(
    client, campaign, fake_stripe, settings
):
    settings.DONATION_CARD_RATE_LIMIT = "2/h"

    def try_card(n, number=GOOD_CARD):
        body = gift_body(payment_method=fake_stripe.card_payment_method(number), donor__email=f"t{n}@example.org")
        return give(client, body, REMOTE_ADDR=f"203.0.113.{n}")

    answers = [try_card(n) for n in range(3)]

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].json()["error"]["code"] == "rate_limited"
    assert len(fake_stripe.calls_to("charge")) == 2
    assert Donation.objects.count() == 2
    assert try_card(9, number="5555555555554444").status_code == 201


def test_a_payment_method_stripe_gives_no_fingerprint_for_is_limited_under_its_own_id(
    client, campaign, fake_stripe, settings
):
    settings.DONATION_CARD_RATE_LIMIT = "1/h"
    unknown = "pm_unknownToStripe"

    first = give(client, gift_body(payment_method=unknown))
    second = give(client, gift_body(payment_method=unknown, donor__email="b@example.org"))

    assert first.status_code != 429
    assert second.status_code == 429
    assert len(fake_stripe.calls_to("charge")) == 1


def test_a_retry_with_the_same_key_and_body_is_not_counted_as_another_card_attempt(
    client, campaign, fake_stripe, settings
):
    settings.DONATION_CARD_RATE_LIMIT = settings.DONATION_EMAIL_RATE_LIMIT = "1/h"

    first = give(client, HTTP_IDEMPOTENCY_KEY="one-gift")
    retry = give(client, HTTP_IDEMPOTENCY_KEY="one-gift")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert len(fake_stripe.calls_to("retrieve_payment_method")) == 1
    assert give(client, HTTP_IDEMPOTENCY_KEY="another-gift").status_code == 429


# --- The decline-rate breaker and its challenge --------------------------


def test_declines_past_the_limit_turn_on_the_challenge_and_log_an_alert(
    client, fake_stripe, turnstile, trip_breaker, caplog
):
    with caplog.at_level(logging.ERROR, logger="donations.services.card_checks"):
        trip_breaker()

    [alert] = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "donations.services.card_checks"]
    assert "breaker ON" in alert.getMessage()
    setup, gift = start_card_form(client), give(client)
    for answer in (setup, gift):
        assert answer.status_code == 403
        assert answer.json()["error"] | {"message": None} == {
            "code": "challenge_required",
            "message": None,
            "provider": "turnstile",
            "site_key": "0x-site-key",
        }
    assert setup_intents_made(fake_stripe) == 0
    assert len(fake_stripe.calls_to("charge")) == 3
    assert turnstile == []  # no token sent, none verified


def test_with_the_breaker_on_a_passing_token_goes_through_and_a_failing_one_does_not(
    client, fake_stripe, turnstile, trip_breaker
):
    trip_breaker()

    refused = start_card_form(client, HTTP_CAPTCHA_TOKEN="made-up-token")
    passed = start_card_form(client, HTTP_CAPTCHA_TOKEN=PASSING_TOKEN, REMOTE_ADDR="192.0.2.7")
    gift = give(client, HTTP_CAPTCHA_TOKEN=PASSING_TOKEN)

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "challenge_required"
    assert "did not pass" in refused.json()["error"]["message"]
    assert passed.status_code == 201
    assert gift.status_code == 201
    assert setup_intents_made(fake_stripe) == 1
    assert ("made-up-token", "127.0.0.1") in turnstile and (PASSING_TOKEN, "192.0.2.7") in turnstile


def test_with_the_breaker_on_and_no_captcha_card_attempts_are_paused_until_it_cools_down(
    client, fake_stripe, settings, trip_breaker, monkeypatch
):
    settings.DECLINE_BREAKER_COOLDOWN_SECONDS = 600
    trip_breaker()

    setup, gift = start_card_form(client), give(client)

    for answer in (setup, gift):
        assert answer.status_code == 429
        assert answer.json()["error"]["code"] == "card_checks_paused"
        assert 1 <= int(answer["Retry-After"]) <= 600
    assert setup_intents_made(fake_stripe) == 0

    later = card_checks.time.time() + 601
    monkeypatch.setattr(card_checks, "time", SimpleNamespace(time=lambda: later))
    assert start_card_form(client).status_code == 201


def test_a_decline_heard_from_the_api_and_from_its_event_counts_once(
    client, campaign, fake_stripe, settings, django_capture_on_commit_callbacks
):
    settings.DECLINE_BREAKER_LIMIT = "1/10m"
    assert give(client, gift_body(payment_method=DECLINING_PAYMENT_METHOD)).status_code == 402
    [failed] = fake_stripe.events_of("payment_intent.payment_failed")

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, failed)

    assert card_checks.breaker_seconds_left() == 0
    assert give(client, gift_body(payment_method=DECLINING_PAYMENT_METHOD)).status_code == 402
    assert card_checks.breaker_seconds_left() > 0


def test_failed_payment_and_failed_setup_events_count_for_the_breaker(
    client, settings, fake_stripe, django_capture_on_commit_callbacks
):
    settings.DECLINE_BREAKER_LIMIT = "1/10m"
    failed_setup = event(
        "setup_intent.setup_failed",
        stripe_object("setup_intent", id="seti_test_1", status="canceled", last_setup_error={"code": "card_declined"}),
    )
    failed_payment = event(
        "payment_intent.payment_failed",
        stripe_object("payment_intent", id="pi_test_elsewhere", status="requires_payment_method", metadata={}),
    )

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, failed_setup)
        assert card_checks.breaker_seconds_left() == 0
        post_event(client, failed_payment)

    assert card_checks.breaker_seconds_left() > 0


def test_with_a_captcha_a_donor_past_the_email_limit_is_challenged_not_locked_out(
    client, campaign, fake_stripe, settings, turnstile
):
    """Someone else's attempts with a donor's address must not stop the
    donor from giving: they pass a challenge instead."""
    settings.DONATION_EMAIL_RATE_LIMIT = "1/h"
    assert give(client, REMOTE_ADDR="198.51.100.66").status_code == 201

    challenged = give(client)
    passed = give(client, HTTP_CAPTCHA_TOKEN=PASSING_TOKEN)

    assert challenged.status_code == 403
    assert challenged.json()["error"]["code"] == "challenge_required"
    assert passed.status_code == 201


# --- A decline tells the client nothing ----------------------------------


@pytest.mark.parametrize(
    "code, decline_code, message",
    [
        ("incorrect_cvc", "", "Your card's security code is incorrect."),
        ("expired_card", "", "Your card has expired."),
        ("card_declined", "fraudulent", "Your card was declined."),
        ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    ],
)
@pytest.mark.parametrize("frequency", ["one_time", "monthly"])
def test_a_decline_answers_one_generic_message_and_keeps_stripes_reason_on_the_gift(
    client, campaign, fake_stripe, code, decline_code, message, frequency
):
    fake_stripe.decline_next(code=code, message=message, decline_code=decline_code)

    response = give(client, gift_body(frequency=frequency))

    assert response.status_code == 402
    donation = Donation.objects.get()
    assert response.json() == {"id": str(donation.public_id), "error": GENERIC_DECLINE}
    assert donation.status == Donation.Status.FAILED
    assert donation.failure_code in (code, decline_code)
    assert donation.failure_message == message
    detail = client.get(f"/api/donations/{donation.public_id}/").json()
    assert detail["status"] == "failed"
    assert code not in str(detail) and message not in str(detail)


def test_a_card_stripe_cannot_use_is_answered_as_any_decline(client, campaign, fake_stripe, monkeypatch):
    def unusable(**kwargs):
        raise PaymentDeclined(
            code="invalid_payment_method", message="That card could not be used.", payment_intent_id=None
        )

    monkeypatch.setattr("payments.stripe.charge", unusable)

    response = give(client)

    assert response.status_code == 402
    assert response.json()["error"] == GENERIC_DECLINE
    assert Donation.objects.get().failure_code == "invalid_payment_method"


# --- Bodies the parser refuses -------------------------------------------


@pytest.mark.parametrize("url", ["/api/donations/", "/api/setup-intents/"])
def test_deeply_nested_json_is_400_not_500(client, campaign, fake_stripe, url):
    # Inside the 64 KiB body limit, and far deeper than the decoder can go.
    response = client.post(url, data="[" * 60_000, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"errors": {"__all__": ["The request body is nested too deeply."]}}
    assert fake_stripe.calls == []


@pytest.mark.parametrize("url", ["/api/donations/", "/api/setup-intents/"])
def test_a_body_over_the_upload_limit_is_413(client, campaign, fake_stripe, settings, url):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = client.post(url, data='{"message": "' + "x" * 2000 + '"}', content_type="application/json")

    assert response.status_code == 413
    assert fake_stripe.calls == []
