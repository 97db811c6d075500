"""Whole journeys in a real Chromium, checked by what the person sees and
by the ledger: a gift on a fundraiser page with the fees covered, a
postal address and a dedication whose card reaches the person named, a
monthly gift stopped from the link in its email, a supporter who starts
a team and a page, invites a member and thanks a donor, and finance staff
downloading the gifts the donors made."""

import csv
import io
import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.money import format_money
from donations.models import Donation, RecurringPlan
from donations.services.gifts import covered_fee
from receipts.models import ThankYouNote
from tests import factories
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_accessibility import blocking_violations, logged_in_tab
from tests.e2e.test_donate_page import CAMPAIGN_URL, DONOR_EMAIL, expect_totals, give_by_card, wait_for_mail

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


def wait_for_message(outbox, *, to: str, subject: str, timeout: float = 5):
    """The one email to `to` whose subject starts with `subject`, once an
    on-commit hook of another request has sent it (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [message for message in outbox if message.to == [to] and message.subject.startswith(subject)]
        if found or time.monotonic() > deadline:
            assert len(found) == 1, f"{len(found)} emails to {to} about {subject!r}"
            return found[0]
        time.sleep(0.05)


def link_path(body: str, pattern: str) -> str:
    """The path of the first link in an email that matches `pattern`
    (emails carry SITE_URL, which is not the live server's)."""
    return re.search(pattern, body).group(0)


def test_a_supporter_starts_a_team_and_a_page_invites_a_member_and_thanks_a_donor_who_never_shows_up_on_their_screen(
    page, browser, live_server, campaign, mailoutbox
):
    supporter = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    supporter.set_default_timeout(TIMEOUT_MS)
    nia = supporter.new_page()
    seen_by_nia = []

    def remember(tab):
        seen_by_nia.append(tab.content())

    nia.goto("/accounts/signup/")
    nia.get_by_label("Email").fill("nia@example.org")
    nia.get_by_label("First name").fill("Nia")
    nia.get_by_label("Last name").fill("Jones")
    nia.get_by_label("Password:", exact=True).fill("dress-for-freedom-42")
    nia.get_by_label("Password again").fill("dress-for-freedom-42")
    nia.get_by_role("button", name="Create my account").click()
    welcome = wait_for_message(mailoutbox, to="nia@example.org", subject="")
    nia.goto(link_path(welcome.body, r"/accounts/verify/\S+/"))
    nia.get_by_role("button", name="Confirm my email address").click()
    nia.get_by_label("Email").fill("nia@example.org")
    nia.get_by_label("Password:", exact=True).fill("dress-for-freedom-42")
    nia.get_by_role("button", name="Log in").click()

    # A team, then her own page on it.
    nia.goto(CAMPAIGN_URL)
    nia.get_by_role("link", name="Start a team").click()
    nia.get_by_label("Title").fill("Night Owls")
    nia.get_by_label("Goal (USD)").fill("1000")
    nia.get_by_role("button", name="Create the team").click()
    expect(nia.get_by_role("heading", level=1)).to_have_text("Manage Night Owls")
    team_dashboard = nia.url
    nia.goto(CAMPAIGN_URL + "start/")
    nia.get_by_label("Title").fill("Nia's 31 days")
    nia.get_by_label("Goal (USD)").fill("750")
    nia.get_by_label("Team (optional)").select_option(label="Night Owls")
    nia.get_by_role("button", name="Create my page").click()
    expect(nia.get_by_role("heading", level=1)).to_have_text("Manage Nia's 31 days")

    # She invites Mo, who accepts from the link in the email, in his own browser.
    mo = factories.UserFactory(email="mo@example.org", first_name="Mo")
    nia.goto(team_dashboard)
    invite_panel = nia.get_by_role("region", name="Invite a member")
    invite_panel.get_by_label("Email").fill("mo@example.org")
    invite_panel.get_by_role("button", name="Send invite").click()
    expect(nia.get_by_role("status").first).to_contain_text("Invite emailed to mo@example.org")
    invite = wait_for_message(mailoutbox, to="mo@example.org", subject="")
    mo_tab = logged_in_tab(browser, live_server, mo)
    mo_tab.goto(link_path(invite.body, r"/invites/\S+/"))
    expect(mo_tab.get_by_role("heading", level=1)).to_have_text("Join Night Owls")
    mo_tab.get_by_label("Title").fill("Mo's marathon")
    mo_tab.get_by_role("button", name="Create my page and join Night Owls").click()
    expect(mo_tab.get_by_role("status").first).to_contain_text("Welcome to Night Owls!")
    mo_tab.context.close()
    nia.reload()
    expect(nia.get_by_role("region", name="Members").get_by_role("link", name="Mo's marathon")).to_be_visible()

    # She raises the team's goal and sees it on the public page.
    team_page = nia.get_by_role("region", name="Team page")
    team_page.get_by_label("Goal (USD)").fill("2500")
    team_page.get_by_role("button", name="Save").click()
    expect(nia.get_by_role("status").first).to_contain_text("Team page saved.")
    nia.goto(CAMPAIGN_URL + "teams/night-owls/")
    expect(nia.get_by_text("raised of $2,500.00 goal")).to_be_visible()

    # A donor gives on her page.
    page.goto(CAMPAIGN_URL + "fundraisers/nias-31-days/")
    give_by_card(page, "4242424242424242", preset="$50.00")
    expect(page.locator("#donate-thanks")).to_be_visible()

    # Nia hears of it, and thanks the donor from the dashboard the email links to.
    notice = wait_for_message(mailoutbox, to="nia@example.org", subject="Ada Lee gave $50.00")
    assert DONOR_EMAIL not in notice.body
    nia.goto(link_path(notice.body, r"/campaigns/\S+/fundraisers/nias-31-days/manage/"))
    gifts = nia.get_by_role("region", name="Gifts to your page")
    expect(gifts.get_by_role("cell", name="Ada Lee")).to_be_visible()
    remember(nia)
    gifts.get_by_text("Send a thank-you note").click()
    gifts.get_by_label("Your note").fill("Thank you, Ada! Day 3 done.")
    gifts.get_by_role("button", name="Send the note").click()
    expect(nia.get_by_role("status").first).to_contain_text("Your thank-you note is on its way to the donor.")
    expect(gifts.get_by_text(re.compile(r"Thanked on \d+ \w+ \d{4}"))).to_be_visible()
    expect(gifts.get_by_role("button", name="Send the note")).to_have_count(0)
    remember(nia)
    # As the team's captain she sees the gift thanked there too.
    nia.goto(team_dashboard)
    expect(nia.get_by_role("region", name="Gifts to the team").get_by_text(re.compile("Thanked on"))).to_be_visible()
    remember(nia)
    supporter.close()

    thanks = wait_for_message(mailoutbox, to=DONOR_EMAIL, subject="A thank-you from Nia")
    assert thanks.subject == "A thank-you from Nia for your gift to Nia's 31 days"
    assert "Thank you, Ada! Day 3 done." in thanks.body
    assert "$50.00" in thanks.body and "does not have your email address" in thanks.body
    assert ThankYouNote.objects.get().status == ThankYouNote.Status.SENT
    assert seen_by_nia and all(DONOR_EMAIL not in html for html in seen_by_nia)


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
