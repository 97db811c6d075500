"""The donor's email preferences page in a real Chromium: no serious or
critical accessibility violation, as it opens and with a choice in error,
and no sideways scrolling at 375 px."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from tests import factories
from tests.auth import sign_in_donor
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_accessibility import blocking_violations, scrolls_sideways

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def donor_tab(browser, live_server, *, width: int = 1280):
    """A tab whose browser carries a donor's portal session."""
    client = Client()
    sign_in_donor(client, factories.DonorFactory(email="ada@example.org"))
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    return context.new_page()


@pytest.mark.parametrize("width", [1280, 375])
def test_the_preferences_page_is_accessible_and_fits_a_phone(browser, live_server, funds, width):
    tab = donor_tab(browser, live_server, width=width)
    tab.goto("/donor/preferences/")
    expect(tab.get_by_role("heading", level=1)).to_have_text("Email preferences")

    assert blocking_violations(tab) == []
    assert not scrolls_sideways(tab)


def test_a_choice_in_error_is_announced_and_still_accessible(browser, live_server, funds):
    tab = donor_tab(browser, live_server)
    tab.goto("/donor/preferences/")

    tab.get_by_label("Email me impact updates only about the funds I choose").check()
    tab.get_by_role("button", name="Save my preferences").click()

    expect(tab.get_by_role("alert")).to_contain_text("Choose at least one fund")
    expect(tab.get_by_label("Rescue")).to_have_attribute("aria-invalid", "true")
    assert blocking_violations(tab) == []

    tab.get_by_label("Rescue").check()
    tab.get_by_role("button", name="Save my preferences").click()
    expect(tab.get_by_role("status")).to_contain_text("Your email preferences are saved.")
    expect(tab.get_by_label("Rescue")).to_be_checked()
