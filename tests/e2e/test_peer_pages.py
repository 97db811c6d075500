"""Peer fundraising in a real Chromium on a phone-sized screen: a supporter
signs up from the campaign page, confirms their email, starts a fundraiser
page and copies its share link."""

import re

import pytest
from playwright.sync_api import expect

from campaigns.models import Fundraiser
from tests.e2e.conftest import TIMEOUT_MS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser, live_server, settings, localstripe_url):
    settings.STRIPE_JS_URL = f"{localstripe_url}/js.stripe.com/v3/"
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    page_errors = []
    tab.on("pageerror", lambda error: page_errors.append(str(error)))
    yield tab
    context.close()
    assert not page_errors, f"JavaScript errors on the page: {page_errors}"


def test_a_supporter_signs_up_confirms_their_email_starts_a_page_and_copies_its_share_link(
    phone, campaign, team, live_server, mailoutbox
):
    phone.goto("/campaigns/dressember-2026/")
    phone.get_by_role("link", name="Start your own fundraiser").click()
    expect(phone.get_by_role("heading", name="Log in")).to_be_visible()
    phone.get_by_role("main").get_by_role("link", name="Sign up").click()

    phone.get_by_label("Email").fill("Nia@Example.org")
    phone.get_by_label("First name").fill("Nia")
    phone.get_by_label("Last name").fill("Jones")
    phone.get_by_label("Password:", exact=True).fill("dress-for-freedom-42")
    phone.get_by_label("Password again").fill("dress-for-freedom-42")
    phone.get_by_role("button", name="Create my account").click()

    expect(phone.get_by_role("heading", name="Check your email")).to_be_visible()
    [welcome] = mailoutbox
    phone.goto(re.search(r"/accounts/verify/\S+/", welcome.body).group(0))
    phone.get_by_role("button", name="Confirm my email address").click()
    expect(phone.get_by_role("status").first).to_contain_text("your email address is confirmed")
    phone.get_by_label("Email").fill("nia@example.org")
    phone.get_by_label("Password:", exact=True).fill("dress-for-freedom-42")
    phone.get_by_role("button", name="Log in").click()
    phone.get_by_role("link", name="start a fundraiser").click()

    expect(phone.get_by_role("heading", name="Start your fundraiser")).to_be_visible()
    phone.get_by_label("Title").fill("Nia's 31 days")
    phone.get_by_label("Your story").fill("<b>Every day</b> in a dress.")
    phone.get_by_label("Goal (USD)").fill("750")
    phone.get_by_label("Team (optional)").select_option(label="Freedom Threads")
    phone.get_by_role("button", name="Create my page").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Manage Nia's 31 days")
    expect(phone.get_by_role("status").first).to_contain_text("Your fundraiser page is live")
    phone.get_by_role("button", name="Copy link").click()
    expect(phone.get_by_text("Link copied.")).to_be_visible()
    public_url = f"{live_server.url}/campaigns/dressember-2026/fundraisers/nias-31-days/"
    assert phone.evaluate("navigator.clipboard.readText()") == public_url

    phone.goto(public_url)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Nia's 31 days")
    expect(phone.get_by_text("<b>Every day</b> in a dress.")).to_be_visible()
    expect(phone.get_by_role("link", name="Give now")).to_be_visible()
    page = Fundraiser.objects.get(slug="nias-31-days")
    assert (page.owner.username, page.team.slug, page.goal_minor) == ("nia@example.org", "freedom-threads", 750_00)
