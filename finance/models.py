"""What finance staff add to the ledger: an audit log of exports and
imports, offline gifts and their import runs, and Stripe payouts matched
to gifts."""

import uuid

from django.conf import settings
from django.db import models


class AuditLogEntry(models.Model):
    """One export or import: who, when, with which filters, how many rows.
    Written by finance.services.audit only; never changed."""

    class Action(models.TextChoices):
        EXPORT = "export", "Export"
        IMPORT = "import", "Import"
        IMPORT_CHECK = "import_check", "Import check (dry run)"

    class Channel(models.TextChoices):
        WEB = "web", "Finance page"
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Management command"

    action = models.CharField(max_length=20, choices=Action.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who, in words, kept when the user is deleted; the OS user for commands.
    actor = models.CharField(max_length=254)
    subject = models.CharField(max_length=100, help_text="What was exported or imported, e.g. donations.")
    filters = models.JSONField(default=dict, blank=True)
    row_count = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "audit log entries"
        permissions = [
            ("export_gifts", "Can export gifts, donors, refunds and receipts"),
            ("import_gifts", "Can import offline gifts"),
            ("view_finance_reports", "Can see the finance overview and payout reports"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} of {self.row_count} {self.subject} by {self.actor}"


class GiftImport(models.Model):
    """One offline-gift file, checked in full and then written in one
    transaction (or not at all). Large files run in the background; the
    finance page follows `processed_rows`."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        IMPORTED = "imported", "Imported"
        CHECKED = "checked", "Checked, nothing written (dry run)"
        REJECTED = "rejected", "Rejected, nothing written"
        FAILED = "failed", "Failed, nothing written"

    FINAL_STATUSES = (Status.IMPORTED, Status.CHECKED, Status.REJECTED, Status.FAILED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file_name = models.CharField(max_length=255)
    # The file itself, so a worker on another machine can read it.
    content = models.TextField()
    dry_run = models.BooleanField(default=False)
    # Whether each gift's page owner and team captains get a gift notice,
    # as for an online gift: yes for this week's cheques, no for a file of
    # last year's gifts.
    tell_fundraisers = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)
    # [{"line": 4, "message": "..."}], every bad row of a rejected file.
    errors = models.JSONField(default=list, blank=True)
    # {"usd": 12345}: what the file adds, per currency, in minor units.
    totals_minor = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Set by privacy.services.retention once a finished import's file (its
    # donors' names and addresses) was emptied; the gifts it wrote stay.
    content_pruned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import of {self.file_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINAL_STATUSES


class OfflineGift(models.Model):
    """How an imported gift arrived. The gift itself is a Donation with
    source `offline_import`, so totals, receipts and exports treat it like
    any other."""

    class Method(models.TextChoices):
        CHEQUE = "cheque", "Cheque"
        CASH = "cash", "Cash"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"

    donation = models.OneToOneField("donations.Donation", on_delete=models.PROTECT, related_name="offline_gift")
    gift_import = models.ForeignKey(GiftImport, on_delete=models.PROTECT, related_name="gifts")
    method = models.CharField(max_length=20, choices=Method.choices)
    # The cheque number or bank reference: a gift is imported once.
    external_reference = models.CharField(max_length=100, unique=True)
    received_on = models.DateField()
    line_number = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.external_reference}"


class Payout(models.Model):
    """A Stripe payout to the charity's bank, with the balance transactions
    it settled (see PayoutLine)."""

    stripe_payout_id = models.CharField(max_length=255, unique=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20)
    arrival_date = models.DateField()
    created_at = models.DateTimeField()
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-arrival_date", "-created_at"]

    def __str__(self) -> str:
        return f"Payout {self.stripe_payout_id} ({self.status})"


class PayoutLine(models.Model):
    """One balance transaction in a payout, matched to the gift or refund it
    came from where there is one. Signed amounts: refunds are negative."""

    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="lines")
    balance_transaction_id = models.CharField(max_length=255)
    type = models.CharField(max_length=40)
    source_id = models.CharField(max_length=255, blank=True)
    description = models.CharField(max_length=500, blank=True)
    amount_minor = models.BigIntegerField()
    fee_minor = models.BigIntegerField()
    net_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField()
    donation = models.ForeignKey(
        "donations.Donation", null=True, blank=True, on_delete=models.PROTECT, related_name="payout_lines"
    )
    refund = models.ForeignKey(
        "donations.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="payout_lines"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["payout", "balance_transaction_id"], name="payout_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.balance_transaction_id}"

    @property
    def is_matched(self) -> bool:
        return self.donation_id is not None or self.refund_id is not None


class GiftAidClaim(models.Model):
    """One Gift Aid claim, as `export_gift_aid_claim` wrote its schedule
    for HMRC's Charities Online: the gifts it claims for and the earlier
    claims' gifts it gives back (refunded since), one line each. A gift is
    claimed once and given back once: later claims leave it out."""

    # The days of gifts it was asked for (None: no bound).
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    # The OS user who ran the command.
    actor = models.CharField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Gift Aid claim {self.pk} of {self.created_at:%Y-%m-%d}"


class GiftAidClaimLine(models.Model):
    """A gift in a claim: claimed (its amount, on the schedule) or, for a
    gift an earlier claim claimed and that was refunded or taken back by
    the donor's bank since, an adjustment giving back what was claimed."""

    class Kind(models.TextChoices):
        CLAIMED = "claimed", "Claimed"
        ADJUSTMENT = "adjustment", "Adjustment for a previous overclaim"

    claim = models.ForeignKey(GiftAidClaim, on_delete=models.PROTECT, related_name="lines")
    donation = models.ForeignKey("donations.Donation", on_delete=models.PROTECT, related_name="+")
    declaration = models.ForeignKey("donations.GiftAidDeclaration", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The gift as claimed, in pence (an adjustment: what its claim claimed).
    amount_minor = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            # Never claimed twice, nor given back twice.
            models.UniqueConstraint(fields=["donation", "kind"], name="gift_aid_gift_claimed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: gift {self.donation_id}, {self.amount_minor}"
