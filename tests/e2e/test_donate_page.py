"""The donate form in a real Chromium: a person picks an amount and a fund,
types a Stripe test card into (localstripe's fake) card element, and sees
the outcome; the ledger, the page's totals and the receipt email agree."""

import re
import time

import pytest
from playwright.sync_api import expect

from donations.models import Donation
from receipts.models import Receipt

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CAMPAIGN_URL = "/campaigns/dressember-2026/"
DONOR_EMAIL = "ada@example.org"


def give_by_card(
    page, card_number: str, *, preset: str | None = "$50.00", other_amount: str = "", fund: str | None = "Aftercare"
) -> None:
    """Fill in the donate form as a donor would, and press Give (with no
    preset, amount or fund chosen here for a split gift's, filled already)."""
    if preset:
        page.get_by_role("radio", name=preset, exact=True).check()
    if other_amount:
        page.get_by_label("Other amount").fill(other_amount)
    if fund:
        page.get_by_role("radio", name=fund).check()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lee")
    page.get_by_label("Email", exact=True).fill(DONOR_EMAIL)
    card = page.locator("#card-element")
    card.get_by_placeholder("number", exact=True).fill(card_number)
    card.get_by_placeholder("exp_month", exact=True).fill("12")
    card.get_by_placeholder("exp_year", exact=True).fill("34")
    card.get_by_placeholder("cvc", exact=True).fill("123")
    card.get_by_placeholder("postal_code", exact=True).fill("12345")
    page.get_by_role("button", name="Give", exact=True).click()


def expect_totals(page, url: str, *, raised: str, donors: str) -> None:
    page.goto(url)
    expect(page.get_by_test_id("raised")).to_have_text(raised)
    expect(page.get_by_test_id("donor-count")).to_have_text(donors)


def wait_for_mail(outbox, count: int, *, timeout: float = 5) -> None:
    """The receipt is sent by an on-commit hook of the request that made the
    gift succeed, which may finish just after the page learns of it."""
    deadline = time.monotonic() + timeout
    while len(outbox) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def test_card_gift_from_the_campaign_page_shows_thanks_counts_and_emails_a_receipt(page, campaign, mailoutbox):
    page.goto(CAMPAIGN_URL)
    expect(page.get_by_test_id("raised")).to_have_text("$0.00")

    give_by_card(page, "4242424242424242")

    thanks = page.locator("#donate-thanks")
    expect(thanks).to_be_visible()
    expect(thanks.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page.locator("#thanks-amount")).to_have_text("$50.00")
    expect(page.locator("#thanks-email")).to_have_text(DONOR_EMAIL)
    expect(page.locator("#donate-form")).to_be_hidden()
    expect(page.locator("#donate-error")).to_be_hidden()

    donation = Donation.objects.select_related("fund", "donor").get()
    assert donation.status == Donation.Status.SUCCEEDED
    assert donation.amount_minor == 5000
    assert donation.fund.slug == "aftercare"
    assert (donation.donor.email, donation.donor.first_name, donation.donor.last_name) == (DONOR_EMAIL, "Ada", "Lee")
    assert donation.team is None and donation.fundraiser is None

    receipt = Receipt.objects.get(donation=donation)
    wait_for_mail(mailoutbox, 1)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [DONOR_EMAIL]
    assert receipt.number in mailoutbox[0].body

    expect_totals(page, CAMPAIGN_URL, raised="$50.00", donors="1")


