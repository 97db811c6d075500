"""What Stripe itself does, asked through the real gateway (localstripe) and
through the fake in the same scenario: the fake's answers have the shapes
and the errors Stripe's have, so the unit suite's fake is a fair stand-in.

Where localstripe and Stripe differ (no fees, no payment intent named on a
decline, no over-refund check), the fake follows Stripe and the test
accepts both answers."""

import json
import queue
import threading
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe
from django.conf import settings
from django.utils import timezone

from payments import stripe as stripe_gateway
from payments.stripe import NotFound, PaymentDeclined, PaymentIntentState
from payments.stripe import payouts as real_payouts
from payments.stripe.client import STRIPE_API_VERSION
from tests import localstripe
from tests.fakes.stripe import charge_line, refund_line, stripe_fee_line
from tests.gifts import DECLINING_PAYMENT_METHOD, THREE_D_SECURE_CARD, gift_body, give
from tests.stripe_events import sign

pytestmark = pytest.mark.stripe_contract

DECLINING_CARD = "4000000000000341"


class Localstripe:
    """localstripe, behind the real gateway (tests/conftest.py points the
    settings at it for marked tests)."""

    card_payment_method = staticmethod(localstripe.card_payment_method)
    authenticate = staticmethod(localstripe.authenticate)
    subscription = staticmethod(localstripe.subscription)

    @staticmethod
    def customer(customer_id: str) -> dict:
        return localstripe.sdk_client().v1.customers.retrieve(customer_id).to_dict()

    @staticmethod
    def confirm_card_setup(client_secret: str, card: str) -> str:
        """What Stripe.js's confirmCardSetup does with the card element."""
        method = localstripe.card_payment_method(card)
        localstripe.sdk_client().v1.setup_intents.confirm(
            client_secret.split("_secret_")[0], params={"payment_method": method, "client_secret": client_secret}
        )
        return method


class Fake:
    """The fake, in place of the gateway's calls."""

    def __init__(self, fake):
        self.fake = fake
        self.card_payment_method = fake.card_payment_method
        self.authenticate = fake.authenticate
        self.confirm_card_setup = fake.confirm_card_setup

    def subscription(self, subscription_id: str) -> dict:
        return self.fake.objects[subscription_id]

    def customer(self, customer_id: str) -> dict:
        return self.fake.objects[customer_id]


@pytest.fixture(params=["fake", "localstripe"])
def stripe_side(request):
    if request.param == "fake":
        return Fake(request.getfixturevalue("fake_stripe"))
    return Localstripe()


def charge(payment_method: str, amount_minor: int = 5000):
    return stripe_gateway.charge(
        amount_minor=amount_minor, currency="usd", payment_method=payment_method, donation_public_id=str(uuid.uuid4())
    )


def test_a_card_that_pays_is_charged_at_once(stripe_side):
    intent = charge("pm_card_visa")

    assert (intent.status, intent.amount_minor, intent.currency) == ("succeeded", 5000, "usd")
    assert intent.id.startswith("pi_") and intent.charge_id.startswith("ch_")
    assert stripe_gateway.retrieve_payment_intent(intent.id) == intent
    paid = stripe_gateway.retrieve_charge(intent.charge_id)
    assert (paid.paid, paid.payment_intent_id, paid.amount_minor, paid.amount_refunded_minor, paid.refunds) == (
        True,
        intent.id,
        5000,
        0,
        (),
    )
    fee = stripe_gateway.processing_fee(intent.charge_id)
    assert isinstance(fee, int) and 0 <= fee < 5000  # localstripe charges none, the fake Stripe's 2.9% + 0.30


@pytest.mark.parametrize("card", [DECLINING_PAYMENT_METHOD, DECLINING_CARD])
def test_a_declined_card_raises_payment_declined(stripe_side, card):
    with pytest.raises(PaymentDeclined) as declined:
        charge(card if card.startswith("pm_") else stripe_side.card_payment_method(card))

    assert (declined.value.code, declined.value.message) == ("card_declined", "Your card was declined.")
    # Stripe names the failed intent; localstripe does not.
    assert declined.value.payment_intent_id is None or declined.value.payment_intent_id.startswith("pi_")


