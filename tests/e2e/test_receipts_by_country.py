"""Giving on a Canadian and a UK charity's campaign in a real Chromium:
the donate form asks what that country's receipts need (the address; in
the UK, the Gift Aid declaration), and the receipt that arrives follows
that country's rules."""

import re

import pytest
from playwright.sync_api import expect

from donations.models import Donation, GiftAidDeclaration
from tests.e2e.test_donate_page import CAMPAIGN_URL, give_by_card, wait_for_mail
from tests.factories import ReceiptingEntityFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def received_by(campaign, *, currency: str, **trait) -> None:
    campaign.currency = currency
    campaign.receipting_entity = ReceiptingEntityFactory(**trait)
    campaign.save()


def test_a_uk_donor_ticks_gift_aid_and_the_declaration_and_acknowledgement_follow(page, campaign, mailoutbox):
    received_by(campaign, currency="gbp", british=True)
    page.goto(CAMPAIGN_URL)
    declaration = page.locator("#gift-aid-declaration")
    page.get_by_role("radio", name="£100.00", exact=True).check()
    expect(declaration).to_contain_text("I want to Gift Aid my donation of £100.00")
    expect(declaration).to_contain_text("Freedom Now UK")
    gift_aid = page.get_by_label("Yes, add Gift Aid to my donation")
    expect(gift_aid).to_have_accessible_description(re.compile(r"I want to Gift Aid my donation of £100\.00"))

    page.get_by_label("Street address").fill("10 Downing Street")
    page.get_by_label("City or town").fill("London")
    page.get_by_label("Postcode").fill("sw1a 2aa")
    gift_aid.check()
    give_by_card(page, "4242424242424242", preset="£50.00")

    expect(page.locator("#donate-thanks")).to_be_visible()
    recorded = GiftAidDeclaration.objects.get()
    assert (recorded.postcode, recorded.house_name_or_number, recorded.source) == ("SW1A 2AA", "10", "online_form")
    assert "I want to Gift Aid my donation of £50.00" in recorded.wording
    assert recorded.donation == Donation.objects.get()
    wait_for_mail(mailoutbox, 1)
    assert "Gift Aid: Yes, under your declaration of" in mailoutbox[0].body


def test_a_canadian_donor_gets_an_official_receipt_for_income_tax_purposes(page, campaign, mailoutbox):
    received_by(campaign, currency="cad", canadian=True)
    page.goto(CAMPAIGN_URL)
    expect(page.locator("#gift-aid-details")).to_have_count(0)

    page.get_by_label("Street address").fill("1 Queen St W")
    page.get_by_label("City or town").fill("Toronto")
    page.get_by_label("Province").fill("ON")
    page.get_by_label("Postal code").fill("M5H 2N2")
    give_by_card(page, "4242424242424242", preset="CA$50.00")

    expect(page.locator("#donate-thanks")).to_be_visible()
    wait_for_mail(mailoutbox, 1)
    body = mailoutbox[0].body
    assert "Official receipt for income tax purposes" in body
    assert "Charity registration number: 123456789RR0001" in body
    assert "1 Queen St W" in body and "canada.ca/charities-giving" in body
