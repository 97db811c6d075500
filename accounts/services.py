"""Writes for people's accounts."""

from django.contrib.auth import get_user_model
from django.db import transaction


@transaction.atomic
def register(*, email: str, first_name: str, last_name: str, password: str):
    """A new account whose username is the lower-cased email, so logins
    and invites match the address in any case."""
    email = email.strip().lower()
    return get_user_model().objects.create_user(
        username=email, email=email, password=password, first_name=first_name, last_name=last_name
    )
