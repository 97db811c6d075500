"""Reads about people's accounts."""

from django.contrib.auth import get_user_model


def email_is_registered(email: str) -> bool:
    return get_user_model().objects.filter(username=email.strip().lower()).exists()
