"""The consent record of a donor's choice of impact updates: every choice
applied to the donor is written down with when, where and the exact
words they were shown (the donate form, the API, an update's unsubscribe
link; the portal's in tests/donors/test_preferences.py)."""

import json

import pytest

from donations import update_consent
from donations.models import Donation, Donor, UpdateConsent
from donations.services import donors
from receipts.models import ImpactUpdate, UpdateDelivery
from tests.conftest import ROOT
from tests.factories import DonationFactory, DonorFactory
from tests.gifts import DECLINING_PAYMENT_METHOD, gift_body, give

pytestmark = pytest.mark.django_db


def test_a_gift_from_the_donate_form_records_the_boxs_words_and_the_gift(client, campaign):
    response = give(client, gift_body(email_updates=True), HTTP_HOPEFUND_CLIENT="donate-form")

    assert response.status_code == 201
    consent = UpdateConsent.objects.get()
    gift = Donation.objects.get()
    assert consent.donor == gift.donor and consent.donation == gift
    assert (consent.wants_updates, consent.source) == (True, "donate_form")
    assert consent.wording == update_consent.DONATE_FORM


def test_a_no_from_the_donate_form_is_recorded_as_a_no(client, campaign):
    give(client, gift_body(email_updates=False), HTTP_HOPEFUND_CLIENT="donate-form")

    consent = UpdateConsent.objects.get()
    assert (consent.wants_updates, consent.source) == (False, "donate_form")


def test_a_gift_through_the_api_records_the_fields_documented_meaning(client, campaign):
    give(client, gift_body(email_updates=False))

    consent = UpdateConsent.objects.get()
    assert (consent.wants_updates, consent.source) == (False, "api")
    assert consent.wording == update_consent.API
    assert "email_updates" in consent.wording


def test_the_apis_recorded_words_are_the_fields_documented_meaning():
    schema = json.loads((ROOT / "hopefund" / "openapi.json").read_text())

    found = []

    def descriptions(node):
        if isinstance(node, dict):
            if "email_updates" in node.get("properties", {}):
                found.append(node["properties"]["email_updates"]["description"])
            for value in node.values():
                descriptions(value)
        elif isinstance(node, list):
            for value in node:
                descriptions(value)

    descriptions(schema)
    assert found and all(text.startswith(update_consent.API_MEANING) for text in found)


def test_each_paid_gift_with_a_choice_adds_a_record_even_when_it_changes_nothing(client, campaign):
    give(client, gift_body(email_updates=True))
    give(client, gift_body(email_updates=True))

    assert UpdateConsent.objects.filter(donor__email="ada@example.org").count() == 2


def test_a_declined_gift_records_no_consent(client, campaign):
    give(client, gift_body(email_updates=False, payment_method=DECLINING_PAYMENT_METHOD))

    assert not UpdateConsent.objects.exists()


def test_the_header_does_not_change_what_an_idempotent_retry_means(client, campaign):
    body = gift_body(email_updates=True)
    first = give(client, body, HTTP_IDEMPOTENCY_KEY="k-1", HTTP_HOPEFUND_CLIENT="donate-form")
    again = give(client, body, HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert UpdateConsent.objects.count() == 1


def test_gifts_paid_together_each_record_their_choice_and_offline_ones_none(campaign, funds):
    ada = DonorFactory()
    ada.update_funds.set([funds["rescue"]])
    said_no = DonationFactory(
        donor=ada, campaign=campaign, fund=funds["rescue"], donor_wants_updates=False, donor_updates_source="api"
    )
    offline = DonationFactory(donor=ada, campaign=campaign, fund=funds["rescue"], donor_wants_updates=None)

    donors.apply_details_of_paid_gifts([said_no, offline])

    [consent] = UpdateConsent.objects.all()
    assert (consent.donation_id, consent.wants_updates, consent.source) == (said_no.pk, False, "api")
    # A gift changes only yes or no: the funds the donor chose stand, and the record says so.
    assert consent.fund_slugs == ["rescue"]


def test_the_donate_form_shows_the_recorded_words_unticked_with_the_refusal_and_the_privacy_notice(client, campaign):
    page = client.get("/campaigns/dressember-2026/").content.decode()

    assert update_consent.DONATE_FORM in page
    assert update_consent.DONATE_FORM_REFUSAL in page
    assert 'name="email_updates" id="email-updates" aria-describedby="email-updates-hint">' in page
    assert 'href="/privacy/"' in page


@pytest.fixture
def delivery(campaign, funds):
    gift = DonationFactory(campaign=campaign, fund=funds["rescue"], donor__email="ada@example.org")
    update = ImpactUpdate.objects.create(title="Spring news", body="Thank you.")
    return UpdateDelivery.objects.create(update=update, donor=gift.donor)


def test_the_unsubscribe_link_records_a_no_with_the_question_it_asked(client, delivery):
    asked = client.get(f"/unsubscribe/{delivery.unsubscribe_token}/").content.decode()
    client.post(f"/unsubscribe/{delivery.unsubscribe_token}/")

    consent = UpdateConsent.objects.get()
    assert (consent.donor_id, consent.wants_updates, consent.source) == (delivery.donor_id, False, "unsubscribe_link")
    assert consent.wording == "Stop sending news and impact updates to ada@example.org?"
    assert consent.wording in asked
    assert Donor.objects.get(pk=delivery.donor_id).wants_updates is False


def test_a_repeated_one_click_unsubscribe_records_the_no_once(client, delivery):
    client.post(f"/unsubscribe/{delivery.unsubscribe_token}/")
    client.post(f"/unsubscribe/{delivery.unsubscribe_token}/")

    assert UpdateConsent.objects.count() == 1