def test_charging_a_payment_method_stripe_does_not_know_is_an_unusable_card(stripe_side):
    # Stripe says resource_missing on payment_method, localstripe a bare 404:
    # either way the donor's input, not an outage.
    with pytest.raises(PaymentDeclined) as declined:
        charge("pm_nope")

    assert declined.value.code == "invalid_payment_method"


@pytest.mark.parametrize(
    "success, status, failure_code",
    [(True, "succeeded", ""), (False, "requires_payment_method", "payment_intent_authentication_failure")],
)
def test_a_card_needing_3d_secure_waits_for_the_donors_bank(stripe_side, success, status, failure_code):
    intent = charge(stripe_side.card_payment_method(THREE_D_SECURE_CARD))

    assert (intent.status, intent.charge_id) == ("requires_action", None)
    assert intent.client_secret.startswith(f"{intent.id}_secret_")

    stripe_side.authenticate(intent.client_secret, success=success)

    after = stripe_gateway.retrieve_payment_intent(intent.id)
    assert (after.status, after.failure_code, after.charge_id is not None) == (status, failure_code, success)


def test_refunds_add_up_on_the_charge(stripe_side):
    intent = charge("pm_card_visa")

    first = stripe_gateway.refund(payment_intent_id=intent.id, amount_minor=1500, hopefund_refund_id=1, reason="other")
    rest = stripe_gateway.refund(payment_intent_id=intent.id, amount_minor=3500, hopefund_refund_id=2, reason="other")

    assert (first.amount_minor, first.status, first.charge_id, first.hopefund_refund_id) == (
        1500,
        "succeeded",
        intent.charge_id,
        "1",
    )
    assert first.id.startswith("re_") and rest.hopefund_refund_id == "2"
    refunded = stripe_gateway.retrieve_charge(intent.charge_id)
    assert refunded.amount_refunded_minor == 5000
    assert {r.id for r in refunded.refunds} == {first.id, rest.id}


def test_a_monthly_subscription_charges_its_first_invoice_and_follows_changes(stripe_side):
    plan_id = str(uuid.uuid4())
    customer = stripe_gateway.new_customer_with_card(
        email="ada@example.org", name="Ada Lee", payment_method="pm_card_visa", plan_public_id=plan_id
    )

    subscription = stripe_gateway.subscribe(customer_id=customer, currency="usd", quantity=2500, plan_public_id=plan_id)

    assert customer.startswith("cus_") and subscription.id.startswith("sub_")
    assert (subscription.status, subscription.plan_public_id) == ("active", plan_id)
    invoice = subscription.latest_invoice
    assert (invoice.status, invoice.subscription_id, invoice.amount_paid_minor, invoice.currency) == (
        "paid",
        subscription.id,
        2500,
        "usd",
    )
    assert invoice.payment_intent_id.startswith("pi_") and invoice.charge_id.startswith("ch_")
    assert stripe_gateway.subscription_plan_id(subscription.id) == plan_id

    stripe_gateway.change_subscription_quantity(subscription.id, 4000)
    assert stripe_side.subscription(subscription.id)["items"]["data"][0]["quantity"] == 4000

    stripe_gateway.cancel_subscription(subscription.id)
    stripe_gateway.cancel_subscription(subscription.id)  # safe to repeat
    assert stripe_side.subscription(subscription.id)["status"] == "canceled"


def test_canceling_a_subscription_stripe_no_longer_has_is_not_found(stripe_side):
    """What recurring.cancel counts as already stopped (removed in the dashboard)."""
    with pytest.raises(NotFound):
        stripe_gateway.cancel_subscription("sub_never_made")


