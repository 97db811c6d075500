"""Staff, finance and superusers need a second factor (an authenticator
app's code or a backup code) before any admin or finance page; fundraisers
and captains do not. Setting it up, verifying it, and its limits."""

from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from finance.services.permissions import FINANCE_GROUP
from tests.auth import log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VERIFY = "/accounts/two-factor/"
SETUP = "/accounts/two-factor/setup/"
PROTECTED_PAGES = ["/admin/", "/admin/donations/donation/", "/finance/", "/finance/export/?download=csv"]


@pytest.fixture
def finance_member(db):
    user = UserFactory(email="fiona@example.org", is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE_GROUP))
    return user


@pytest.fixture
def people(finance_member):
    finance_only = UserFactory(email="frank@example.org")  # in the group without is_staff
    finance_only.groups.add(Group.objects.get(name=FINANCE_GROUP))
    return {
        "staff": UserFactory(email="stella@example.org", is_staff=True),
        "superuser": UserFactory(email="root@example.org", is_staff=True, is_superuser=True),
        "finance": finance_member,
        "finance group, not staff": finance_only,
    }


def authenticator(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def app_code(device: TOTPDevice) -> str:
    """The code the person's app shows now."""
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():0{device.digits}d}"


def backup_codes(user, *codes: str) -> StaticDevice:
    device = StaticDevice.objects.create(user=user, name="Backup codes")
    for code in codes:
        device.token_set.create(token=code)
    return device


@pytest.mark.parametrize("page", PROTECTED_PAGES)
@pytest.mark.parametrize("role", ["staff", "superuser", "finance", "finance group, not staff"])
def test_a_staff_session_with_a_password_only_is_sent_to_the_second_factor_before_admin_and_finance_pages(
    client, people, role, page
):
    client.force_login(people[role])

    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next={quote(page, safe='')}"


def test_a_finance_page_looks_the_finance_group_up_once_for_both_staff_session_checks(client, people):
    log_in(client, people["finance group, not staff"])

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/finance/").status_code == 200

    group_lookups = [query["sql"] for query in queries if '"auth_group"."name" =' in query["sql"]]
    assert len(group_lookups) == 1, group_lookups


def test_someone_without_a_second_factor_yet_is_sent_on_to_set_one_up_keeping_where_they_were_going(
    client, finance_member
):
    client.force_login(finance_member)

    response = client.get(client.get("/finance/")["Location"])

    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Ffinance%2F"


@pytest.mark.parametrize("page, expected", [("/finance/", 403), ("/accounts/", 200)])
def test_a_fundraiser_is_never_asked_for_a_second_factor(client, page, expected):
    client.force_login(UserFactory(email="ada@example.org"))

    assert client.get(page).status_code == expected