def test_declined_card_shows_the_reason_and_counts_nothing(page, campaign, mailoutbox):
    page.goto(CAMPAIGN_URL)

    give_by_card(page, "4000000000000341")

    error = page.locator("#donate-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("declined")
    expect(page.locator("#donate-thanks")).to_be_hidden()
    # The donor can correct the card and try again.
    expect(page.get_by_role("button", name="Give", exact=True)).to_be_enabled()

    donation = Donation.objects.get()
    assert donation.status == Donation.Status.FAILED
    assert not Receipt.objects.exists()
    assert len(mailoutbox) == 0

    expect_totals(page, CAMPAIGN_URL, raised="$0.00", donors="0")


def test_gift_on_a_fundraiser_page_counts_for_the_fundraiser(page, fundraiser, mailoutbox):
    fundraiser_url = fundraiser.get_absolute_url()
    page.goto(fundraiser_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada's Dressember")
    expect(page.get_by_test_id("raised")).to_have_text("$0.00")

    # A typed amount wins over the preset that is checked by default.
    give_by_card(page, "4242424242424242", preset=None, other_amount="25", fund="Rescue")

    expect(page.locator("#donate-thanks")).to_be_visible()
    expect(page.locator("#thanks-amount")).to_have_text("$25.00")

    donation = Donation.objects.select_related("fund").get()
    assert donation.status == Donation.Status.SUCCEEDED
    assert donation.amount_minor == 2500
    assert donation.fund.slug == "rescue"
    assert donation.fundraiser_id == fundraiser.pk
    assert donation.team_id == fundraiser.team_id

    expect_totals(page, fundraiser_url, raised="$25.00", donors="1")
    # It counts for the fundraiser's team and the campaign too.
    expect_totals(page, f"/campaigns/dressember-2026/teams/{fundraiser.team.slug}/", raised="$25.00", donors="1")
    expect_totals(page, CAMPAIGN_URL, raised="$25.00", donors="1")


def test_3d_secure_card_completes_after_authentication(page, campaign, mailoutbox):
    """No webhook reaches the server here: the page learns the outcome
    because the gift's status endpoint asks Stripe."""
    page.goto(CAMPAIGN_URL)

    give_by_card(page, "4000002500003155")

    # localstripe asks for 3-D Secure twice for this card: once when the
    # card is set up (confirmCardSetup), once when it is charged
    # (confirmCardPayment).
    for _ in range(2):
        page.get_by_role("button", name="Complete authentication").click()

    expect(page.locator("#donate-thanks")).to_be_visible()
    expect(page.locator("#thanks-amount")).to_have_text("$50.00")

    donation = Donation.objects.get()
    assert donation.status == Donation.Status.SUCCEEDED
    assert donation.amount_minor == 5000
    wait_for_mail(mailoutbox, 1)
    assert len(mailoutbox) == 1
    assert Receipt.objects.get(donation=donation).number in mailoutbox[0].body

    expect_totals(page, CAMPAIGN_URL, raised="$50.00", donors="1")


def test_failed_3d_secure_authentication_says_so_and_counts_nothing(page, campaign, mailoutbox):
    page.goto(CAMPAIGN_URL)

    give_by_card(page, "4000002500003155")
    page.get_by_role("button", name="Complete authentication").click()  # setting up the card
    page.get_by_role("button", name="Fail authentication").click()  # charging it

    error = page.locator("#donate-error")
    # Well inside the 30 s the page would spend polling for an outcome.
    expect(error).to_be_visible(timeout=5_000)
    expect(error).to_contain_text("did not authorise")
    expect(page.locator("#donate-thanks")).to_be_hidden()
    expect(page.get_by_role("button", name="Give", exact=True)).to_be_enabled()

    assert Donation.objects.get().status != Donation.Status.SUCCEEDED
    assert len(mailoutbox) == 0
    expect_totals(page, CAMPAIGN_URL, raised="$0.00", donors="0")


def test_campaign_page_fits_a_phone_screen(page, campaign, tmp_path):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(CAMPAIGN_URL)
    expect(page.locator("#card-element input")).to_have_count(5)
    page.screenshot(path=tmp_path / "phone.png", full_page=True)

    # The form is far below the fold on a phone: a link near the top jumps to it.
    page.get_by_role("link", name="Give now").click()
    expect(page.get_by_role("heading", name="Give now")).to_be_in_viewport()

    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
    give = page.get_by_role("button", name="Give", exact=True)
    box = give.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert box["height"] >= 44, "the Give button is too small to tap"


def test_monthly_gift_from_the_page_starts_a_plan(page, campaign, mailoutbox):
    from donations.models import RecurringPlan

    page.goto(CAMPAIGN_URL)
    page.get_by_role("radio", name="Monthly").check()

    give_by_card(page, "4242424242424242", preset="$25.00")

    expect(page.locator("#thanks-amount")).to_have_text("$25.00 a month")
    plan = RecurringPlan.objects.get()
    assert (plan.status, plan.amount_minor, plan.fund.slug) == ("active", 2500, "aftercare")
    assert Donation.objects.get().recurring_plan == plan
    wait_for_mail(mailoutbox, 1)
    assert len(mailoutbox) == 1


# A stand-in for Turnstile's script: a button that plays the person passing
# the challenge, handing the page a token as the real widget's callback does.
TURNSTILE_STAND_IN = """
window.turnstile = {
  render: function (container, options) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "I am a person";
    button.addEventListener("click", function () { options.callback("token-a-person-earned"); });
    container.appendChild(button);
    return "widget-1";
  },
  reset: function () {},
};
"""


def test_while_the_breaker_is_on_the_donor_passes_the_challenge_and_the_gift_goes_through(
    page, campaign, settings, monkeypatch, mailoutbox
):
    from django.core.cache import cache

    from core import captcha
    from donations.services import card_checks

    settings.CAPTCHA_PROVIDER = "turnstile"
    settings.CAPTCHA_SITE_KEY = "0x-site-key"
    settings.CAPTCHA_SECRET_KEY = "0x-secret-key"
    monkeypatch.setattr(captcha, "verify_challenge", lambda token, address: token == "token-a-person-earned")
    cache.set(card_checks.BREAKER_KEY, time.time() + 600, timeout=600)
    page.route(
        "https://challenges.cloudflare.com/turnstile/v0/api.js*",
        lambda route: route.fulfill(content_type="text/javascript", body=TURNSTILE_STAND_IN),
    )
    page.goto(CAMPAIGN_URL)

    give_by_card(page, "4242424242424242")
    challenge = page.locator("#donate-challenge")
    expect(challenge).to_be_visible()
    # One token for the card form's step, a fresh one for the gift.
    for _ in range(2):
        expect(page.locator("#donate-status")).to_contain_text("complete the check")
        challenge.get_by_role("button", name="I am a person").click()

    expect(page.locator("#donate-thanks")).to_be_visible()
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED


# --- Amount presets and a required address -------------------------------------


def test_a_donor_picks_a_preset_and_sees_what_it_does(page, campaign, mailoutbox):
    from campaigns.models import AmountPreset

    AmountPreset.objects.create(
        campaign=campaign, amount_minor=3500, impact_text="pays for a week of aftercare", position=0
    )
    AmountPreset.objects.create(
        campaign=campaign, amount_minor=12000, impact_text="funds a day of a rescue operation", position=1
    )
    page.goto(CAMPAIGN_URL)

    week = page.get_by_role("radio", name="$35.00", exact=True)
    expect(week).to_have_accessible_description("pays for a week of aftercare")
    expect(page.get_by_text("pays for a week of aftercare")).to_be_visible()
    expect(page.get_by_text("funds a day of a rescue operation")).to_be_visible()
    # The campaign's own presets replace the defaults.
    expect(page.get_by_role("radio", name="$250.00", exact=True)).to_have_count(0)

    give_by_card(page, "4242424242424242", preset="$35.00")

    expect(page.locator("#thanks-amount")).to_have_text("$35.00")
    assert Donation.objects.get().amount_minor == 3500


def test_a_campaign_whose_receipts_need_an_address_takes_the_gift_only_once_it_is_given(page, campaign, mailoutbox):
    campaign.donor_address_required = True
    campaign.save()
    page.goto(CAMPAIGN_URL)
    street = page.get_by_label("Street address")
    expect(street).to_have_attribute("required", "")
    expect(page.locator('label[for="address-line1"]')).to_have_text("Street address (required)")

    give_by_card(page, "4242424242424242")

    expect(page.locator("#donate-error")).to_contain_text("This campaign's tax receipts need your street address.")
    expect(street).to_have_attribute("aria-invalid", "true")
    expect(street).to_have_accessible_description("This campaign's tax receipts need your street address.")
    expect(page.get_by_label("ZIP code")).to_have_accessible_description(
        "This campaign's tax receipts need your ZIP code."
    )
    expect(page.get_by_role("button", name="Give", exact=True)).to_be_enabled()
    assert not Donation.objects.exists()

    street.fill("1 Main St")
    page.get_by_label("City or town").fill("Springfield")
    page.get_by_label("State").fill("IL")
    page.get_by_label("ZIP code").fill("62701")
    page.get_by_role("button", name="Give", exact=True).click()

    expect(page.locator("#donate-thanks")).to_be_visible()
    donation = Donation.objects.get()
    assert (donation.donor_address_line1, donation.donor_city, donation.donor_region, donation.donor_postal_code) == (
        "1 Main St",
        "Springfield",
        "IL",
        "62701",
    )


def test_a_required_address_follows_the_country_chosen(page, campaign):
    campaign.donor_address_required = True
    campaign.save()
    page.goto(CAMPAIGN_URL)

    page.get_by_label("Country").select_option("HK")

    postal_code = page.locator("#postal-code")
    expect(page.locator("#postal-code-label")).to_have_text("Postal code (optional)")
    expect(postal_code).not_to_have_attribute("required", "")
    expect(page.locator("#region")).not_to_have_attribute("required", "")
    page.get_by_label("Country").select_option("CA")
    expect(page.locator("#region-label")).to_have_text("Province (required)")
    expect(postal_code).to_have_attribute("required", "")


def test_a_donor_gives_on_behalf_of_an_organisation_which_the_receipt_names(page, campaign, mailoutbox):
    page.goto(CAMPAIGN_URL)
    name = page.get_by_label("Organisation's name")
    expect(name).to_be_hidden()
    page.get_by_label("I'm giving on behalf of an organisation").check()

    # Ticked but left empty: said beside the field, and nothing is sent.
    give_by_card(page, "4242424242424242")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(re.compile("Please give the organisation's name."))
    assert not Donation.objects.exists()

    name.fill("Grace Church")
    page.get_by_role("button", name="Give", exact=True).click()

    expect(page.locator("#donate-thanks")).to_be_visible()
    donation = Donation.objects.select_related("organization").get()
    assert (donation.organization.name, donation.organization_name) == ("Grace Church", "Grace Church")
    wait_for_mail(mailoutbox, 1)
    assert "Donor: Grace Church" in mailoutbox[0].body and "Contact: Ada Lee" in mailoutbox[0].body
