"""Content-Security-Policy, Permissions-Policy and Referrer-Policy on
real answers: pages, the donate form with Stripe.js, the admin and JSON."""

import re
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db

STRIPE_JS_URL = "http://127.0.0.1:8420/js.stripe.com/v3/"


@pytest.fixture(autouse=True)
def _stripe_js(settings):
    settings.STRIPE_JS_URL = STRIPE_JS_URL
    settings.STRIPE_API_BASE = "http://127.0.0.1:8420"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


@pytest.fixture
def answers(client, campaign, fundraiser):
    return {
        "campaign page with the donate form": client.get("/campaigns/dressember-2026/"),
        "fundraiser page with the donate form": client.get(fundraiser.get_absolute_url()),
        "admin login": client.get("/admin/login/"),
        "campaign JSON": client.get("/api/campaigns/dressember-2026/"),
        "not found": client.get("/no-such-page/"),
    }


def test_every_answer_carries_the_three_policies(answers):
    for name, response in answers.items():
        assert response.status_code in (200, 404), name
        csp = policy(response)
        assert "'unsafe-inline'" not in csp["script-src"], name
        assert "'unsafe-eval'" not in csp["script-src"], name
        assert csp["frame-ancestors"] in (["'none'"], ["'self'"]), name
        assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"], name
        assert csp["base-uri"] == ["'none'"] and csp["form-action"] == ["'self'"], name
        assert 'payment=(self "https://js.stripe.com")' in response["Permissions-Policy"], name
        assert "camera=()" in response["Permissions-Policy"], name
        assert response["Referrer-Policy"] == "same-origin", name


def test_scripts_come_only_from_the_site_and_stripe_js(answers):
    csp = policy(answers["campaign page with the donate form"])

    assert csp["script-src"] == ["'self'", "http://127.0.0.1:8420", "https://*.js.stripe.com"]
    assert csp["frame-src"] == [
        "http://127.0.0.1:8420",
        "https://js.stripe.com",
        "https://*.js.stripe.com",
        "https://hooks.stripe.com",
    ]
    assert csp["connect-src"] == ["'self'", "http://127.0.0.1:8420"]


def test_every_script_the_donate_page_loads_is_allowed_and_none_is_inline(answers):
    html = answers["campaign page with the donate form"].content.decode()
    allowed = policy(answers["campaign page with the donate form"])["script-src"]

    tags = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    sources = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, body in tags if not body.strip()]

    assert len(sources) == len(tags), "an inline script would be blocked"
    assert STRIPE_JS_URL in sources
    for src in sources:
        parts = urlsplit(src)
        assert not parts.netloc or f"{parts.scheme}://{parts.netloc}" in allowed, src
    assert not re.search(r"\son[a-z]+=", html), "an inline event handler would be blocked"


def test_the_policy_follows_stripe_js_url_to_stripe_in_production(client, campaign, settings):
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    settings.STRIPE_API_BASE = "https://api.stripe.com"

    csp = policy(client.get("/campaigns/dressember-2026/"))

    assert csp["script-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert csp["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert "http://127.0.0.1:8420" not in str(csp)


def test_extra_origins_from_settings_join_their_directives(client, campaign, settings):
    settings.CSP_EXTRA_SCRIPT_ORIGINS = ["https://challenges.example"]
    settings.CSP_EXTRA_FRAME_ORIGINS = ["https://frames.example"]
    settings.CSP_EXTRA_CONNECT_ORIGINS = ["https://api.example"]

    csp = policy(client.get("/campaigns/dressember-2026/"))

    assert csp["script-src"][-1] == "https://challenges.example"
    assert csp["frame-src"][-1] == "https://frames.example"
    assert csp["connect-src"][-1] == "https://api.example"


@pytest.mark.parametrize("provider", ["turnstile", "hcaptcha"])
def test_the_configured_captcha_widget_is_allowed_and_no_other(client, campaign, settings, provider):
    settings.CAPTCHA_PROVIDER = provider

    csp = policy(client.get("/campaigns/dressember-2026/"))

    widget = {"turnstile": "https://challenges.cloudflare.com", "hcaptcha": "https://*.hcaptcha.com"}
    other = {"turnstile": "https://*.hcaptcha.com", "hcaptcha": "https://challenges.cloudflare.com"}
    assert widget[provider] in csp["script-src"]
    assert widget[provider] in csp["frame-src"]
    assert other[provider] not in str(csp)


def test_without_a_captcha_provider_no_widget_origin_is_allowed(client, campaign):
    csp = str(policy(client.get("/campaigns/dressember-2026/")))

    assert "cloudflare" not in csp
    assert "hcaptcha" not in csp


def test_a_staff_admin_page_carries_the_policy(admin_client):
    response = admin_client.get("/admin/", follow=True)

    assert response.status_code == 200
    assert "'unsafe-inline'" not in policy(response)["script-src"]
    assert policy(response)["frame-ancestors"] == ["'none'"]
