import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from campaigns.models import Organization
from core.models import PostalAddress


def postal_address_lines(*, address_line1, address_line2, city, region, postal_code, country) -> list[str]:
    """A postal address as receipts and statements print it."""
    city_line = " ".join(part for part in (city, region, postal_code) if part)
    return [line for line in (address_line1, address_line2, city_line, country) if line]


class Donor(PostalAddress):
    # The details a donor gives with each gift (donations.services.donors).
    DETAIL_FIELDS = ("first_name", "last_name", *PostalAddress.ADDRESS_FIELDS)

    # Stored lower-cased by the services; the constraint makes sure of it.
    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    # Impact updates: the choice given with the donor's latest paid gift
    # that asked (receipts and statements are sent whatever it says).
    # A database default too: loaders that write donors in SQL (bench/) and
    # rows inserted before this column existed get the same answer.
    wants_updates = models.BooleanField(default=True, db_default=True)
    # The funds whose impact updates the donor chose in their portal; none
    # chosen: updates about every fund. Each choice is recorded, with its
    # wording, as an UpdateConsent.
    update_funds = models.ManyToManyField("campaigns.Fund", blank=True, related_name="+")
    # Set by privacy.services.erasure: the row stays, so the gifts and
    # receipt numbers the books must keep still have their donor, but
    # every personal detail on it and around it has been replaced.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="donor_email_lowercase"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class UpdateConsent(models.Model):
    """The record of a donor's choice about impact updates (PECR and GDPR
    consent): when, how, and the words they were shown. Appended on every
    choice, never edited: the donor's current choice is on the Donor
    (wants_updates, update_funds), and these say how it came to be."""

    class Source(models.TextChoices):
        DONATE_FORM = "donate_form", "Donate form"
        API = "api", "API"
        PORTAL = "portal", "Donor portal"
        UNSUBSCRIBE_LINK = "unsubscribe_link", "Unsubscribe link in an update"
        STAFF = "staff", "Staff, on the donor's word"

    donor = models.ForeignKey(Donor, on_delete=models.CASCADE, related_name="update_consents")
    wants_updates = models.BooleanField()
    # The slugs of the funds chosen, as they were then; empty: every fund.
    fund_slugs = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    wording = models.TextField(help_text="The choice exactly as the donor was shown it.")
    # The gift the choice came with, if it came with one.
    donation = models.ForeignKey("Donation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["donor", "recorded_at"])]

    def __str__(self) -> str:
        choice = "yes" if self.wants_updates else "no"
        return f"Updates {choice} from donor {self.donor_id}, {self.get_source_display()}, {self.recorded_at:%Y-%m-%d}"


class ChargedAndKept:
    """The money of a gift or of one of its parts (both have amount_minor,
    fee_covered_minor and refunded_minor): what the card was charged for
    it, and what it leaves the charity, charged less refunded."""

    @property
    def charged_minor(self) -> int:
        return self.amount_minor + self.fee_covered_minor

    @property
    def kept_minor(self) -> int:
        return self.charged_minor - self.refunded_minor


class DonationQuerySet(models.QuerySet):
    def counted(self) -> "DonationQuerySet":
        """The gifts the campaign, team and fundraiser totals count."""
        return self.filter(status__in=Donation.COUNTED_STATUSES)

    def with_kept_minor(self) -> "DonationQuerySet":
        """Annotated with `kept`: what the gift leaves the charity, charged
        less refunded (the SQL twin of Donation.kept_minor)."""
        return self.annotate(kept=KEPT_MINOR)


# Charged (the gift plus any fee the donor covered) less refunded.
KEPT_MINOR = models.F("amount_minor") + models.F("fee_covered_minor") - models.F("refunded_minor")


class DedicationKind(models.TextChoices):
    """A gift given in someone's name; the label starts the receipt's line."""

    HONOR = "honor", "In honour of"
    MEMORY = "memory", "In memory of"


# Short enough that "In memory of " and the name fit Donation.dedication.
DEDICATION_NAME_MAX = 150


def dedication_line(kind: str, name: str) -> str:
    """ "In honour of Rosa Diaz": what a receipt and a card say."""
    return f"{DedicationKind(kind).label} {name}"


class Donation(ChargedAndKept, models.Model):
    """One gift: the ledger row. Its status only moves forward (see
    donations.services.gift_status.ALLOWED_TRANSITIONS)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        REQUIRES_ACTION = "requires_action", "Requires action"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        DISPUTED = "disputed", "Disputed"
        DISPUTE_LOST = "dispute_lost", "Dispute lost"

    class Source(models.TextChoices):
        ONLINE = "online", "Online"
        OFFLINE_IMPORT = "offline_import", "Offline import"

    class Frequency(models.TextChoices):
        ONE_TIME = "one_time", "One-time"
        MONTHLY = "monthly", "Monthly"

    # The donor's details as given with this gift (Donor.DETAIL_FIELDS ->
    # this gift's field): walls, exports and receipts show these, so a later
    # gift, whoever made it, never changes what an earlier one says.
    DONOR_DETAIL_FIELDS = {name: f"donor_{name}" for name in Donor.DETAIL_FIELDS}
    # Likewise the organisation the donor gave as, if any (Organization
    # field name -> this gift's field): its receipt is in that name.
    ORGANIZATION_DETAIL_FIELDS = {name: f"organization_{name}" for name in Organization.DETAIL_FIELDS}

    # Gifts that count towards what a campaign has raised. A disputed gift
    # still counts until the dispute is lost.
    COUNTED_STATUSES = (Status.SUCCEEDED, Status.PARTIALLY_REFUNDED, Status.DISPUTED)
    # Gifts whose money was taken; their status then follows Stripe's facts.
    PAID_STATUSES = (Status.SUCCEEDED, Status.PARTIALLY_REFUNDED, Status.REFUNDED, Status.DISPUTED, Status.DISPUTE_LOST)
    # Gifts waiting on the donor or on Stripe.
    IN_FLIGHT_STATUSES = (Status.PENDING, Status.REQUIRES_ACTION)
    # Gifts staff may refund (some of what was charged is still kept).
    REFUNDABLE_STATUSES = (Status.SUCCEEDED, Status.PARTIALLY_REFUNDED)
    # Counted gifts and those refunded in full (shown with nothing kept):
    # what a year-end statement lists and the finance overview reports.
    REPORTED_STATUSES = (*COUNTED_STATUSES, Status.REFUNDED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="donations")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="donations")
    team = models.ForeignKey(
        "campaigns.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="donations"
    )
    fundraiser = models.ForeignKey(
        "campaigns.Fundraiser",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="donations",
    )
    # The fund the gift was designated to; for a split gift, its first
    # part's. What counts by fund reads the gift's parts (Allocation).
    fund = models.ForeignKey("campaigns.Fund", on_delete=models.PROTECT, related_name="donations")
    donor_first_name = models.CharField(max_length=100, blank=True)
    donor_last_name = models.CharField(max_length=100, blank=True)
    donor_address_line1 = models.CharField(max_length=200, blank=True)
    donor_address_line2 = models.CharField(max_length=200, blank=True)
    donor_city = models.CharField(max_length=100, blank=True)
    donor_region = models.CharField(max_length=100, blank=True)
    donor_postal_code = models.CharField(max_length=20, blank=True)
    donor_country = models.CharField(max_length=2, blank=True)
    # The organisation the donor gave as (donor.organization), and its name
    # and address as given with this gift; blank for a person's own gift.
    # Database defaults too, so gifts written in SQL alone need not name them.
    organization = models.ForeignKey(
        "campaigns.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="donations"
    )
    organization_name = models.CharField(max_length=200, blank=True, default="", db_default="")
    organization_address_line1 = models.CharField(max_length=200, blank=True, default="", db_default="")
    organization_address_line2 = models.CharField(max_length=200, blank=True, default="", db_default="")
    organization_city = models.CharField(max_length=100, blank=True, default="", db_default="")
    organization_region = models.CharField(max_length=100, blank=True, default="", db_default="")
    organization_postal_code = models.CharField(max_length=20, blank=True, default="", db_default="")
    organization_country = models.CharField(max_length=2, blank=True, default="", db_default="")
    # `email_updates` as given with the gift; None where nobody asked (an
    # offline gift), which leaves the donor's choice as it was.
    donor_wants_updates = models.BooleanField(null=True, blank=True)
    # Where that choice was asked (UpdateConsent.Source: the donate form or
    # the API), for the consent record written when the gift is paid. A
    # database default too, as for the fields below.
    donor_updates_source = models.CharField(
        max_length=20, choices=UpdateConsent.Source.choices, blank=True, default="", db_default=""
    )
    amount_minor = models.PositiveBigIntegerField(help_text="The gift, before any fee cover.")
    fee_covered_minor = models.PositiveBigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    refunded_minor = models.PositiveBigIntegerField(default=0)
    stripe_fee_minor = models.PositiveBigIntegerField(null=True, blank=True)
    # The number of the receipt that stands now (not void, not replaced by
    # a correction), blank when none does: a copy kept by receipts in the
    # transaction that issues, voids or corrects one, so the gift export
    # reads it with the gift instead of searching receipts row by row.
    # A database default too, so rows written by SQL alone (loaders,
    # benchmarks) start as "no receipt stands".
    receipt_number = models.CharField(max_length=20, blank=True, default="", db_default="", editable=False)
    # The gift's last move and how many it has had: a copy kept by
    # donations.services.moves in the move's transaction, so the gift
    # export joins one row instead of searching the moves gift by gift.
    last_move = models.ForeignKey(
        "GiftMove", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    move_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    payment_intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    charge_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    # Each paid invoice of a monthly gift is one Donation.
    recurring_plan = models.ForeignKey(
        "RecurringPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="donations"
    )
    invoice_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True, unique=True)
    # SHA-256 of the request that used the key (gifts.request_fingerprint):
    # the key answers only a retry of that same request. Blank on gifts
    # recorded before keys were tied to requests; no request matches them.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="")
    # Set while one request is charging the gift, so a racing retry with the
    # same idempotency key waits instead of charging it too.
    charge_attempt_started_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.ONLINE)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.ONE_TIME)
    anonymous = models.BooleanField(default=False)
    message = models.TextField(blank=True, max_length=500)
    # A dedication: `dedication` is the line as receipts print it ("In
    # memory of Rosa Diaz", or a plain string as the API was sent it);
    # `dedication_kind` and `dedication_name` are its parts when it was
    # given as an object (blank for a plain string, and for none), and
    # `dedication_notify_email` the person to tell, by a card that never
    # states the amount (receipts.services.dedication_cards). Database
    # defaults too, so gifts written in SQL alone (bench/) need not name them.
    dedication = models.CharField(max_length=200, blank=True)
    dedication_kind = models.CharField(
        max_length=10, choices=DedicationKind.choices, blank=True, default="", db_default=""
    )
    dedication_name = models.CharField(max_length=DEDICATION_NAME_MAX, blank=True, default="", db_default="")
    dedication_notify_email = models.EmailField(max_length=254, blank=True, default="", db_default="")
    # Goods or services this giver received in return (a gala ticket
    # recorded with an offline gift) and their fair market value: stated
    # by its receipt instead of the campaign's benefit (receipts.models.
    # CampaignBenefit). Blank and 0 for none; database defaults too, as above.
    benefit_description = models.CharField(max_length=200, blank=True, default="", db_default="")
    benefit_value_minor = models.PositiveBigIntegerField(default=0, db_default=0)
    failure_code = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DonationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        # Sends money back through Stripe: granted on its own, never implied
        # by the right to see or add ledger rows.
        permissions = [
            ("refund_donation", "Can refund gifts"),
            # Finance's correction of where a gift counts (donations.services.moves).
            ("move_donation", "Can move gifts to another fundraiser, team or fund"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="donation_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(refunded_minor__lte=models.F("amount_minor") + models.F("fee_covered_minor")),
                name="donation_refund_not_above_charge",
            ),
            # What was received in return is part of the payment, never more.
            models.CheckConstraint(
                condition=models.Q(benefit_value_minor__lte=models.F("amount_minor") + models.F("fee_covered_minor")),
                name="donation_benefit_not_above_charge",
            ),
            models.CheckConstraint(condition=models.Q(currency=Lower("currency")), name="donation_currency_lowercase"),
            models.CheckConstraint(
                condition=~models.Q(status="succeeded") | models.Q(succeeded_at__isnull=False),
                name="donation_succeeded_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Donation {self.public_id} ({self.status})"

    @property
    def is_counted(self) -> bool:
        return self.status in self.COUNTED_STATUSES

    @property
    def donor_details(self) -> dict[str, str]:
        """The donor's details as given with this gift, by Donor field name."""
        return {name: getattr(self, field) for name, field in self.DONOR_DETAIL_FIELDS.items()}

    @property
    def donor_full_name(self) -> str:
        return f"{self.donor_first_name} {self.donor_last_name}".strip()

    @property
    def donor_postal_address_lines(self) -> list[str]:
        details = self.donor_details
        return postal_address_lines(**{name: details[name] for name in Donor.ADDRESS_FIELDS})

    @property
    def organization_details(self) -> dict[str, str]:
        """The organisation as given with this gift, by Organization field name."""
        return {name: getattr(self, field) for name, field in self.ORGANIZATION_DETAIL_FIELDS.items()}

    @property
    def giver_postal_address_lines(self) -> list[str]:
        if not self.organization_name:
            return self.donor_postal_address_lines
        return postal_address_lines(
            **{name: getattr(self, f"organization_{name}") for name in Organization.ADDRESS_FIELDS}
        )

    @property
    def contact_name(self) -> str:
        """The person, for a gift given as an organisation ("" otherwise)."""
        return self.donor_full_name if self.organization_name else ""


class Allocation(ChargedAndKept, models.Model):
    """One part of a gift: what it gives one fund. Every gift has at least
    one (a gift that was not split has one, of all of it); a split gift has
    two to five, in the order the donor gave them. The parts are the ledger
    lines the funds count (fund totals, impact updates' audiences, the
    export's rows); the gift's campaign, team and fundraiser count the
    gift once, whole. Written by donations.services.allocations only: the
    parts' amounts, fee covers and refunds always add up to the gift's."""

    donation = models.ForeignKey(Donation, on_delete=models.CASCADE, related_name="allocations")
    fund = models.ForeignKey("campaigns.Fund", on_delete=models.PROTECT, related_name="allocations")
    # 0 for the first part the donor named.
    position = models.PositiveSmallIntegerField(default=0)
    amount_minor = models.PositiveBigIntegerField(help_text="This part of the gift, before any fee cover.")
    # This part's share of what the donor added to cover fees.
    fee_covered_minor = models.PositiveBigIntegerField(default=0)
    # This part's share of what was refunded (or lost to a chargeback's refund).
    refunded_minor = models.PositiveBigIntegerField(default=0)
    # This part's share of Stripe's fee on the gift, by what each part was
    # charged; None until Stripe's fee is known (as on the gift), and for
    # offline gifts, which pay none.
    stripe_fee_minor = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["donation_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["donation", "fund"], name="one_part_per_fund_of_a_gift"),
            models.UniqueConstraint(fields=["donation", "position"], name="one_part_per_position_of_a_gift"),
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="allocation_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(refunded_minor__lte=models.F("amount_minor") + models.F("fee_covered_minor")),
                name="allocation_refund_not_above_charge",
            ),
        ]

    def __str__(self) -> str:
        return f"Part {self.position} of gift {self.donation_id}: {self.amount_minor} to fund {self.fund_id}"


