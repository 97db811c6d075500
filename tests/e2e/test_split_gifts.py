"""A split gift through the donate form in a real Chromium: "Split my gift
between funds" shows an amount per fund, the page sends `allocations`, the
thank-you names the parts and the receipt email lists them; a part's
problem is shown beside that fund's amount; the choice works on a phone."""

import re

import pytest
from playwright.sync_api import expect

from core.money import format_money
from donations.models import Donation, RecurringPlan
from donations.services.gifts import covered_fee
from tests.e2e.test_accessibility import blocking_violations, phone_sized, scrolls_sideways  # noqa: F401
from tests.e2e.test_donate_page import CAMPAIGN_URL, DONOR_EMAIL, give_by_card, wait_for_mail

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def split_between(page, **amounts: str) -> None:
    """Tick "Split my gift between funds" and type each fund's amount (by fund name)."""
    page.get_by_label("Split my gift between funds").check()
    parts = page.get_by_role("group", name=re.compile("How much to each fund"))
    for name, amount in amounts.items():
        parts.get_by_label(name, exact=True).fill(amount)


def parts_of(donation: Donation) -> list[tuple[str, int, int]]:
    return [(part.fund.slug, part.amount_minor, part.fee_covered_minor) for part in donation.allocations.all()]


def test_a_gift_split_60_40_is_paid_thanked_for_by_part_and_receipted_with_both_parts(page, campaign, mailoutbox):
    page.goto(CAMPAIGN_URL)
    expect(page.get_by_role("group", name=re.compile("How much to each fund"))).to_be_hidden()

    split_between(page, Rescue="60", Aftercare="40")
    expect(page.locator("#split-total")).to_have_text("$100.00")
    # The fee to cover is the server's, for the whole gift.
    expect(page.locator("#fee-to-cover")).to_have_text(format_money(covered_fee(100_00), "usd"))
    expect(page.get_by_role("radio", name="Rescue")).to_be_hidden()
    give_by_card(page, "4242424242424242", preset=None, fund=None)

    expect(page.locator("#donate-thanks")).to_be_visible()
    expect(page.locator("#thanks-amount")).to_have_text("$100.00")
    # The parts go in the order the page lists the funds; the gift's fund is the first's.
    expect(page.locator("#thanks-parts")).to_have_text("Split between Aftercare ($40.00) and Rescue ($60.00).")
    donation = Donation.objects.get()
    assert (donation.status, donation.amount_minor, donation.fund.slug) == ("succeeded", 100_00, "aftercare")
    assert parts_of(donation) == [("aftercare", 40_00, 0), ("rescue", 60_00, 0)]
    wait_for_mail(mailoutbox, 1)
    [receipt] = mailoutbox
    assert receipt.to == [DONOR_EMAIL]
    assert "Funds: Aftercare $40.00, Rescue $60.00" in receipt.body
    assert "Amount: $100.00 (USD)" in receipt.body


def test_a_monthly_gift_can_be_split_and_its_fees_covered_on_the_total(page, campaign, mailoutbox):
    fee = covered_fee(30_00)
    page.goto(CAMPAIGN_URL)
    page.get_by_role("radio", name="Monthly").check()
    split_between(page, Rescue="20", **{"Where most needed": "10"})
    page.get_by_label(re.compile("to cover the card fees")).check()
    give_by_card(page, "4242424242424242", preset=None, fund=None)

    expect(page.locator("#thanks-amount")).to_have_text(f"{format_money(30_00 + fee, 'usd')} a month")
    plan = RecurringPlan.objects.get()
    assert [(part.fund.slug, part.amount_minor) for part in plan.allocations.all()] == [
        ("rescue", 20_00),
        ("general", 10_00),
    ]
    donation = Donation.objects.get()
    assert [(slug, amount) for slug, amount, _fee in parts_of(donation)] == [("rescue", 20_00), ("general", 10_00)]
    assert sum(fee_part for _slug, _amount, fee_part in parts_of(donation)) == fee


def test_one_fund_given_an_amount_is_shown_beside_the_next_funds_amount_and_nothing_is_sent(page, campaign):
    page.goto(CAMPAIGN_URL)
    split_between(page, Rescue="60")
    give_by_card(page, "4242424242424242", preset=None, fund=None)

    aftercare = page.get_by_role("group", name=re.compile("How much to each fund")).get_by_label("Aftercare")
    expect(aftercare).to_have_attribute("aria-invalid", "true")
    expect(aftercare).to_have_accessible_description(re.compile("at least two funds"))
    expect(aftercare).to_be_focused()
    expect(page.locator("#donate-error")).to_contain_text("Aftercare: Give an amount to at least two funds")
    assert not Donation.objects.exists()


def test_the_servers_problem_with_one_part_is_shown_beside_that_funds_amount(page, campaign):
    page.goto(CAMPAIGN_URL)
    split_between(page, Rescue="60", Aftercare="0.50")
    give_by_card(page, "4242424242424242", preset=None, fund=None)

    parts = page.get_by_role("group", name=re.compile("How much to each fund"))
    aftercare, rescue = parts.get_by_label("Aftercare"), parts.get_by_label("Rescue")
    expect(aftercare).to_have_attribute("aria-invalid", "true")
    expect(aftercare).to_have_accessible_description(re.compile("Each part must be"))
    expect(rescue).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#donate-error")).to_contain_text("Aftercare: Each part must be")
    assert not Donation.objects.exists()


def test_the_split_choice_fits_a_phone_and_has_no_blocking_accessibility_problems(
    phone_sized,  # noqa: F811
    campaign,
    settings,
    localstripe_url,
):
    # The form's script runs only with Stripe.js on the page.
    settings.STRIPE_JS_URL = f"{localstripe_url}/js.stripe.com/v3/"
    phone_sized.goto(CAMPAIGN_URL)
    split_between(phone_sized, Rescue="60", Aftercare="40")

    expect(phone_sized.locator("#split-total")).to_have_text("$100.00")
    assert not scrolls_sideways(phone_sized)
    assert blocking_violations(phone_sized) == []
