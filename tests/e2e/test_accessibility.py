"""Every page a person uses, checked by axe-core (the engine browsers'
accessibility tools use) in a real Chromium: no serious or critical
violation on the public pages, the donate form in each of its states, the
supporters' dashboards and the finance pages; at 375 px no page scrolls
sideways; and a whole gift made with the keyboard alone."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client
from playwright.sync_api import expect

from donations.models import Donation
from receipts.services import thank_you_notes
from tests import factories
from tests.auth import log_in
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_donate_page import give_by_card

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CAMPAIGN = "/campaigns/dressember-2026/"
TEAM = CAMPAIGN + "teams/freedom-threads/"
FUNDRAISER = CAMPAIGN + "fundraisers/ada-lee/"
PUBLIC_PAGES = [
    "/",
    CAMPAIGN,
    TEAM,
    FUNDRAISER,
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password-reset/",
    "/privacy/",
    # What a donor meets from an email whose link no longer works.
    "/monthly/no-such-link/",
    "/unsubscribe/no-such-link/",
]
DASHBOARDS = ["/accounts/", TEAM + "manage/", FUNDRAISER + "manage/"]
FINANCE_PAGES = ["/finance/", "/finance/export/", "/finance/imports/", "/finance/payouts/"]
# What the WCAG checks weigh as blocking someone from the page; "moderate"
# and "minor" findings are reported but do not fail.
BLOCKING = ("serious", "critical")

axe = Axe()


def blocking_violations(page) -> list[str]:
    results = axe.run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


def scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


@pytest.fixture
def phone_sized(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740}, is_mobile=True)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def logged_in_tab(browser, live_server, user, *, width: int = 1280):
    """A tab whose browser carries `user`'s session, second factor given."""
    client = log_in(Client(), user)
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    return context.new_page()


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_serious_accessibility_violations(page, path, fundraiser):
    page.goto(path)

    assert blocking_violations(page) == []


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_fits_a_375_pixel_screen(phone_sized, path, fundraiser):
    phone_sized.goto(path)

    assert not scrolls_sideways(phone_sized)


def test_the_check_finds_what_it_is_there_to_find(page, campaign):
    page.goto(CAMPAIGN)
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=/x.png>')")

    assert [found.split(" ")[0] for found in blocking_violations(page)] == ["image-alt"]


@pytest.mark.parametrize(
    ("card", "shown"),
    [("4242424242424242", "#donate-thanks"), ("4000000000000341", "#donate-error")],
    ids=["thanks", "declined"],
)
def test_donate_form_after_a_gift_or_a_decline_has_no_serious_accessibility_violations(page, campaign, card, shown):
    page.goto(CAMPAIGN)
    page.get_by_role("button", name="Give", exact=True).click()  # empty: the browser's own checks speak
    give_by_card(page, card)
    expect(page.locator(shown)).to_be_visible()

    assert blocking_violations(page) == []


def test_donate_form_with_monthly_and_another_amount_has_no_serious_accessibility_violations(page, campaign):
    page.goto(CAMPAIGN)
    page.get_by_role("radio", name="Monthly").check()
    page.get_by_label("Other amount").fill("40")

    assert blocking_violations(page) == []


def test_donate_form_with_a_dedication_missing_its_name_has_no_serious_accessibility_violations(page, campaign):
    page.goto(CAMPAIGN)
    page.get_by_role("radio", name="In honour of").check()
    page.get_by_role("button", name="Give", exact=True).click()

    name = page.get_by_label("Their name")
    # The problem is shown beside the field, named by it, and the field has the focus.
    expect(name).to_be_focused()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(re.compile("Please give the name"))
    assert blocking_violations(page) == []


def test_the_dedication_fits_a_375_pixel_screen(page, campaign):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(CAMPAIGN)
    page.get_by_role("radio", name="In memory of").check()
    expect(page.get_by_label("Tell someone by email (optional)")).to_be_visible()

    assert not scrolls_sideways(page)


def test_donate_form_with_impact_presets_and_a_required_address_in_error_has_no_serious_violations(page, campaign):
    from campaigns.models import AmountPreset

    campaign.donor_address_required = True
    campaign.save()
    for position, (amount, impact) in enumerate([(2500, "school books for a term"), (5000, "a week of aftercare")]):
        AmountPreset.objects.create(campaign=campaign, amount_minor=amount, impact_text=impact, position=position)
    page.goto(CAMPAIGN)
    give_by_card(page, "4242424242424242")
    expect(page.locator("#address-line1-error")).to_be_visible()

    assert blocking_violations(page) == []


