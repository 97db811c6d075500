import uuid

from django.db import models
from django.utils import timezone


class SignInLink(models.Model):
    """One emailed link that signs a donor in to the portal: once, within
    DONOR_SIGN_IN_LINK_MINUTES. The link's token is this row's public id
    signed with SECRET_KEY (donors.services.sign_in.token_for), and exists
    only in the email: the row alone makes no usable link."""

    donor = models.ForeignKey("donations.Donor", on_delete=models.CASCADE, related_name="+")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Where the donor was going when they asked (a path on this site,
    # already checked): the link brings them there.
    next_path = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # Set once, by the one request that signed in with it.
    used_at = models.DateTimeField(null=True, blank=True)
    # When the provider took its email: the task sends it once.
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["donor", "created_at"])]

    def __str__(self) -> str:
        state = "used" if self.used_at else "unused"
        return f"Sign-in link for donor {self.donor_id} ({state}, expires {self.expires_at:%Y-%m-%d %H:%M})"