def test_after_a_valid_app_code_the_admin_and_finance_pages_open_and_it_goes_back_where_it_was_going(
    client, finance_member
):
    device = authenticator(finance_member)
    client.force_login(finance_member)

    response = client.post(VERIFY, {"code": app_code(device), "next": "/finance/export/"})

    assert response.status_code == 302 and response["Location"] == "/finance/export/"
    assert client.get("/finance/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_verifying_gives_the_session_a_new_key(client, finance_member):
    device = authenticator(finance_member)
    client.force_login(finance_member)
    password_only_key = client.session.session_key

    client.post(VERIFY, {"code": app_code(device)})

    assert client.session.session_key != password_only_key


def test_an_app_code_cannot_be_used_twice(finance_member):
    device = authenticator(finance_member)
    code = app_code(device)
    first, second = Client(), Client()
    first.force_login(finance_member)
    second.force_login(finance_member)

    assert first.post(VERIFY, {"code": code}).status_code == 302
    assert second.post(VERIFY, {"code": code}).status_code == 400
    assert second.get("/finance/").status_code == 302


def test_a_backup_code_works_once_only_typed_in_any_case_with_spaces(finance_member):
    backup_codes(finance_member, "abcd2345", "efgh6723")
    first, second = Client(), Client()
    first.force_login(finance_member)
    second.force_login(finance_member)

    assert first.post(VERIFY, {"code": " ABCD 2345 ", "next": "/finance/"})["Location"] == "/finance/"
    assert first.get("/finance/").status_code == 200
    refused = second.post(VERIFY, {"code": "abcd2345"})

    assert refused.status_code == 400
    assert "That code did not work" in refused.content.decode()
    assert second.get("/finance/").status_code == 302
    assert list(StaticDevice.objects.get().token_set.values_list("token", flat=True)) == ["efgh6723"]


def test_a_wrong_code_is_refused_and_counted(client, finance_member):
    device = authenticator(finance_member)
    client.force_login(finance_member)

    response = client.post(VERIFY, {"code": "000000" if app_code(device) != "000000" else "111111"})

    assert response.status_code == 400
    assert "That code did not work" in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert client.get("/finance/").status_code == 302


def test_codes_over_the_limit_are_refused_even_the_right_one(client, settings, finance_member):
    settings.LOGIN_RATE_LIMIT = "3/m"
    device = authenticator(finance_member)
    client.force_login(finance_member)
    for _ in range(3):
        client.post(VERIFY, {"code": "not-a-code"})

    response = client.post(VERIFY, {"code": app_code(device)})

    assert response.status_code == 429
    assert "Too many codes tried. Try again in" in response.content.decode()
    assert client.get("/finance/").status_code == 302


def test_the_code_limit_also_counts_per_person_across_addresses(settings, finance_member):
    settings.LOGIN_RATE_LIMIT = "3/m"
    device = authenticator(finance_member)
    client = Client()
    client.force_login(finance_member)
    for n in range(3):
        client.post(VERIFY, {"code": "not-a-code"}, REMOTE_ADDR=f"10.0.0.{n}")

    assert client.post(VERIFY, {"code": app_code(device)}, REMOTE_ADDR="10.0.0.9").status_code == 429


def test_after_the_second_factor_it_goes_on_to_a_safe_next_page_only(client, finance_member):
    backup_codes(finance_member, "abcd2345")
    client.force_login(finance_member)

    response = client.post(VERIFY, {"code": "abcd2345", "next": "https://evil.example/finance/"})

    assert response["Location"] == "/accounts/"


def test_setting_up_shows_the_key_three_ways_and_a_right_first_code_turns_it_on_and_shows_backup_codes_once(
    client, finance_member
):
    client.force_login(finance_member)

    page = client.get(f"{SETUP}?next=/finance/")

    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=finance_member, confirmed=False)
    html = page.content.decode()
    assert "<svg" in html and 'href="otpauth://totp/' in html
    assert device.config_url.split("secret=")[1].split("&")[0][:4] in html  # the key, typed
    assert "no-store" in page["Cache-Control"]
    assert client.get(SETUP).content.decode().count(device.config_url.replace("&", "&amp;")) == 1  # the same key

    done = client.post(SETUP, {"code": app_code(device), "next": "/finance/"})

    assert done.status_code == 200
    codes = set(StaticDevice.objects.get(user=finance_member).token_set.values_list("token", flat=True))
    assert len(codes) == 10
    assert all(code in done.content.decode() for code in codes)
    assert 'href="/finance/"' in done.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/finance/").status_code == 200
    again = client.get(SETUP)
    assert again.status_code == 302 and again["Location"].startswith(VERIFY)


def test_the_authenticator_app_shows_the_charitys_name_next_to_the_code(client, finance_member):
    client.force_login(finance_member)

    client.get(SETUP)

    config_url = TOTPDevice.objects.get(user=finance_member).config_url
    assert f"issuer={quote(settings.ORG_NAME)}" in config_url
    assert config_url.startswith(f"otpauth://totp/{quote(settings.ORG_NAME)}%3A")


def test_enrolment_refuses_a_wrong_first_code(client, finance_member):
    client.force_login(finance_member)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=finance_member)

    response = client.post(SETUP, {"code": "000000" if app_code(device) != "000000" else "111111"})

    assert response.status_code == 400
    assert "That code did not match" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticDevice.objects.exists()
    assert client.get("/finance/").status_code == 302


def test_someone_with_a_second_factor_cannot_set_up_another_with_the_password_alone(client, finance_member):
    authenticator(finance_member)
    client.force_login(finance_member)

    assert client.get(SETUP)["Location"] == VERIFY
    assert client.post(SETUP, {"code": "123456"})["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=finance_member).count() == 1


def test_the_tests_log_in_helper_gives_staff_their_second_factor(client, finance_member):
    log_in(client, finance_member)

    assert client.get("/finance/").status_code == 200


def test_the_admin_lists_devices_but_never_shows_their_keys_or_backup_codes(admin_client, finance_member):
    device = authenticator(finance_member)
    backup = backup_codes(finance_member, "abcd2345")

    device_page = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    codes_page = admin_client.get(f"/admin/otp_static/staticdevice/{backup.pk}/change/").content.decode()

    assert "Phone" in device_page and device.key not in device_page
    assert admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
    assert "Backup codes" in codes_page and "abcd2345" not in codes_page


def test_first_codes_over_the_limit_are_refused_even_the_right_one(client, settings, finance_member):
    settings.LOGIN_RATE_LIMIT = "3/m"
    client.force_login(finance_member)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=finance_member)
    for _ in range(3):
        client.post(SETUP, {"code": "not-a-code"})

    response = client.post(SETUP, {"code": app_code(device)})

    assert response.status_code == 429
    assert "Too many codes tried" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
