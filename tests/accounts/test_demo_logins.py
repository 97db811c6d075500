"""The demo's finance login reaches the finance pages with a backup code
printed by seed_demo, new on every run."""

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def printed_backup_codes(capsys) -> list[str]:
    finance_line = next(line for line in capsys.readouterr().out.splitlines() if "finance@hopefund.example" in line)
    return finance_line.split("backup codes ")[1].split()


def log_in_to_finance(client, code: str):
    client.post("/accounts/login/", {"username": "finance@hopefund.example", "password": "hopefund-demo"})
    return client.post("/accounts/two-factor/", {"code": code, "next": "/finance/"})


def test_the_demo_finance_login_opens_the_finance_pages_with_a_printed_backup_code(client, capsys):
    call_command("seed_demo")
    codes = printed_backup_codes(capsys)

    verified = log_in_to_finance(client, codes[0])

    assert len(codes) == 5 and all(re.fullmatch(r"[a-z2-7]{8}", code) for code in codes)
    assert verified.status_code == 302 and verified["Location"] == "/finance/"
    assert client.get("/finance/").status_code == 200


def test_each_seed_run_prints_new_backup_codes_and_the_old_ones_stop_working(client, capsys):
    call_command("seed_demo")
    old_codes = printed_backup_codes(capsys)
    call_command("seed_demo")
    new_codes = printed_backup_codes(capsys)

    assert not set(old_codes) & set(new_codes)
    assert log_in_to_finance(client, old_codes[0]).status_code == 400
