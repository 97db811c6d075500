import re
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from core.dates import parse_month_day
from core.models import PostalAddress
from core.money import CURRENCIES, format_money

# A goal above this is a typo, not an ambition (one billion in major units).
MAX_GOAL_MINOR = 100_000_000_000
GOAL_TOO_BIG = "A goal above one billion is surely a typo."


class Fund(models.Model):
    """A designation donors can give to: rescue, aftercare, general..."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


def validate_month_day(value: str) -> None:
    try:
        parse_month_day(value)
    except ValueError:
        raise ValidationError(f"Give a day of the year as MM-DD (04-06 for 6 April), not {value!r}.") from None


class ReceiptingEntity(models.Model):
    """The legal entity that receives a campaign's money and issues its
    receipts: a US 501(c)(3), a Canadian registered charity, a UK charity.
    Its country decides which rules the receipts follow (receipts.countries);
    everything a receipt says of it is copied onto the receipt when it is
    issued, so editing an entity never changes a receipt already issued.
    A campaign with none is received by the default entity, which the
    ORG_* settings describe (ReceiptingEntity.default)."""

    class Country(models.TextChoices):
        US = "US", "United States (IRS acknowledgement)"
        CA = "CA", "Canada (CRA official receipts)"
        GB = "GB", "United Kingdom (Gift Aid)"

    name = models.CharField(max_length=200, help_text="The legal name, exactly as registered with the tax authority.")
    address = models.TextField(help_text="The address as registered, as it should be printed on receipts.")
    country = models.CharField(max_length=2, choices=Country.choices, default=Country.US)
    tax_number = models.CharField(
        max_length=50,
        help_text="The EIN (US), the charity registration number such as 123456789RR0001 (Canada), "
        "or the registered charity number (UK).",
    )
    place_of_issue = models.CharField(
        max_length=100, blank=True, help_text="The city where receipts are issued (Canadian receipts must say)."
    )
    signatory_name = models.CharField(
        max_length=100, blank=True, help_text="Who signs the receipts (Canadian receipts must be signed)."
    )
    signatory_title = models.CharField(max_length=100, blank=True, help_text="Their role, such as Treasurer.")
    # Each upload gets a name of its own, and receipts keep the name they
    # were issued with: a new signature never changes an old receipt.
    signature = models.ImageField(upload_to="receipting/signatures/", blank=True)
    statement_year_start = models.CharField(
        max_length=5,
        default="01-01",
        validators=[validate_month_day],
        help_text="The first day of the year year-end statements cover, MM-DD: 01-01 for a calendar year, "
        "04-06 for the UK tax year.",
    )
    intangible_religious_benefits = models.BooleanField(
        default=False,
        help_text="US churches: receipts say the only benefit in return was intangible religious benefits.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "receipting entities"

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"

    @classmethod
    def default(cls) -> "ReceiptingEntity":
        """The entity of campaigns that name none, as the ORG_* settings
        describe it: never saved (its pk is None)."""
        return cls(
            name=settings.ORG_NAME or "",
            address=settings.ORG_ADDRESS or "",
            country=settings.ORG_COUNTRY,
            tax_number=settings.ORG_TAX_ID or "",
            place_of_issue=settings.ORG_RECEIPT_PLACE,
            signatory_name=settings.ORG_SIGNATORY_NAME,
            signatory_title=settings.ORG_SIGNATORY_TITLE,
            statement_year_start=settings.ORG_STATEMENT_YEAR_START,
        )

    def clean(self):
        """A Canadian entity holds what every official receipt it issues must
        carry (CRA): a registration number in its form (the business number's
        nine digits, RR, four digits), the place of issue, and who signs, with
        their signature."""
        super().clean()
        if self.country != self.Country.CA:
            return
        errors = {}
        if not re.fullmatch(r"\d{9}RR\d{4}", self.tax_number or ""):
            errors["tax_number"] = "A Canadian charity registration number reads like 123456789RR0001."
        for name in ("place_of_issue", "signatory_name", "signature"):
            if not getattr(self, name):
                errors[name] = "Canadian official receipts must carry this."
        if errors:
            raise ValidationError(errors)

    @property
    def requires_donor_address(self) -> bool:
        """Canadian receipts and Gift Aid declarations must carry the donor's home address."""
        return self.country in (self.Country.CA, self.Country.GB)

    @property
    def offers_gift_aid(self) -> bool:
        return self.country == self.Country.GB

    def statement_year(self, start_year: int) -> tuple[date, date]:
        """The first and last day of the statement year that starts in `start_year`."""
        month, day = parse_month_day(self.statement_year_start)
        start = date(start_year, month, day)
        return start, date(start_year + 1, month, day) - timedelta(days=1)


