import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone


def new_token() -> str:
    """An unguessable token for a link in an email (256 bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a link's token: its SHA-256, so the database alone
    opens no link. A 256-bit token needs no salt or slow hash: it cannot be
    guessed, only stolen."""
    return hashlib.sha256(token.encode()).hexdigest()


class ReceiptSequence(models.Model):
    """The last receipt number used in a year. Numbers are taken under a
    row lock in the transaction that creates the receipt, so a rolled-back
    gift never leaves a gap."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class OutboundEmail(models.Model):
    """One email that must go out once: the delivery status machine shared
    by receipts, void notices, year-end statements and impact updates.

    pending -> sending (claimed under a row lock) -> sent, or back to
    pending after a temporary provider error, or failed after a permanent
    one or the last retry. A row left in `sending` belongs to a worker that
    died: the task that claimed it takes it back when it is delivered
    again; otherwise, once it has been `sending` longer than
    receipts.outbox.SENDING_LEASE, the sweep hands it to a new one."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # Impact updates and dedication cards only: the address is suppressed
        # or unsubscribed.
        SKIPPED = "skipped", "Skipped"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When the current send began.")
    claimed_by = models.CharField(max_length=255, blank=True, help_text="The id of the task sending it.")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Receipt(OutboundEmail):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        VOID = "void", "Void"

    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=20, unique=True)
    donation = models.ForeignKey("donations.Donation", on_delete=models.PROTECT, related_name="receipts")
    # A corrected receipt points at the one it replaces.
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # What the receipt acknowledges, fixed when it is issued: the amount
    # charged, or after a partial refund what the donor kept given.
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    # Goods or services the donor received in return (IRS quid pro quo).
    benefit_description = models.CharField(max_length=200, blank=True)
    benefit_value_minor = models.PositiveBigIntegerField(default=0)
    # Everything the receipt says, fixed when it is issued
    # (receipts.documents.ReceiptFacts): the email and every PDF are drawn
    # from this alone, never from the donor, the gift or the settings.
    record = models.JSONField(default=dict, editable=False)
    # The SHA-256 of the token in the donor's link to download the PDF
    # again; the token itself is only in the email (receipts.services.receipts.pdf_link).
    pdf_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    issued_at = models.DateTimeField(default=timezone.now, editable=False)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["status", "issued_at"])]
        # Seeing a failed email is not the right to send it to the donor again.
        permissions = [("resend_email", "Can send failed receipts, notices, statements and updates again")]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="receipt_sequence_unique_in_year"),
            models.UniqueConstraint(
                fields=["donation"],
                condition=models.Q(replaces__isnull=True),
                name="one_original_receipt_per_donation",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="void") | models.Q(voided_at__isnull=False),
                name="void_receipt_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Receipt {self.number} ({self.status})"

    @staticmethod
    def format_number(year: int, sequence: int) -> str:
        return f"{year}-{sequence:06d}"


class VoidNotice(OutboundEmail):
    """Tells the donor that a receipt they were sent no longer stands
    (the gift was refunded in full)."""

    receipt = models.OneToOneField(Receipt, on_delete=models.PROTECT, related_name="void_notice")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Void notice for {self.receipt.number} ({self.status})"


class GiftNotice(OutboundEmail):
    """Tells a page's owner, or a team's captain, that someone gave on it:
    one per gift and person. It names the donor only as the public page
    does, and never gives their email address."""

    donation = models.ForeignKey("donations.Donation", on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["donation", "recipient"], name="one_gift_notice_per_person")]

    def __str__(self) -> str:
        return f"Gift notice of {self.donation_id} for {self.recipient_id} ({self.status})"


class MoveNotice(OutboundEmail):
    """Tells the owner, or a team's captain, of a page that finance moved a
    gift to it, so that it now counts for them: one per move and person.
    Like a gift notice it names the donor only as the public page does and
    never gives their email address; nor does it give finance's reason,
    which is finance's own note."""

    move = models.ForeignKey("donations.GiftMove", on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["move", "recipient"], name="one_move_notice_per_person")]

    def __str__(self) -> str:
        return f"Move notice of move {self.move_id} for {self.recipient_id} ({self.status})"