def test_a_second_plan_for_the_same_email_gets_its_own_customer_and_leaves_the_firsts_card_alone(stripe_side):
    """Each plan's card is its own customer's default, which its
    subscription charges (localstripe refuses `default_payment_method` on
    a subscription, so the gateway relies on this alone)."""
    first_plan, second_plan = str(uuid.uuid4()), str(uuid.uuid4())
    first = stripe_gateway.new_customer_with_card(
        email="ada@example.org", name="Ada Lee", payment_method="pm_card_visa", plan_public_id=first_plan
    )
    first_card = stripe_side.customer(first)["invoice_settings"]["default_payment_method"]
    subscription = stripe_gateway.subscribe(customer_id=first, currency="usd", quantity=2500, plan_public_id=first_plan)

    second = stripe_gateway.new_customer_with_card(
        email="ada@example.org",
        name="Mallory",
        payment_method=stripe_side.card_payment_method("5555555555554444"),
        plan_public_id=second_plan,
    )

    assert second != first
    assert stripe_side.customer(first)["invoice_settings"]["default_payment_method"] == first_card
    assert stripe_side.customer(second)["invoice_settings"]["default_payment_method"] != first_card
    assert stripe_side.subscription(subscription.id)["customer"] == first


@pytest.mark.parametrize(
    "card, intent_status",
    [(DECLINING_PAYMENT_METHOD, "requires_payment_method"), (THREE_D_SECURE_CARD, "requires_action")],
)
def test_a_subscription_whose_first_payment_does_not_go_through_is_incomplete(stripe_side, card, intent_status):
    payment_method = card if card.startswith("pm_") else stripe_side.card_payment_method(card)
    plan_id = str(uuid.uuid4())
    customer = stripe_gateway.new_customer_with_card(
        email="ada@example.org", name="Ada Lee", payment_method=payment_method, plan_public_id=plan_id
    )

    subscription = stripe_gateway.subscribe(customer_id=customer, currency="usd", quantity=2500, plan_public_id=plan_id)

    invoice = subscription.latest_invoice
    assert (subscription.status, invoice.status, invoice.amount_paid_minor) == ("incomplete", "open", 0)
    intent = stripe_gateway.retrieve_payment_intent(invoice.payment_intent_id)
    assert (intent.status, intent.amount_minor) == (intent_status, 2500)
    if intent_status == "requires_action":
        assert intent.client_secret
    else:
        assert intent.failure_code == "card_declined"


@pytest.mark.parametrize(
    "call, object_id",
    [
        (lambda i: stripe_gateway.retrieve_charge(i), "ch_nope"),
        (lambda i: stripe_gateway.retrieve_payment_intent(i), "pi_nope"),
        (lambda i: stripe_gateway.subscription_plan_id(i), "sub_nope"),
        (lambda i: stripe_gateway.retrieve_payout(i), "po_nope"),
        (lambda i: stripe_gateway.retrieve_payment_method(i), "pm_nope"),
        (lambda i: stripe_gateway.cancel_setup_intent(i), "seti_nope"),
        (lambda i: stripe_gateway.retrieve_setup_intent(i), "seti_nope"),
    ],
)
def test_an_object_stripe_does_not_know_is_not_found(stripe_side, call, object_id):
    with pytest.raises(NotFound):
        call(object_id)


def test_the_card_form_gets_a_setup_intents_client_secret(stripe_side):
    assert stripe_gateway.create_setup_intent().startswith("seti_")


def test_a_canceled_setup_intent_is_canceled_and_canceling_it_again_is_fine(stripe_side):
    intent_id = stripe_gateway.create_setup_intent().split("_secret_")[0]

    canceled = stripe_gateway.cancel_setup_intent(intent_id)

    assert (canceled.id, canceled.status) == (intent_id, "canceled")
    assert stripe_gateway.cancel_setup_intent(intent_id).status == "canceled"


