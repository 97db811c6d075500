from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who signs in: fundraisers, captains and staff. Its own
    model from the start, as Django recommends, so fields can be added
    without a swap later. The username is the lower-cased email
    (accounts.services.register)."""

    # When the person proved they read mail at `email` (accounts.verification).
    # Until then they may sign in and draft, but not publish pages or invite.
    email_verified_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