class DedicationCard(OutboundEmail):
    """Tells the person a donor named (`dedication_notify_email`) that a
    gift was given in honour or in memory of someone: one per gift, sent
    once it is paid. It names the donor as the public page does (or says
    "someone"), and never states the amount."""

    donation = models.OneToOneField("donations.Donation", on_delete=models.CASCADE, related_name="+")
    # The address as given with the gift.
    email = models.EmailField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Dedication card of {self.donation_id} ({self.status})"


class ThankYouNote(OutboundEmail):
    """A fundraiser's (or a team captain's) thanks to the donor of a gift
    on their page, emailed by the charity: at most one per gift, whoever
    sends it. The sender never sees the donor's address; the note names
    the sender as the public page does, fixed when it was written."""

    TEXT_MAX_LENGTH = 1000

    donation = models.OneToOneField("donations.Donation", on_delete=models.CASCADE, related_name="+")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=TEXT_MAX_LENGTH)
    # As the email says them, fixed when the note was written.
    signed_as = models.CharField(max_length=150)
    page_name = models.CharField(max_length=120)
    page_url = models.URLField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Thank-you note for gift {self.donation_id} ({self.status})"


class CampaignBenefit(models.Model):
    """Goods or services a campaign gives its donors in return (a gala
    dinner, a T-shirt), and which gifts receive them: the receipts of those
    gifts state their value instead of "no goods or services were
    provided". A monthly plan's renewals never receive it: a benefit given
    once must not be taken off the deduction of every month's gift. A gift
    that records a benefit of its own (Donation.benefit_*) states that
    instead (receipts.selectors.benefits_received)."""

    class Applies(models.TextChoices):
        ONE_TIME = "one_time", "One-time gifts only"
        ONE_TIME_AND_FIRST_MONTHLY = "first_monthly", "One-time gifts and the first gift of a monthly plan"

    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    description = models.CharField(max_length=200)
    value_minor = models.PositiveBigIntegerField(help_text="Fair market value per gift, in minor units.")
    minimum_gift_minor = models.PositiveBigIntegerField(
        default=0,
        help_text="Gifts below this (in minor units, before any fee cover) receive nothing; 0 for every gift.",
    )
    applies_to = models.CharField(max_length=20, choices=Applies.choices, default=Applies.ONE_TIME)

    def __str__(self) -> str:
        return f"{self.campaign}: {self.description}"

    def is_received_with(self, donation, *, first_of_plan: bool) -> bool:
        """Whether the giver of `donation` (of this campaign) receives it;
        `first_of_plan`: whether a monthly gift is its plan's first."""
        if donation.amount_minor < self.minimum_gift_minor:
            return False
        if donation.frequency != donation.Frequency.MONTHLY:
            return True
        return first_of_plan and self.applies_to == self.Applies.ONE_TIME_AND_FIRST_MONTHLY


