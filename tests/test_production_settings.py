"""Production settings refuse to start without their secrets and the
charity's identity, naming each missing or wrong variable on its own
line, and pass Django's deployment checks when given them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "hopefund.settings.production",
    "SECRET_KEY": "x" * 60 + "-production-test-key-with-enough-entropy",
    "ALLOWED_HOSTS": "give.example.org",
    "DATABASE_URL": "postgres://root@127.0.0.1:5432/test",
    "STRIPE_SECRET_KEY": "sk_test_production_check",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_production_check",
    "STRIPE_WEBHOOK_SECRET": "whsec_production_check",
    "ORG_NAME": "Freedom Now",
    "ORG_TAX_ID": "12-3456789",
    "ORG_ADDRESS": "1 Hope Way, Portland, OR 97201, USA",
    "SITE_URL": "https://give.example.org",
    "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
    "ANYMAIL_POSTMARK_SERVER_TOKEN": "postmark-production-check",
    "ANYMAIL_WEBHOOK_SECRET": "tracking:production-check-password",
}
# Every variable these tests set, and the others production reads, so
# that nothing from the environment running the tests leaks in.
PRODUCTION_READS = {
    *PRODUCTION_ENV,
    "DEBUG",
    "STRIPE_JS_URL",
    "STRIPE_API_BASE",
    "TRUSTED_PROXY_COUNT",
    "EMAIL_TIMEOUT",
}

REQUIRED = [
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "ORG_NAME",
    "ORG_TAX_ID",
    "ORG_ADDRESS",
    "SITE_URL",
    "ANYMAIL_WEBHOOK_SECRET",
]


def run(command: list[str], *, env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_READS and not k.startswith("ANYMAIL_")}
    return subprocess.run(command, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60)


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", *args], env=env)


def django_setup(env: dict) -> subprocess.CompletedProcess:
    """What gunicorn and the Celery worker do first: load the settings."""
    return run([sys.executable, "-c", "import django; django.setup()"], env=env)


def without(*names: str) -> dict:
    return {k: v for k, v in PRODUCTION_ENV.items() if k not in names}


def refusal_lines(result: subprocess.CompletedProcess) -> list[str]:
    """The lines after "Refusing to start:" in the traceback."""
    lines = result.stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith("Refusing to start:"))
    return lines[start + 1 :]


@pytest.mark.parametrize("name", REQUIRED)
def test_production_without_a_required_variable_refuses_to_start_with_a_line_naming_it(name):
    result = django_setup(without(name))

    assert result.returncode != 0
    assert [line for line in refusal_lines(result) if line.startswith(name)], result.stderr


def test_production_names_every_missing_variable_at_once_one_per_line():
    result = manage("check", env=without("SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "ORG_TAX_ID"))

    assert result.returncode != 0
    assert refusal_lines(result)[:3] == [
        "SECRET_KEY is required and not set",
        "STRIPE_WEBHOOK_SECRET is required and not set",
        "ORG_TAX_ID is required and not set",
    ]


@pytest.mark.parametrize("site_url", ["http://give.example.org", "http://127.0.0.1:8000", "give.example.org"])
def test_production_refuses_a_site_url_that_is_not_https(site_url):
    result = django_setup({**PRODUCTION_ENV, "SITE_URL": site_url})

    assert result.returncode != 0
    assert refusal_lines(result)[0].startswith("SITE_URL must start with https://")


@pytest.mark.parametrize(
    "stripe_js_url", ["http://127.0.0.1:8420/js.stripe.com/v3/", "https://js.stripe.com.evil.example/v3/"]
)
def test_production_refuses_stripe_js_from_anywhere_but_stripe(stripe_js_url):
    result = django_setup({**PRODUCTION_ENV, "STRIPE_JS_URL": stripe_js_url})

    assert result.returncode != 0
    assert refusal_lines(result)[0].startswith("STRIPE_JS_URL must be on https://js.stripe.com/")


def test_production_without_an_email_provider_webhook_needs_no_webhook_secret():
    env = {**without("ANYMAIL_WEBHOOK_SECRET"), "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}

    assert django_setup(env).returncode == 0


def test_production_passes_check_deploy_with_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr + result.stdout
    assert result.stdout.strip() == "System check identified no issues (0 silenced).", result.stdout
    assert result.stderr == ""


def test_debug_stays_off_in_production_whatever_the_environment_says():
    result = manage(
        "shell", "-c", "from django.conf import settings; print(settings.DEBUG)", env={**PRODUCTION_ENV, "DEBUG": "1"}
    )

    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


@pytest.mark.parametrize(("value", "timeout"), [(None, "10.0"), ("2.5", "2.5")])
@pytest.mark.parametrize(
    ("variable", "setting"),
    [("ANYMAIL_REQUESTS_TIMEOUT", "ANYMAIL['REQUESTS_TIMEOUT']"), ("EMAIL_TIMEOUT", "EMAIL_TIMEOUT")],
)
def test_sends_wait_for_the_email_provider_a_bounded_number_of_seconds(variable, setting, value, timeout):
    env = {**PRODUCTION_ENV, **({variable: value} if value else {})}
    code = f"from django.conf import settings; print(repr(settings.{setting}))"

    result = manage("shell", "-c", code, env=env)

    # A float: requests refuses a timeout given as a string, failing every send.
    assert result.stdout.strip().splitlines()[-1] == timeout, result.stderr


def test_production_refuses_an_email_provider_timeout_that_is_not_a_number():
    result = django_setup({**PRODUCTION_ENV, "ANYMAIL_REQUESTS_TIMEOUT": "soon"})

    assert result.returncode != 0
    assert "ANYMAIL_REQUESTS_TIMEOUT must be a number of at least 0.1, not 'soon'" in result.stderr


@pytest.mark.parametrize("module", ["hopefund.wsgi", "hopefund.asgi", "hopefund.celery"])
def test_servers_and_workers_default_to_production_settings(module):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = f"import os, {module}; from django.conf import settings; print(os.environ['DJANGO_SETTINGS_MODULE'])"

    result = run([sys.executable, "-c", code], env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hopefund.settings.production"


def test_seed_demo_refuses_production_settings_in_one_line():
    result = manage("seed_demo", env=PRODUCTION_ENV)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "CommandError: seed_demo runs only with the dev or test settings: it creates logins with a published password."
    ]
    assert "hopefund-demo" not in result.stdout
