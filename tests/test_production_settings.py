"""Production settings refuse to start without their secrets and pass
Django's deployment checks when given them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "hopefund.settings.production",
    "SECRET_KEY": "x" * 60 + "-production-test-key-with-enough-entropy",
    "ALLOWED_HOSTS": "give.example.org",
    "DATABASE_URL": "postgres://root@127.0.0.1:5432/test",
    "STRIPE_SECRET_KEY": "sk_test_production_check",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_production_check",
    "STRIPE_WEBHOOK_SECRET": "whsec_production_check",
    "ANYMAIL_WEBHOOK_SECRET": "tracking:production-check-password",
}


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DEBUG"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_and_names_every_missing_secret():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k not in ("SECRET_KEY", "STRIPE_WEBHOOK_SECRET")}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "Missing required environment variables: SECRET_KEY, STRIPE_WEBHOOK_SECRET" in result.stderr


def test_production_passes_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr + result.stdout


def test_check_deploy_warns_when_the_email_tracking_webhook_is_unprotected():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "ANYMAIL_WEBHOOK_SECRET"}

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "hopefund.W001" in result.stderr + result.stdout


def test_debug_stays_off_in_production_whatever_the_environment_says():
    result = manage(
        "shell", "-c", "from django.conf import settings; print(settings.DEBUG)", env={**PRODUCTION_ENV, "DEBUG": "1"}
    )

    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr
