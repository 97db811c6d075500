"""The portal's plan page in a real Chromium: a signed-in donor types a new
card into (localstripe's fake) card element, and the plan's Stripe
customer charges that card from then on."""

import time
from importlib import import_module

import pytest
from django.conf import settings
from playwright.sync_api import expect

from donations.models import PlanChange, RecurringPlan
from donors.session import SESSION_KEY
from tests import localstripe
from tests.gifts import gift_body, give

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def signed_in(page, live_server, donor) -> None:
    """The browser holds the donor's portal session, as the emailed link
    leaves it (donors.session.sign_in)."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = {"donor": donor.pk, "seen": int(time.time())}
    session.save()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}]
    )


def test_a_donor_changes_the_card_of_their_monthly_gift(page, live_server, client, campaign):
    assert give(client, gift_body(frequency="monthly", amount_minor=2500)).status_code == 201
    plan = RecurringPlan.objects.get()
    old_card = (
        localstripe.sdk_client().v1.customers.retrieve(plan.stripe_customer_id).invoice_settings.default_payment_method
    )
    signed_in(page, live_server, plan.donor)

    page.goto(f"/donor/plans/{plan.public_id}/")
    card = page.locator("#card-element")
    card.get_by_placeholder("number", exact=True).fill("5555555555554444")
    card.get_by_placeholder("exp_month", exact=True).fill("12")
    card.get_by_placeholder("exp_year", exact=True).fill("34")
    card.get_by_placeholder("cvc", exact=True).fill("123")
    card.get_by_placeholder("postal_code", exact=True).fill("12345")
    page.get_by_role("button", name="Use this card").click()

    expect(page.get_by_role("status").filter(has_text="Your new card will be charged")).to_be_visible()
    customer = localstripe.sdk_client().v1.customers.retrieve(plan.stripe_customer_id)
    new_card = customer.invoice_settings.default_payment_method
    assert new_card and new_card != old_card
    change = PlanChange.objects.get()
    assert change.kind == "card"
    intent = localstripe.sdk_client().v1.setup_intents.retrieve(change.stripe_setup_intent_id)
    assert (intent.customer, intent.payment_method, intent.status) == (plan.stripe_customer_id, new_card, "succeeded")