class GiftMove(models.Model):
    """One move of a gift to another fundraiser, team or fund: where it
    counted before and after, who moved it, when and why. Written by
    donations.services.moves only, in the move's own transaction; never
    changed once committed. `kept_minor` is what the gift moved with it (its kept
    amount then), so the record reads alone after later refunds."""

    class Channel(models.TextChoices):
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Management command"

    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="moves")
    from_team = models.ForeignKey("campaigns.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_team = models.ForeignKey("campaigns.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_fundraiser = models.ForeignKey(
        "campaigns.Fundraiser", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_fundraiser = models.ForeignKey(
        "campaigns.Fundraiser", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_fund = models.ForeignKey("campaigns.Fund", on_delete=models.PROTECT, related_name="+")
    to_fund = models.ForeignKey("campaigns.Fund", on_delete=models.PROTECT, related_name="+")
    kept_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=500)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who, in words, kept when the user is deleted; the OS user for commands.
    actor = models.CharField(max_length=254)
    # The number of the receipt that stood before and after ("" for none):
    # equal unless the move changed what the receipt states.
    receipt_before = models.CharField(max_length=20, blank=True)
    receipt_after = models.CharField(max_length=20, blank=True)
    moved_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-moved_at", "-pk"]

    def __str__(self) -> str:
        return f"Move of {self.donation_id} by {self.actor} at {self.moved_at:%Y-%m-%d %H:%M}"


class RecurringPlan(models.Model):
    """A monthly gift: one Stripe subscription, whose paid invoices each
    become a Donation attributed like the first."""

    class Status(models.TextChoices):
        INCOMPLETE = "incomplete", "Incomplete"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        CANCELED = "canceled", "Canceled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="recurring_plans")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="recurring_plans")
    team = models.ForeignKey("campaigns.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    fundraiser = models.ForeignKey(
        "campaigns.Fundraiser", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fund = models.ForeignKey("campaigns.Fund", on_delete=models.PROTECT, related_name="recurring_plans")
    # The organisation the donor gives as: each renewal is given as it too.
    organization = models.ForeignKey(
        "campaigns.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount_minor = models.PositiveBigIntegerField(help_text="The monthly gift, before any fee cover.")
    fee_covered_minor = models.PositiveBigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    anonymous = models.BooleanField(default=False)
    # The plan's own Stripe customer, holding only this plan's card: a
    # stranger who starts a monthly gift with someone's email never reaches
    # the card or the customer of that person's plans. (Not unique: plans
    # made before this shared their donor's one customer.)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.INCOMPLETE)
    # The last failed invoice the donor was told about (told once each).
    failure_notice_invoice_id = models.CharField(max_length=255, blank=True)
    # Signed into every link to the donor's page; raising it kills every
    # link made before (donations.selectors.plan_management_url).
    link_version = models.PositiveIntegerField(default=0)
    # Someone asked for a fresh link to be emailed and it has not been sent
    # yet: the outbox the beat sweep reads if the email's task was lost.
    fresh_link_requested_at = models.DateTimeField(null=True, blank=True)
    # The donor paused their gift until then (Stripe's pause_collection,
    # which voids the invoices of the pause); None: not paused. Cleared
    # when the pause ends (recurring.end_finished_pauses, or Stripe's
    # customer.subscription.updated), when the donor is told it resumed.
    paused_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # The pause sweep's read (selectors.plans_whose_pause_ended), every
        # few minutes: only the few paused plans are in it.
        indexes = [
            models.Index(
                fields=["paused_until"], condition=models.Q(paused_until__isnull=False), name="plan_paused_until"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="plan_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Monthly {self.amount_minor} {self.currency} from {self.donor_id} ({self.status})"

    @property
    def charged_minor(self) -> int:
        return self.amount_minor + self.fee_covered_minor


class PlanAllocation(models.Model):
    """One part of a split monthly gift: each renewal is split like its
    plan (donations.services.allocations). A plan that is not split has
    none; its renewals give all to the plan's fund."""

    plan = models.ForeignKey(RecurringPlan, on_delete=models.CASCADE, related_name="allocations")
    fund = models.ForeignKey("campaigns.Fund", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    amount_minor = models.PositiveBigIntegerField(help_text="This part of each month's gift, before any fee cover.")

    class Meta:
        ordering = ["plan_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "fund"], name="one_part_per_fund_of_a_plan"),
            models.UniqueConstraint(fields=["plan", "position"], name="one_part_per_position_of_a_plan"),
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="plan_allocation_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Part {self.position} of plan {self.plan_id}: {self.amount_minor} to fund {self.fund_id}"


class PlanChange(models.Model):
    """A change made to a monthly gift (by the donor from its link or their
    portal, or the end of a pause): kept so the donor is told of each
    exactly once, and so staff can see what a link was used for when a
    donor says it was not them."""

    class Kind(models.TextChoices):
        AMOUNT = "amount", "Amount changed"
        STOPPED = "stopped", "Stopped"
        FUNDS = "funds", "Fund or split changed"
        CARD = "card", "Card changed"
        PAUSED = "paused", "Paused"
        RESUMED = "resumed", "Resumed"

    plan = models.ForeignKey(RecurringPlan, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # What the card was charged each month before and after (fee cover
    # included); after is 0 for a stopped gift.
    old_monthly_minor = models.PositiveBigIntegerField()
    new_monthly_minor = models.PositiveBigIntegerField()
    # What changed, in the donor's words (the new funds), for the email.
    detail = models.CharField(max_length=500, blank=True)
    # When the card is next charged, as of the change (None once stopped).
    next_charge_on = models.DateField(null=True, blank=True)
    # A card change: the SetupIntent it came from, so that the same one
    # sent twice is one change and one email.
    stripe_setup_intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    made_at = models.DateTimeField(auto_now_add=True)
    notice_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-made_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on plan {self.plan_id}: {self.old_monthly_minor} -> {self.new_monthly_minor}"


class Refund(models.Model):
    class Reason(models.TextChoices):
        REQUESTED_BY_CUSTOMER = "requested_by_customer", "Requested by the donor"
        DUPLICATE = "duplicate", "Duplicate gift"
        FRAUDULENT = "fraudulent", "Fraudulent"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.PositiveBigIntegerField()
    # A refund of a split gift comes out of every part pro rata, or, when
    # finance chose one, out of this fund's part first
    # (donations.services.allocations.spread_refunds).
    fund = models.ForeignKey("campaigns.Fund", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Taken out of its fund's part already: a by-fund refund is applied once.
    taken_from_fund = models.BooleanField(default=False)
    reason = models.CharField(max_length=30, choices=Reason.choices, default=Reason.OTHER)
    note = models.CharField(max_length=500, blank=True)
    stripe_refund_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    failure_message = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund of {self.amount_minor} on {self.donation_id} ({self.status})"


class Dispute(models.Model):
    """A chargeback. Stripe's own statuses; once closed (won or lost) a
    dispute never reopens, so late events cannot undo the outcome."""

    OPEN_STATUSES = ("warning_needs_response", "warning_under_review", "needs_response", "under_review")
    CLOSED_STATUSES = ("won", "lost", "warning_closed", "prevented")

    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="disputes")
    stripe_dispute_id = models.CharField(max_length=255, unique=True)
    amount_minor = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=30)
    opened_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"Dispute {self.stripe_dispute_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status not in self.CLOSED_STATUSES


class GivingTotal(models.Model):
    """Counter row for a campaign (team and fundraiser empty), a team, or a
    fundraiser, updated in the same transaction as the gifts it counts.
    `reconcile_totals` proves it against the ledger."""

    # A team's or fundraiser's counter is joined from its page to rank
    # leaderboards (donations.selectors.with_counter_totals); a campaign's
    # counters are its teams' and fundraisers' too, so it names none.
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("campaigns.Team", null=True, on_delete=models.CASCADE, related_name="giving_totals")
    fundraiser = models.ForeignKey(
        "campaigns.Fundraiser", null=True, on_delete=models.CASCADE, related_name="giving_totals"
    )
    raised_minor = models.BigIntegerField(default=0)
    gift_count = models.IntegerField(default=0)
    donor_count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign"],
                condition=models.Q(team__isnull=True, fundraiser__isnull=True),
                name="one_total_per_campaign",
            ),
            models.UniqueConstraint(fields=["team"], condition=models.Q(team__isnull=False), name="one_total_per_team"),
            models.UniqueConstraint(
                fields=["fundraiser"],
                condition=models.Q(fundraiser__isnull=False),
                name="one_total_per_fundraiser",
            ),
            models.CheckConstraint(
                condition=models.Q(team__isnull=True) | models.Q(fundraiser__isnull=True),
                name="total_has_one_scope",
            ),
            models.CheckConstraint(
                condition=models.Q(raised_minor__gte=0, gift_count__gte=0, donor_count__gte=0),
                name="total_not_negative",
            ),
        ]

    def __str__(self) -> str:
        scope = f"team {self.team_id}" if self.team_id else "campaign"
        if self.fundraiser_id:
            scope = f"fundraiser {self.fundraiser_id}"
        return f"{scope} of campaign {self.campaign_id}: {self.raised_minor}"


class StripeEvent(models.Model):
    """The webhook inbox: every verified event, stored before processing."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"
        IGNORED = "ignored", "Ignored"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Why an ignored event changed nothing: no handler for its type, not
    # one of ours, or an object without what its handler reads.
    ignored_reason = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Set by privacy.services.retention once the payload (names, emails,
    # card details) was replaced by a stub of its id and type: the row, its
    # event id and type stay, so a repeated delivery is still known as one.
    payload_pruned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id} ({self.status})"


class GiftAidDeclaration(models.Model):
    """A donor's Gift Aid declaration to a UK charity (HMRC's model
    declaration), as made: the wording shown, the name and home address
    given, when and how. Kept as a record: a cancellation is stamped on
    it, and it is never deleted (HMRC asks for declarations to be kept six
    years after the last gift claimed on them); gifts it covers
    (donations.selectors.gift_aid_declaration_for) are claimed by
    finance's export_gift_aid_claim."""

    class Scope(models.TextChoices):
        # HMRC's "declarations covering past and future gifts": this gift,
        # every later one, and those of the four years before it.
        PAST_AND_FUTURE = "past_and_future", "This gift, future gifts and gifts of the past 4 years"
        THIS_GIFT = "this_gift", "This gift only"

    class Source(models.TextChoices):
        ONLINE_FORM = "online_form", "Donate form"
        API = "api", "API"
        PAPER = "paper", "Paper form (recorded by staff)"
        PHONE = "phone", "By phone (recorded by staff)"

    class CancellationSource(models.TextChoices):
        DONOR_LINK = "donor_link", "Donor, from the link in their receipt"
        STAFF = "staff", "Staff, on the donor's word"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="gift_aid_declarations")
    # The charity the declaration is made to; none: the default entity
    # (campaigns.ReceiptingEntity.default()), as for a campaign naming none.
    entity = models.ForeignKey(
        "campaigns.ReceiptingEntity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the charity's name was when the donor read the wording.
    charity_name = models.CharField(max_length=200)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    house_name_or_number = models.CharField(max_length=200)
    # The home address as given: every line but the postcode.
    address = models.CharField(max_length=500)
    # Capitals, with its space (SW1A 1AA), as HMRC's schedule wants it.
    postcode = models.CharField(max_length=8)
    wording = models.TextField(help_text="The declaration exactly as the donor was shown it.")
    wording_version = models.CharField(max_length=40)
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.PAST_AND_FUTURE)
    declared_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=20, choices=Source.choices)
    # The gift the declaration came with (none for one staff recorded on its own).
    donation = models.ForeignKey(
        Donation, null=True, blank=True, on_delete=models.PROTECT, related_name="gift_aid_declarations"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_source = models.CharField(max_length=20, choices=CancellationSource.choices, blank=True)
    # Who at the charity recorded a cancellation ("" for the donor's own).
    cancelled_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-declared_at"]
        indexes = [models.Index(fields=["donor", "declared_at"])]
        permissions = [("cancel_giftaiddeclaration", "Can cancel a Gift Aid declaration on the donor's word")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cancelled_at__isnull=True, cancellation_source="")
                | models.Q(cancelled_at__isnull=False) & ~models.Q(cancellation_source=""),
                name="gift_aid_cancellation_has_its_source",
            ),
        ]

    def __str__(self) -> str:
        return f"Gift Aid declaration of {self.first_name} {self.last_name} ({self.declared_at:%Y-%m-%d})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None
