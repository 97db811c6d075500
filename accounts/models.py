from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A person who signs in: fundraisers, captains and staff. Its own
    model from the start, as Django recommends, so fields can be added
    without a swap later. The username is the lower-cased email
    (accounts.services.register)."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
