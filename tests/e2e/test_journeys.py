"""Whole journeys in a real Chromium, checked by what the person sees and
by the ledger: a gift on a fundraiser page with the fees covered, a
postal address and a dedication whose card reaches the person named, a
monthly gift stopped from the link in its email, and finance staff
downloading the gifts the donors made."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.money import format_money
from donations.models import Donation, RecurringPlan
from donations.services.gifts import covered_fee
from tests.e2e.test_accessibility import blocking_violations, logged_in_tab
from tests.e2e.test_donate_page import CAMPAIGN_URL, expect_totals, give_by_card, wait_for_mail

TEAM_URL = CAMPAIGN_URL + "teams/freedom-threads/"
FUNDRAISER_URL = CAMPAIGN_URL + "fundraisers/ada-lee/"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_donor_covers_the_fees_on_a_fundraiser_page_and_every_total_rises_by_the_gift(page, fundraiser, mailoutbox):
    fee = covered_fee(75_00)
    page.goto(FUNDRAISER_URL)
    page.get_by_label("Other amount").fill("75")
    cover = page.get_by_label(re.compile("to cover the card fees"))
    # Shown before paying, for the amount typed.
    expect(cover).to_have_accessible_name(re.compile(re.escape(f"Add {format_money(fee, 'usd')} to cover")))
    cover.check()
    page.get_by_label("Country").select_option(label="Canada")
    expect(page.get_by_label("Province")).to_be_visible()
    page.get_by_label("Street address").fill("12 Rue Sainte-Catherine")
    page.get_by_label("City or town").fill("Montréal")
    page.get_by_label("Province").fill("QC")
    page.get_by_label("Postal code", exact=True).fill("H2X 1K4")
    dedication = page.get_by_role("group", name="Dedicate this gift")
    expect(dedication.get_by_label("Their name")).to_be_hidden()
    dedication.get_by_role("radio", name="In memory of").check()
    dedication.get_by_label("Their name").fill("Rosa Diaz")
    dedication.get_by_label("Tell someone by email (optional)").fill("luis@example.org")
    give_by_card(page, "4242424242424242", preset=None, fund="Rescue")

    expect(page.locator("#thanks-amount")).to_have_text(format_money(75_00 + fee, "usd"))
    donation = Donation.objects.select_related("fund", "donor").get()
    assert (donation.amount_minor, donation.fee_covered_minor, donation.fund.slug) == (75_00, fee, "rescue")
    assert (donation.donor.address_line1, donation.donor.city, donation.donor.country) == (
        "12 Rue Sainte-Catherine",
        "Montréal",
        "CA",
    )
    assert (donation.dedication_kind, donation.dedication_name, donation.dedication_notify_email) == (
        "memory",
        "Rosa Diaz",
        "luis@example.org",
    )
    wait_for_mail(mailoutbox, 2)
    [receipt] = [message for message in mailoutbox if message.to == ["ada@example.org"]]
    assert f"Of which, to cover card fees: {format_money(fee, 'usd')}" in receipt.body
    assert "H2X 1K4" in receipt.body
    assert "Dedication: In memory of Rosa Diaz" in receipt.body
    # The person the donor named hears of the gift once, never of its amount.
    [card] = [message for message in mailoutbox if message.to == ["luis@example.org"]]
    assert "Ada Lee" in card.body and "in memory of Rosa Diaz" in card.body
    card_text = card.subject + card.body + card.alternatives[0][0]
    assert "$" not in card_text and "75" not in card_text and str(75_00 + fee) not in card_text
    raised = format_money(75_00 + fee, "usd")
    for url in (FUNDRAISER_URL, TEAM_URL, CAMPAIGN_URL):
        expect_totals(page, url, raised=raised, donors="1")


def test_a_monthly_gift_is_set_up_and_stopped_from_the_link_in_its_email(page, campaign, mailoutbox):
    page.goto(CAMPAIGN_URL)
    page.get_by_role("radio", name="Monthly").check()
    give_by_card(page, "4242424242424242", preset="$25.00", fund="Rescue")
    expect(page.locator("#thanks-amount")).to_have_text("$25.00 a month")
    wait_for_mail(mailoutbox, 1)

    [receipt] = mailoutbox
    page.goto(re.search(r"/monthly/\S+/", receipt.body).group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your monthly gift")
    expect(page.get_by_text("$25.00 a month to Dressember 2026, for Rescue.")).to_be_visible()
    assert blocking_violations(page) == []
    page.get_by_role("button", name="Stop my monthly gift").click()

    expect(page.get_by_role("status")).to_contain_text("Your monthly gift has been stopped")
    expect(page.get_by_role("button", name="Stop my monthly gift")).to_have_count(0)
    plan = RecurringPlan.objects.get()
    assert plan.status == RecurringPlan.Status.CANCELED
    # The first month's gift stands: stopping ends what is to come.
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED


def test_finance_staff_filter_by_fund_and_date_and_the_csv_holds_the_donors_gifts(
    page, browser, live_server, campaign, finance_user, mailoutbox
):
    for fund, amount in (("Rescue", "$100.00"), ("Aftercare", "$50.00"), ("Rescue", "$25.00"), ("Rescue", "$250.00")):
        page.goto(CAMPAIGN_URL)
        give_by_card(page, "4242424242424242", preset=amount, fund=fund)
        expect(page.locator("#donate-thanks")).to_be_visible()
    # A rescue gift from ten days ago, outside the days finance asks for.
    Donation.objects.filter(amount_minor=100_00).update(succeeded_at=timezone.now() - timedelta(days=10))
    wanted = Donation.objects.filter(fund__slug="rescue", amount_minor__in=[25_00, 250_00])
    assert wanted.count() == 2

    finance = logged_in_tab(browser, live_server, finance_user)
    finance.goto("/finance/export/")
    today = timezone.now().date()
    finance.get_by_label("From").fill((today - timedelta(days=3)).isoformat())
    finance.get_by_label("Until").fill(today.isoformat())
    finance.get_by_label("Fund").select_option(label="Rescue")
    with finance.expect_download() as download:
        finance.get_by_role("button", name="Download CSV").click()

    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert sorted((row["gift_id"], row["amount"], row["fund"], row["status"]) for row in rows) == sorted(
        (str(gift.public_id), f"{gift.amount_minor // 100}.{gift.amount_minor % 100:02d}", "rescue", "succeeded")
        for gift in wanted
    )
