"""Sign-up that tells a visitor nothing about who has an account, and
email verification: a signed, expiring link that confirms a person reads
mail at their account's address. Until they follow it they may sign in
and draft, but campaigns.services refuses to publish their pages or send
their invites."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts import selectors, services

logger = logging.getLogger(__name__)

_SALT = "accounts.verify-email"


class VerificationFailed(Exception):
    """The link cannot confirm an address; the message says what to do."""


def verification_token(user) -> str:
    """Signed and timestamped; names the account and the address it
    confirms, so a link stops working if the address changes."""
    return signing.TimestampSigner(salt=_SALT).sign_object({"user": user.pk, "email": user.email})


def _send(*, template: str, subject: str, to: str, context: dict) -> bool:
    """Send one account email; a provider error is logged, not raised, so
    the visitor's answer never depends on it."""
    context = {"org_name": settings.ORG_NAME, **context}
    try:
        send_mail(
            subject=subject,
            message=render_to_string(template, context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[to],
        )
    except Exception:  # any provider error: the person can ask for it again
        logger.exception("could not send %s", template)
        return False
    return True


def send_verification_email(*, user) -> bool:
    link = settings.SITE_URL + reverse("verify-email", kwargs={"token": verification_token(user)})
    return _send(
        template="accounts/email/verify_email.txt",
        subject=f"Confirm your email address for {settings.ORG_NAME}",
        to=user.email,
        context={"user": user, "link": link, "days": settings.EMAIL_VERIFICATION_DAYS},
    )


def _send_address_taken_note(*, email: str) -> bool:
    return _send(
        template="accounts/email/signup_address_taken.txt",
        subject=f"Someone tried to sign up for {settings.ORG_NAME} with your address",
        to=email,
        context={
            "email": email,
            "login_link": settings.SITE_URL + reverse("login"),
            "reset_link": settings.SITE_URL + reverse("password_reset"),
        },
    )


def sign_up(*, email: str, first_name: str, last_name: str, password: str) -> None:
    """Make an unverified account and email its verification link; for an
    address that already has an account, change nothing and email its owner
    a note instead. Both cases hash a password and send one email, so
    neither the answer nor its timing tells the visitor which it was."""
    email = email.strip().lower()
    if not selectors.email_is_registered(email):
        try:
            with transaction.atomic():
                user = services.register(email=email, first_name=first_name, last_name=last_name, password=password)
        except IntegrityError:
            pass  # the address was registered a moment ago: treat it as taken
        else:
            send_verification_email(user=user)
            return
    make_password(password)  # the work register() does, so both answers take as long
    _send_address_taken_note(email=email)


def needs_verification(user) -> bool:
    return user.is_authenticated and user.email_verified_at is None


def verify_email(*, token: str):
    """Mark the link's account verified. Each link works once, within
    EMAIL_VERIFICATION_DAYS, for the address it was sent to."""
    try:
        claim = signing.TimestampSigner(salt=_SALT).unsign_object(
            token, max_age=timedelta(days=settings.EMAIL_VERIFICATION_DAYS)
        )
    except signing.SignatureExpired:
        raise VerificationFailed("This link has expired. Sign in and we will send you a new one.") from None
    except signing.BadSignature:
        raise VerificationFailed("This link is not valid. Sign in and we will send you a new one.") from None
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().filter(pk=claim["user"]).first()
        if user is None or user.email != claim["email"]:
            raise VerificationFailed("This link is not valid. Sign in and we will send you a new one.")
        if user.email_verified_at is not None:
            raise VerificationFailed("This link has already been used: your email address is confirmed.")
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user