def test_a_card_saved_for_a_plans_customer_becomes_the_card_its_subscription_charges(stripe_side):
    """The portal's card change: a SetupIntent for the plan's own customer,
    confirmed in the browser, then its card made the customer's default."""
    plan_id = str(uuid.uuid4())
    customer = stripe_gateway.new_customer_with_card(
        email="ada@example.org", name="Ada Lee", payment_method="pm_card_visa", plan_public_id=plan_id
    )
    subscription = stripe_gateway.subscribe(customer_id=customer, currency="usd", quantity=2500, plan_public_id=plan_id)
    secret = stripe_gateway.create_customer_setup_intent(customer_id=customer)
    intent_id = secret.split("_secret_")[0]

    waiting = stripe_gateway.retrieve_setup_intent(intent_id)
    card = stripe_side.confirm_card_setup(secret, "5555555555554444")
    saved = stripe_gateway.retrieve_setup_intent(intent_id)
    stripe_gateway.set_default_card(customer_id=customer, payment_method=saved.payment_method_id)
    stripe_gateway.set_default_card(customer_id=customer, payment_method=saved.payment_method_id)  # safe to repeat

    assert (waiting.status, waiting.customer_id, waiting.payment_method_id) == (
        "requires_payment_method",
        customer,
        None,
    )
    assert (saved.status, saved.customer_id, saved.payment_method_id) == ("succeeded", customer, card)
    assert stripe_side.customer(customer)["invoice_settings"]["default_payment_method"] == card
    assert stripe_side.subscription(subscription.id)["customer"] == customer


def test_the_donate_forms_setup_intent_is_for_no_customer(stripe_side):
    intent_id = stripe_gateway.create_setup_intent().split("_secret_")[0]

    assert stripe_gateway.retrieve_setup_intent(intent_id).customer_id is None


def test_every_payment_method_made_from_one_card_has_the_same_fingerprint(stripe_side):
    first, second, other = (
        stripe_gateway.retrieve_payment_method(stripe_side.card_payment_method(number))
        for number in ("4242424242424242", "4242424242424242", "5555555555554444")
    )

    assert first.id != second.id
    assert first.card_fingerprint and first.card_fingerprint == second.card_fingerprint
    assert other.card_fingerprint and other.card_fingerprint != first.card_fingerprint


# --- Events --------------------------------------------------------------


