"""Browser fixtures for the end-to-end tests: Debian's Chromium driven by
Playwright against pytest-django's live server, with localstripe's fake
Stripe.js on the page."""

import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium stalls on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Long enough for a gift's round trips (our API, localstripe, a webhook a
# second later), short enough that a stuck page fails well inside 30 s.
TIMEOUT_MS = 15_000
# Where a failed test leaves a screenshot of every tab it had open.
SCREENSHOTS = ROOT / "var" / "test-output" / "screenshots"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    browser = item.funcargs.get("browser")
    if report.when == "call" and report.failed and browser is not None:
        name = re.sub(r"[^\w.-]+", "_", item.nodeid)
        tabs = [tab for context in browser.contexts for tab in context.pages]
        for number, tab in enumerate(tabs):
            path = SCREENSHOTS / f"{name}-{number}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                tab.screenshot(path=path, full_page=True)
            except PlaywrightError as error:  # a tab the test closed or crashed
                report.sections.append(("screenshot", f"{path}: {error.message}"))
            else:
                report.sections.append(("screenshot", str(path)))
    return report


@pytest.fixture(scope="package")
def _django_allows_orm_calls_under_playwright():
    """Playwright's sync API keeps an asyncio event loop marked as running
    in the test's thread for as long as it is open, so Django takes every
    ORM call the test makes (fixtures, assertions on the database) for a
    call from async code and refuses it with SynchronousOnlyOperation. The
    calls really are synchronous, made from the test's own thread, so they
    are safe. Allowed for these tests only, not for the rest of the run."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


# Package scope: one Chromium for all the e2e tests, closed (and its event
# loop with it) before any other package's tests run.
@pytest.fixture(scope="package")
def browser(_django_allows_orm_calls_under_playwright):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings, localstripe_url):
    """A fresh browser tab with the live server as its base URL, and the
    page's Stripe.js served by this run's localstripe. Uncaught JavaScript
    errors on the page, and anything the Content-Security-Policy blocked,
    fail the test."""
    settings.STRIPE_JS_URL = f"{localstripe_url}/js.stripe.com/v3/"
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page_errors = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    blocked = []

    def note_what_the_policy_blocked(message):
        # Chromium reports each Content-Security-Policy violation on the console.
        if "Content Security Policy" in message.text:
            blocked.append(message.text)

    page.on("console", note_what_the_policy_blocked)
    yield page
    context.close()
    assert not page_errors, f"JavaScript errors on the page: {page_errors}"
    assert not blocked, f"Blocked by the Content-Security-Policy: {blocked}"