@pytest.fixture
def captain(fundraiser, make_gift):
    """Ada's page's owner, who also captains its team; its dashboards list
    a gift already thanked, one to thank and an anonymous one to thank."""
    supporter = factories.UserFactory(email="nia@example.org", first_name="Nia")
    fundraiser.owner = supporter
    fundraiser.save()
    fundraiser.team.captains.add(supporter)
    thanked = make_gift(fundraiser=fundraiser, message="Go Nia!")
    make_gift(fundraiser=fundraiser, donor__email="bea@example.org")
    make_gift(fundraiser=fundraiser, anonymous=True, donor__email="cy@example.org")
    thank_you_notes.thank_donor(donation=thanked, sender=supporter, text="Thank you!", thanked_from=fundraiser)
    return supporter


@pytest.fixture
def finance_staff(finance_user, make_gift):
    make_gift()
    return finance_user


SIGNED_IN_PAGES = [("captain", path) for path in DASHBOARDS] + [("finance_staff", path) for path in FINANCE_PAGES]


@pytest.mark.parametrize(("who", "path"), SIGNED_IN_PAGES)
def test_dashboard_and_finance_page_have_no_serious_accessibility_violations(browser, live_server, request, who, path):
    tab = logged_in_tab(browser, live_server, request.getfixturevalue(who))
    tab.goto(path)
    expect(tab.get_by_role("heading", level=1)).to_be_visible()
    # Closed disclosures (a gift's thank-you form) are checked open too.
    tab.evaluate("document.querySelectorAll('details').forEach((details) => { details.open = true; })")

    assert blocking_violations(tab) == []


@pytest.mark.parametrize(("who", "path"), SIGNED_IN_PAGES)
def test_signed_in_page_fits_a_375_pixel_screen(browser, live_server, request, who, path):
    tab = logged_in_tab(browser, live_server, request.getfixturevalue(who), width=375)
    tab.goto(path)
    expect(tab.get_by_role("heading", level=1)).to_be_visible()
    tab.evaluate("document.querySelectorAll('details').forEach((details) => { details.open = true; })")

    assert not scrolls_sideways(tab)


def tab_to(page, selector: str, *, presses: int = 80) -> None:
    """Press Tab until the element `selector` names has the focus (within
    about two rounds of the page's tab stops)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"{selector} never took the focus in {presses} presses of Tab")


def test_a_whole_gift_is_made_with_the_keyboard_alone(page, campaign):
    page.goto(CAMPAIGN)
    keys = page.keyboard

    tab_to(page, "input[name=frequency]:checked")
    tab_to(page, "input[name=preset]:checked")
    keys.press("ArrowRight")  # from $50.00 to the next preset
    tab_to(page, "input[name=fund]:checked")
    first_choice = page.locator("input[name=fund]:checked").get_attribute("value")
    keys.press("ArrowLeft")  # another fund
    chosen_fund = page.locator("input[name=fund]:checked").get_attribute("value")
    assert chosen_fund != first_choice
    tab_to(page, "#first-name")
    keys.type("Ada")
    tab_to(page, "#last-name")
    keys.type("Lee")
    tab_to(page, "#email")
    keys.type("ada@example.org")
    for placeholder, typed in (("number", "4242424242424242"), ("exp_month", "12"), ("exp_year", "34")):
        tab_to(page, f"#card-element input[placeholder={placeholder}]")
        keys.type(typed)
    for placeholder, typed in (("cvc", "123"), ("postal_code", "12345")):
        tab_to(page, f"#card-element input[placeholder={placeholder}]")
        keys.type(typed)
    tab_to(page, "#donate-button")
    keys.press("Enter")

    expect(page.locator("#donate-thanks")).to_be_visible()
    expect(page.locator("#thanks-amount")).to_have_text("$100.00")
    donation = Donation.objects.select_related("fund").get()
    assert (donation.status, donation.amount_minor) == (Donation.Status.SUCCEEDED, 100_00)
    assert donation.fund.slug == chosen_fund