class Organization(PostalAddress):
    """A church, school or company that gives as itself (the API's
    `donor.organization`): its receipts and year-end statements are in its
    name, with the person who gave as the contact. One per name, whatever
    its case. Here, not in donations, so a team (a church's team) and a
    gift can both point at it. A gift keeps its own copy of the name and
    address as given (Donation.ORGANIZATION_DETAIL_FIELDS); the record
    takes them, and its contact, from its latest paid gift
    (donations.services.organizations)."""

    # What a gift gives of it (the contact is the gift's donor).
    DETAIL_FIELDS = ("name", *PostalAddress.ADDRESS_FIELDS)

    name = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200, blank=True, help_text="Who gave its latest gift.")
    contact_email = models.EmailField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="organization_name_unique_any_case",
                violation_error_message="There is already an organisation of this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    story = models.TextField(blank=True)
    goal_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    # Which funds donors may choose; none chosen means every active fund.
    funds = models.ManyToManyField("Fund", blank=True, related_name="campaigns")
    default_fund = models.ForeignKey("Fund", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The wide picture at the top of the campaign's page, and the one its
    # shared links preview with when a team or fundraiser has no photo.
    # A database default too (as Team.photo), so rows written by SQL alone
    # (the benchmarks' loaders) or by older migrations' models have none.
    hero_image = models.ImageField(upload_to="campaigns/%Y/", blank=True, db_default="")
    # Whether staff want the donor's postal address on this campaign's
    # receipts even where its entity's rules do not (a Canadian or UK
    # entity's always do: needs_donor_address): the donate form and the
    # API then refuse a gift without one.
    donor_address_required = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Refuse online gifts without the donor's postal address (street, city, "
        "postal code where the country has them, country), because this campaign's receipts must show it.",
    )
    # Who receives the money and issues the receipts; none: the default
    # entity of the ORG_* settings.
    receipting_entity = models.ForeignKey(
        ReceiptingEntity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text="The legal entity that receives this campaign's gifts and issues its receipts; "
        "empty for the organisation the settings name.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(goal_minor__lte=MAX_GOAL_MINOR),
                name="campaign_goal_not_absurd",
                violation_error_message=GOAL_TOO_BIG,
            ),
            models.CheckConstraint(condition=models.Q(currency=Lower("currency")), name="campaign_currency_lowercase"),
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(starts_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="campaign_ends_after_start",
                violation_error_message="A campaign must end after it starts.",
            ),
        ]
        # Moderators hide what breaks the rules without the right to edit it.
        permissions = [("moderate_page", "Can hide and show teams, fundraisers and updates")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("campaigns:campaign", kwargs={"slug": self.slug})

    def clean(self):
        """A Canadian entity's official receipts state amounts in Canadian
        dollars (CRA), and receipts print the gift's own currency: its
        campaigns take gifts in CAD."""
        super().clean()
        if self.entity.country == ReceiptingEntity.Country.CA and self.currency != "cad":
            raise ValidationError({"currency": "A Canadian entity's campaigns take gifts in CAD."})

    @property
    def entity(self) -> ReceiptingEntity:
        """Who receives this campaign's gifts and issues their receipts."""
        return self.receipting_entity or ReceiptingEntity.default()

    @property
    def needs_donor_address(self) -> bool:
        """Whether online gifts must give the donor's postal address: the
        entity's receipts need it, or staff asked for it."""
        return self.donor_address_required or self.entity.requires_donor_address

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status == self.Status.ACTIVE
            and (self.starts_at is None or self.starts_at <= now)
            and (self.ends_at is None or now < self.ends_at)
        )

    def is_upcoming(self, now=None) -> bool:
        """Active, but its start date is still ahead."""
        now = now or timezone.now()
        return self.status == self.Status.ACTIVE and self.starts_at is not None and now < self.starts_at


# A row of more buttons than this is harder to choose from, not easier.
MAX_AMOUNT_PRESETS = 6


