"""Writes for people's accounts."""

import django_otp
from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import selectors

# Backup codes given at enrolment, each good for one login.
BACKUP_CODE_COUNT = 10
AUTHENTICATOR_CODE_DIGITS = 6


@transaction.atomic
def register(*, email: str, first_name: str, last_name: str, password: str):
    """A new account whose username is the lower-cased email, so logins
    and invites match the address in any case."""
    email = email.strip().lower()
    return get_user_model().objects.create_user(
        username=email, email=email, password=password, first_name=first_name, last_name=last_name
    )


@transaction.atomic
def start_authenticator_setup(*, user) -> TOTPDevice:
    """The authenticator app being set up: the one begun earlier, so that
    reloading the page shows the same secret, or a new one with a random
    key. It counts for nothing until confirmed with a first code."""
    return selectors.unconfirmed_authenticator(user) or TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=False
    )


@transaction.atomic
def confirm_authenticator(*, user, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the app being set up with its first code and issue the
    backup codes, returned in clear this once. None when the code is wrong
    (counted by django-otp's throttle) or when the person already has a
    second factor: another app is added only by whoever holds the first,
    never by someone who knows the password alone."""
    if selectors.has_second_factor(user):
        return None
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
    if device is None or not device.verify_token(code):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    static = StaticDevice.objects.create(user=user, name="Backup codes")
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=backup_code) for backup_code in codes)
    return device, codes


def verify_second_factor(*, user, code: str) -> Device | None:
    """The device that accepts `code`, which it then will not accept again
    (a backup code is deleted; an app's code is older than the next one
    allowed). Six digits are checked against the authenticator app, anything
    else against the backup codes, each device on its own as django-otp
    advises: its match_token tries a code on every device, so a mistyped
    app code would also count as a failure on, and throttle, the backup
    codes."""
    is_app_code = code.isdigit() and len(code) == AUTHENTICATOR_CODE_DIGITS
    kind = TOTPDevice if is_app_code else StaticDevice
    for device in kind.objects.devices_for_user(user, confirmed=True):
        verified = django_otp.verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    return None
