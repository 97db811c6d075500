"""The records of donors' data rights: each export of a donor's data, each
erasure, and each request a donor made from their portal. None of them
holds a personal detail of the donor: they point at the Donor row, whose
details an erasure replaces."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Channel(models.TextChoices):
    ADMIN = "admin", "Admin"
    COMMAND = "command", "Management command"
    PORTAL = "portal", "Donor portal, by the donor"


class DataRequest(models.Model):
    """A donor's request from their portal (`privacy:my-data`): an
    erasure, which staff review and carry out with the Donor admin's
    "Erase the donor…" action (which closes it). One open request per
    donor and kind at a time. Its Meta carries the permissions of donors'
    data rights, held by the Finance group."""

    class Kind(models.TextChoices):
        ERASURE = "erasure", "Erase my data"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DECLINED = "declined", "Declined"

    donor = models.ForeignKey("donations.Donor", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ERASURE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    requested_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Whether the email confirming the request has gone out (the outbox:
    # privacy.services.requests.send_confirmation sets it once).
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        permissions = [
            ("export_donor_data", "Can download all the data held on a donor"),
            ("erase_donor", "Can erase a donor's personal details"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["donor", "kind"], condition=models.Q(status="open"), name="one_open_data_request_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} request of donor {self.donor_id} ({self.status})"


class DataExport(models.Model):
    """One export of a donor's data (export_donor_data, the admin action,
    or the donor's own download): who, when, by which channel."""

    donor = models.ForeignKey("donations.Donor", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who, in words: the staff login, the OS user for commands, "the donor".
    actor = models.CharField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Export of donor {self.donor_id} by {self.actor} ({self.created_at:%Y-%m-%d %H:%M})"


class Erasure(models.Model):
    """One erasure of a donor (privacy.services.erasure): who, when, why,
    and how many rows of each table were changed; never the values erased."""

    donor = models.OneToOneField("donations.Donor", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(max_length=254)
    reason = models.TextField()
    # {"donations.donation": 3, "receipts.receipt": 2, ...}: rows changed per table.
    changed = models.JSONField(default=dict)
    # The Stripe customers deleted (ids only) and those Stripe no longer had.
    stripe_customers = models.JSONField(default=list)
    erased_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"Erasure of donor {self.donor_id} by {self.actor} ({self.erased_at:%Y-%m-%d})"
