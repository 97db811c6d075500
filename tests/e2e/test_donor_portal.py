"""A donor signs in to the portal in a real Chromium: asks for a link on
the sign-in page, opens it from the email, and sees their gifts (on a
phone too, with no serious accessibility violations and no sideways
scrolling)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_accessibility import blocking_violations, scrolls_sideways
from tests.e2e.test_donate_page import wait_for_mail

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIGN_IN_LINK = re.compile(r"https?://[^/\s]+(/donor/sign-in/[^/\s]+/)")


def test_a_donor_asks_for_a_link_opens_it_from_the_email_and_sees_their_gifts(
    browser, live_server, make_gift, mailoutbox
):
    gift = make_gift(amount_minor=4200)
    make_gift(donor__email="bo@example.org", amount_minor=7700)
    mailoutbox.clear()
    # A phone, so the portal's tables are seen where they are hardest to fit.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    page.goto("/donor/")
    expect(page).to_have_url(re.compile(r"/donor/sign-in/\?next=/donor/$"))
    assert blocking_violations(page) == []
    page.get_by_label("Your email address").fill("ada@example.org")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    wait_for_mail(mailoutbox, 1)
    [message] = mailoutbox
    assert message.to == ["ada@example.org"]
    page.goto(SIGN_IN_LINK.search(message.body).group(1))

    expect(page).to_have_url(re.compile(r"/donor/$"))
    expect(page.get_by_text("Signed in as ada@example.org")).to_be_visible()
    gifts = page.get_by_role("table", name=re.compile("Every gift you made"))
    expect(gifts.get_by_role("row")).to_have_count(2)
    expect(gifts).to_contain_text("$42.00")
    expect(gifts.get_by_role("link", name=f"Receipt {gift.receipt_number}")).to_be_visible()
    expect(page.get_by_text("$77.00")).to_have_count(0)
    assert blocking_violations(page) == []
    assert not scrolls_sideways(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    context.close()
