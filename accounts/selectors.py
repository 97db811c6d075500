"""Reads about people's accounts."""

import django_otp
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from finance.services.permissions import FINANCE_GROUP


def email_is_registered(email: str) -> bool:
    return get_user_model().objects.filter(username=email.strip().lower()).exists()


def needs_second_factor(user) -> bool:
    """Whoever can reach donors' details or move money: staff, superusers
    and the Finance group. Fundraisers and captains log in with a password
    only.

    Both staff-session middlewares ask on every request, so the group query
    is remembered on the user object, as Django's permission checks
    remember theirs (each request loads its user afresh)."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    if not hasattr(user, "_in_finance_group"):
        user._in_finance_group = user.groups.filter(name=FINANCE_GROUP).exists()
    return user._in_finance_group


def has_second_factor(user) -> bool:
    """An authenticator app or backup codes, set up and confirmed."""
    return django_otp.user_has_device(user, confirmed=True)


def unconfirmed_authenticator(user) -> TOTPDevice | None:
    """The authenticator app being set up, whose first code has not come yet."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