class AmountPreset(models.Model):
    """One of the amounts the donate form offers for a campaign, with a line
    saying what it does ("pays for a week of aftercare"). A campaign with
    none offers the site's defaults (campaigns.selectors.DEFAULT_PRESETS_MAJOR).
    Edited in the campaign's admin, which holds a campaign to
    MAX_AMOUNT_PRESETS of them."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="amount_presets")
    amount_minor = models.PositiveBigIntegerField(
        "amount (minor units)", help_text="In cents (or pence): 5000 for 50.00 in the campaign's currency."
    )
    impact_text = models.CharField(
        max_length=120,
        blank=True,
        help_text="Optional: what this gift does, shown under the amount (e.g. pays for a week of aftercare).",
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Smaller first; equal positions by amount.")

    class Meta:
        ordering = ["position", "amount_minor"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "amount_minor"],
                name="amount_preset_unique_in_campaign",
                violation_error_message="This campaign already offers this amount.",
            ),
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="amount_preset_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount_minor} {self.campaign.currency}" if self.campaign_id else str(self.amount_minor)

    def clean(self):
        """An amount the campaign's donors can give online: from the minimum
        gift (MIN_GIFT_MINOR, the rule donations.rules.amount_limits gives
        online gifts) to the largest gift in its currency."""
        super().clean()
        try:
            currency = self.campaign.currency
        except Campaign.DoesNotExist:
            return
        if self.amount_minor is None or currency not in CURRENCIES:
            return
        smallest, largest = settings.MIN_GIFT_MINOR[currency], CURRENCIES[currency].max_gift_minor
        if not smallest <= self.amount_minor <= largest:
            raise ValidationError(
                {
                    "amount_minor": f"Presets must be gifts donors can make: between "
                    f"{format_money(smallest, currency)} and {format_money(largest, currency)}."
                }
            )


class PeerPage(models.Model):
    """What a team's and a fundraiser's page share: a slug unique in the
    campaign, a name, a story, a goal, moderation and a public page."""

    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=120)
    story = models.TextField(blank=True)
    goal_minor = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    url_name: str

    class Meta:
        abstract = True
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "slug"], name="%(class)s_slug_unique_in_campaign"),
            models.CheckConstraint(
                condition=models.Q(goal_minor__lte=MAX_GOAL_MINOR),
                name="%(class)s_goal_not_absurd",
                violation_error_message=GOAL_TOO_BIG,
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse(self.url_name, kwargs={"campaign_slug": self.campaign.slug, "slug": self.slug})


class Team(PeerPage):
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="teams")
    captains = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="captained_teams")
    # Chosen by campaign staff to be shown first on the campaign page.
    is_featured = models.BooleanField(default=False)
    photo = models.ImageField(upload_to="teams/%Y/", blank=True, db_default="")
    # Moderation: a hidden team's page, and its fundraisers' pages, are gone
    # from the public site and take no gifts.
    is_hidden = models.BooleanField(default=False)
    # The church, school or company whose team this is, if any.
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="teams"
    )
    url_name = "campaigns:team"

    class Meta(PeerPage.Meta):
        pass


class Fundraiser(PeerPage):
    """A supporter's personal page; gifts on it also count for its team."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="fundraisers")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="fundraisers")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fundraisers",
    )
    photo = models.ImageField(upload_to="fundraisers/%Y/", blank=True)
    # Moderation: a hidden page is gone from the public site and takes no gifts.
    is_hidden = models.BooleanField(default=False)
    url_name = "campaigns:fundraiser"

    class Meta(PeerPage.Meta):
        constraints = [
            *PeerPage.Meta.constraints,
            # One personal page per supporter per campaign: joining a team
            # moves that page, it never makes a second one.
            models.UniqueConstraint(
                fields=["campaign", "owner"],
                condition=models.Q(owner__isnull=False),
                name="one_fundraiser_per_owner_in_campaign",
            ),
        ]


class TeamInvite(models.Model):
    """An emailed link that lets one person join a team. Only a hash of the
    link's token is stored, so the table cannot be used to join teams."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invites")
    email = models.EmailField(max_length=254)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="invite_email_lowercase"),
        ]

    def __str__(self) -> str:
        return f"Invite to {self.team} for {self.email}"


class CampaignUpdate(models.Model):
    """News posted on the campaign's page (by staff), a team's page (by its
    captains) or a fundraiser's page (by its owner)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="updates")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="updates")
    fundraiser = models.ForeignKey(Fundraiser, null=True, blank=True, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=120)
    body = models.TextField(max_length=5000)
    # Moderation: a hidden update is no longer shown.
    is_hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=True) | models.Q(fundraiser__isnull=True),
                name="update_on_one_page",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PrivacyNotice(models.Model):
    """What the charity tells donors about their data, shown at /privacy/
    and linked from the donate form. Edited in the admin by adding a new
    one: the newest published is shown, and the older ones stay as the
    record of what a donor was told when they gave."""

    text = models.TextField(help_text="Plain text; a blank line starts a new paragraph.")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return f"Privacy notice of {self.published_at:%Y-%m-%d}"