@pytest.fixture
def localstripe_deliveries(localstripe_url):
    """What localstripe posts to a webhook endpoint registered with our
    secret: (body, Stripe-Signature header) pairs."""
    delivered = queue.Queue()

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            delivered.put((body, self.headers.get("Stripe-Signature")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    data = urllib.parse.urlencode(
        {"url": f"http://127.0.0.1:{server.server_address[1]}/", "secret": settings.STRIPE_WEBHOOK_SECRET}
    ).encode()
    urllib.request.urlopen(f"{localstripe_url}/_config/webhooks/contract-tests", data=data, timeout=5).close()
    yield delivered
    server.shutdown()
    server.server_close()


def delivered_event(deliveries: queue.Queue, event_type: str, object_id: str) -> tuple[bytes, str]:
    while True:
        body, signature = deliveries.get(timeout=15)
        sent = json.loads(body)
        if sent["type"] == event_type and sent["data"]["object"]["id"] == object_id:
            return body, signature


def test_a_payment_event_is_signed_and_carries_the_intent_as_the_api_answers_it(request, stripe_side):
    if isinstance(stripe_side, Fake):
        intent = charge("pm_card_visa")
        [sent] = stripe_side.fake.events_of("payment_intent.succeeded")
        body = json.dumps(sent).encode()
        signature = sign(body)  # as tests sign the fake's events before posting them
    else:
        deliveries = request.getfixturevalue("localstripe_deliveries")
        intent = charge("pm_card_visa")
        body, signature = delivered_event(deliveries, "payment_intent.succeeded", intent.id)

    verified = stripe_gateway.verify_webhook(body, signature)

    assert verified["type"] == "payment_intent.succeeded"
    assert PaymentIntentState.from_stripe(verified["data"]["object"]) == stripe_gateway.retrieve_payment_intent(
        intent.id
    )


# --- Payouts (localstripe has none) ---------------------------------------


class PayoutEndpoints(stripe.HTTPClient):
    """Stripe's payout endpoints answered in process from the fake's
    objects, at most two to a page, so that the real gateway (the SDK, its
    paging, the parsing) reads exactly what the fake holds."""

    name = "fake-payout-endpoints"
    PAGE_SIZE = 2

    def __init__(self, fake):
        super().__init__()
        self.fake = fake
        self.paths: list[str] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urllib.parse.urlsplit(url)
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.paths.append(parts.path)
        if parts.path == "/v1/payouts":
            since = int(query.get("created[gte]", 0))
            listed = [p for p in self.fake.objects_of("payout") if p["created"] >= since]
            return self._page(parts.path, sorted(listed, key=lambda p: -p["created"]), query)
        if parts.path == "/v1/balance_transactions":
            assert query["expand[0]"] == "data.source"
            return self._page(parts.path, self.fake.payout_transactions[query["payout"]], query)
        payout = self.fake.objects.get(parts.path.removeprefix("/v1/payouts/"))
        if payout is None:
            missing = {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such"}}
            return json.dumps(missing), 404, {}
        return json.dumps(payout), 200, {}

    def _page(self, path: str, objects: list[dict], query: dict):
        start = 0
        if "starting_after" in query:
            start = next(n for n, obj in enumerate(objects) if obj["id"] == query["starting_after"]) + 1
        page = objects[start : start + self.PAGE_SIZE]
        has_more = start + self.PAGE_SIZE < len(objects)
        return json.dumps({"object": "list", "url": path, "has_more": has_more, "data": page}), 200, {}

    def close(self):
        pass


@pytest.fixture
def payout_endpoints(fake_stripe, monkeypatch):
    endpoints = PayoutEndpoints(fake_stripe)
    sdk = stripe.StripeClient("sk_test_contract", stripe_version=STRIPE_API_VERSION, http_client=endpoints)
    monkeypatch.setattr(real_payouts, "client", lambda: sdk)
    return endpoints


def test_the_fakes_payouts_read_through_the_real_gateway_the_same_page_after_page(fake_stripe, payout_endpoints):
    lines = [
        charge_line("txn_1", charge_id="ch_1", payment_intent_id="pi_1", amount=5000, fee=175),
        charge_line("txn_2", charge_id="ch_2", payment_intent_id=None, amount=3000, fee=117),
        refund_line("txn_3", refund_id="re_1", charge_id="ch_2", amount=1500),
        stripe_fee_line("txn_4", amount=200),
    ]
    fake_stripe.add_payout("po_automatic", amount=4825 + 2883 - 1500 - 200, lines=lines)
    fake_stripe.add_payout("po_manual", amount=1000, automatic=False, days_ago=2)
    fake_stripe.add_payout("po_older", amount=0, days_ago=3)
    since = timezone.now() - timedelta(days=7)

    assert real_payouts.list_payouts(created_since=since) == fake_stripe.list_payouts(created_since=since)
    assert real_payouts.retrieve_payout("po_manual") == fake_stripe.retrieve_payout("po_manual")
    assert real_payouts.payout_balance_transactions("po_automatic") == fake_stripe.payout_balance_transactions(
        "po_automatic"
    )
    # Three payouts and five transactions, two a page: the gateway followed has_more.
    assert payout_endpoints.paths.count("/v1/payouts") == 2
    assert payout_endpoints.paths.count("/v1/balance_transactions") == 3
    with pytest.raises(NotFound):
        real_payouts.retrieve_payout("po_nope")


# --- What the real gateway logs --------------------------------------------


@pytest.mark.django_db
def test_declines_are_logged_without_card_data(client, campaign, caplog):
    method = localstripe.card_payment_method(DECLINING_CARD)
    give(client, gift_body(payment_method=method))

    logged = caplog.text
    assert "card declined" in logged
    assert DECLINING_CARD not in logged and "0341" not in logged


def test_deleting_a_customer_removes_it_and_deleting_it_again_is_not_an_error(stripe_side):
    """What an erased donor's Stripe customers go through (privacy.services.erasure)."""
    customer = stripe_gateway.new_customer_with_card(
        email="zeb@example.org",
        name="Zeb Q",
        payment_method=stripe_side.card_payment_method("4242424242424242"),
        plan_public_id=str(uuid.uuid4()),
    )

    assert stripe_gateway.delete_customer(customer) is True

    assert stripe_gateway.delete_customer(customer) is False
    assert stripe_gateway.delete_customer("cus_never_made") is False