class YearEndStatement(OutboundEmail):
    """One per donor, receipting entity and statement year for the gifts
    they gave as themselves to that entity's campaigns, and one per
    organisation, entity and year for the gifts given as it (its `donor` is
    then the contact it was first sent to): every such gift of that year,
    refunds reflected, as they stood when it was issued. A refund after
    that yields a corrected statement that `replaces` it; only originals
    are one per donor (or organisation), entity and year."""

    donor = models.ForeignKey("donations.Donor", on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        "campaigns.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Whose campaigns' gifts it lists, and whose statement year it follows;
    # none: the default entity (campaigns.ReceiptingEntity.default).
    entity = models.ForeignKey(
        "campaigns.ReceiptingEntity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The calendar year the statement year starts in, and the year's name
    # ("2026", or "2025-26" for a year that starts later than 1 January).
    year = models.PositiveSmallIntegerField()
    period = models.CharField(max_length=7)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by", editable=False
    )
    # Everything the statement says (receipts.documents.StatementFacts).
    record = models.JSONField(default=dict, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "donor_id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            # The default entity (null) counts as one entity: 0 stands for it.
            models.UniqueConstraint(
                models.F("donor"),
                Coalesce(models.F("entity"), models.Value(0)),
                models.F("period"),
                condition=models.Q(organization__isnull=True, replaces__isnull=True),
                name="one_statement_per_donor_entity_and_period",
            ),
            models.UniqueConstraint(
                models.F("organization"),
                Coalesce(models.F("entity"), models.Value(0)),
                models.F("period"),
                condition=models.Q(organization__isnull=False, replaces__isnull=True),
                name="one_statement_per_organization_entity_and_period",
            ),
        ]

    def __str__(self) -> str:
        corrected = " (corrected)" if self.replaces_id else ""
        return f"{self.period} statement{corrected} for donor {self.donor_id} ({self.status})"


class ImpactUpdate(models.Model):
    """News for donors, written by staff and sent to an audience."""

    class Audience(models.TextChoices):
        ALL = "all", "Everyone who has given"
        FUND = "fund", "Everyone who gave to a fund"
        CAMPAIGN = "campaign", "Everyone who gave to a campaign"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"

    title = models.CharField(max_length=150)
    body = models.TextField(help_text="Plain text; a blank line starts a new paragraph.")
    image = models.ImageField(upload_to="impact-updates/", blank=True)
    image_alt = models.CharField(
        max_length=200, blank=True, help_text="What the image shows, for donors who cannot see it."
    )
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.ALL)
    fund = models.ForeignKey("campaigns.Fund", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    send_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set once every donor in the audience has a delivery queued.
    all_queued_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(audience="all", fund__isnull=True, campaign__isnull=True)
                | models.Q(audience="fund", fund__isnull=False, campaign__isnull=True)
                | models.Q(audience="campaign", fund__isnull=True, campaign__isnull=False),
                name="impact_update_audience_matches_target",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        """Form errors for the staff who write updates, before the check
        constraint would refuse the row."""
        errors = {}
        wants = {self.Audience.FUND: "fund", self.Audience.CAMPAIGN: "campaign"}.get(self.audience)
        for target in ("fund", "campaign"):
            chosen = getattr(self, f"{target}_id") is not None
            if target == wants and not chosen:
                errors[target] = f"Choose the {target} whose donors should get this update."
            elif target != wants and chosen:
                errors[target] = f"Leave this empty unless the audience is everyone who gave to a {target}."
        if errors:
            raise ValidationError(errors)


class UpdateDelivery(OutboundEmail):
    """One impact update to one donor: at most one per pair."""

    update = models.ForeignKey(ImpactUpdate, on_delete=models.PROTECT, related_name="deliveries")
    donor = models.ForeignKey("donations.Donor", on_delete=models.PROTECT, related_name="+")
    # The one-click unsubscribe link's token.
    unsubscribe_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "update deliveries"
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["update", "donor"], name="one_delivery_per_update_and_donor"),
        ]

    def __str__(self) -> str:
        return f"{self.update} to donor {self.donor_id} ({self.status})"


class EmailSuppression(models.Model):
    """An address that gets no more impact updates, nor dedication cards
    (a stranger's inbox). Receipts and statements are transactional and
    are still sent."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"
        REJECTED = "rejected", "Rejected by the provider"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    email = models.EmailField(max_length=254, unique=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="suppressed_email_lowercase"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"

    def clean(self):
        self.email = self.email.lower()


class ProviderEvent(models.Model):
    """A tracking event from the email provider, stored once by its id so a
    repeated webhook changes nothing."""

    esp_name = models.CharField(max_length=50)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=30)
    recipient = models.EmailField(max_length=254, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["esp_name", "event_id"], name="provider_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.esp_name} {self.event_type} {self.recipient}"
