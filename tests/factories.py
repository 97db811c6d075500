from datetime import datetime

import factory
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Fund, Fundraiser, Organization, ReceiptingEntity, Team
from donations.gift_aid import wording as gift_aid_wording
from donations.services.allocations import Part, record_parts
from donations.services.gifts import covered_fee
from tests.fakes.stripe import stripe_fee

PAID_STATUSES = ("succeeded", "partially_refunded", "refunded", "disputed", "dispute_lost")


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fund
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"fund-{n}")
    name = factory.Sequence(lambda n: f"Fund {n}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Church {n}")
    address_line1 = "1 Chapel St"
    city = "Hampton"
    region = "VA"
    postal_code = "23669"
    country = "US"


class ReceiptingEntityFactory(factory.django.DjangoModelFactory):
    """A US entity by default; `ReceiptingEntityFactory(canadian=True)` or
    `(british=True)` gives one as Canada's or the UK's rules need it."""

    class Meta:
        model = ReceiptingEntity

    class Params:
        canadian = factory.Trait(
            name="Freedom Now Canada",
            address="1 Hope Street, Toronto ON M5V 2T6",
            country="CA",
            tax_number="123456789RR0001",
            place_of_issue="Toronto, Ontario",
            signatory_name="Jordan Lee",
            signatory_title="Treasurer",
        )
        british = factory.Trait(
            name="Freedom Now UK",
            address="1 Hope Street, London SW1A 1AA",
            country="GB",
            tax_number="1123456",
            place_of_issue="London",
            signatory_name="Alex Smith",
            signatory_title="Chair of Trustees",
            statement_year_start="04-06",
        )

    name = factory.Sequence(lambda n: f"Freedom Now {n}")
    address = "1 Hope Way, Portland, OR 97201"
    country = "US"
    tax_number = "12-3456789"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    slug = factory.Sequence(lambda n: f"campaign-{n}")
    title = factory.Sequence(lambda n: f"Campaign {n}")
    story = "Wear a dress, end trafficking."
    goal_minor = 250_000_00
    currency = "usd"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    campaign = factory.SubFactory(CampaignFactory)
    slug = factory.Sequence(lambda n: f"team-{n}")
    name = factory.Sequence(lambda n: f"Team {n}")
    goal_minor = 10_000_00


class FundraiserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fundraiser

    campaign = factory.SubFactory(CampaignFactory)
    slug = factory.Sequence(lambda n: f"fundraiser-{n}")
    name = factory.Sequence(lambda n: f"Fundraiser {n}")
    goal_minor = 1_000_00


class UserFactory(factory.django.DjangoModelFactory):
    """A person with an account: username is the lower-cased email, as
    accounts.services.register makes it."""

    class Meta:
        model = "accounts.User"
        django_get_or_create = ("username",)

    class Params:
        # Signed up but has not followed the verification link yet.
        unverified = factory.Trait(email_verified_at=None)

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    username = factory.LazyAttribute(lambda user: user.email.lower())
    first_name = factory.Sequence(lambda n: f"Person{n}")
    last_name = "Example"
    password = factory.django.Password("a-long-test-passphrase")
    email_verified_at = factory.LazyFunction(timezone.now)


class DonorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "donations.Donor"
        django_get_or_create = ("email",)

    class Params:
        # A postal address, as the donate form asks for one.
        with_address = factory.Trait(address_line1="1 Main St", city="Springfield", postal_code="62701", country="US")

    email = factory.Sequence(lambda n: f"donor{n}@example.org")
    first_name = "Ada"
    last_name = "Lee"


class RecurringPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "donations.RecurringPlan"

    donor = factory.SubFactory(DonorFactory)
    campaign = factory.SubFactory(CampaignFactory)
    fund = factory.LazyFunction(lambda: FundFactory(slug="general", name="Where most needed"))
    amount_minor = 2500
    currency = "usd"
    status = "active"
    stripe_subscription_id = factory.Sequence(lambda n: f"sub_test_{n}")


def local_time(*args) -> datetime:
    """An aware datetime in the site's time zone."""
    return timezone.make_aware(datetime(*args))


def _stripe_fee(donation) -> int:
    """Stripe's standard 2.9% + 0.30 on the charge, as the fake Stripe takes it."""
    return stripe_fee(donation.amount_minor + donation.fee_covered_minor)


class DonationFactory(factory.django.DjangoModelFactory):
    """A gift as the ledger holds it: pending unless a trait says otherwise.

    Traits: `succeeded` (paid by card: Stripe ids and fee), `refunded`
    (succeeded, then refunded in full), `monthly` (the gift of a monthly
    plan), `offline` (recorded by finance, no Stripe), `declined` (the card
    was declined: failed), `cover_fees` (the donor added what the fees
    cost, as the donate form computes it).
    Attributed as the app attributes it: a gift to a `fundraiser` also
    counts for the fundraiser's team, and a gift to a fundraiser or a team
    is in its campaign (donations.rules.attribute). The row is written as
    it is; with `through_services=True` it is written pending and moved to
    its status by the ledger's own services instead, so that it is counted
    in the totals and gets its receipt (sent when the transaction commits)."""

    class Meta:
        model = "donations.Donation"

    class Params:
        succeeded = factory.Trait(
            status="succeeded",
            payment_intent_id=factory.Sequence(lambda n: f"pi_test_{n}"),
            charge_id=factory.Sequence(lambda n: f"ch_test_{n}"),
            stripe_fee_minor=factory.LazyAttribute(_stripe_fee),
        )
        refunded = factory.Trait(
            succeeded=True,
            status="refunded",
            refunded_minor=factory.LazyAttribute(lambda d: d.amount_minor + d.fee_covered_minor),
        )
        monthly = factory.Trait(
            frequency="monthly",
            recurring_plan=factory.SubFactory(
                RecurringPlanFactory,
                donor=factory.SelfAttribute("..donor"),
                campaign=factory.SelfAttribute("..campaign"),
                fund=factory.SelfAttribute("..fund"),
                amount_minor=factory.SelfAttribute("..amount_minor"),
            ),
            invoice_id=factory.Sequence(lambda n: f"in_test_{n}"),
        )
        offline = factory.Trait(status="succeeded", source="offline_import")
        declined = factory.Trait(
            status="failed",
            payment_intent_id=factory.Sequence(lambda n: f"pi_test_{n}"),
            failure_code="card_declined",
            failure_message="Your card was declined.",
        )
        cover_fees = factory.Trait(fee_covered_minor=factory.LazyAttribute(lambda d: covered_fee(d.amount_minor)))

    donor = factory.SubFactory(DonorFactory)
    fundraiser = None
    team = factory.LazyAttribute(lambda d: d.fundraiser.team if d.fundraiser else None)
    campaign = factory.Maybe(
        "fundraiser",
        yes_declaration=factory.SelfAttribute("fundraiser.campaign"),
        no_declaration=factory.Maybe(
            "team",
            yes_declaration=factory.SelfAttribute("team.campaign"),
            no_declaration=factory.SubFactory(CampaignFactory),
        ),
    )
    fund = factory.LazyFunction(lambda: FundFactory(slug="general", name="Where most needed"))
    # The details given with the gift: the donor's, as the donate form sends them.
    donor_first_name = factory.SelfAttribute("donor.first_name")
    donor_last_name = factory.SelfAttribute("donor.last_name")
    donor_address_line1 = factory.SelfAttribute("donor.address_line1")
    donor_address_line2 = factory.SelfAttribute("donor.address_line2")
    donor_city = factory.SelfAttribute("donor.city")
    donor_region = factory.SelfAttribute("donor.region")
    donor_postal_code = factory.SelfAttribute("donor.postal_code")
    donor_country = factory.SelfAttribute("donor.country")
    amount_minor = 5000
    fee_covered_minor = 0
    currency = "usd"
    status = "pending"
    created_at = factory.LazyFunction(timezone.now)
    # Paid gifts (refunded and disputed ones too) were paid when made.
    succeeded_at = factory.LazyAttribute(lambda d: d.created_at if d.status in PAID_STATUSES else None)
    # Popped by _create: not fields of the model. `allocations`, a split
    # gift's [(fund, amount_minor), ...] adding up to amount_minor (the
    # first part's fund is `fund` and amount_minor their sum); a gift not split has one part of all.
    through_services = False
    allocations = ()

    @classmethod
    def _create(cls, model_class, *args, through_services=False, allocations=(), **fields):
        parts = [Part(fund, amount_minor) for fund, amount_minor in allocations]
        if parts:
            fields["fund"], fields["amount_minor"] = parts[0].fund, sum(part.amount_minor for part in parts)
        if not through_services:
            donation = super()._create(model_class, *args, **fields)
            record_parts(donation, parts)
            return donation
        status, refunded_minor = fields.pop("status"), fields.pop("refunded_minor", 0)
        assert status in ("succeeded", "partially_refunded", "refunded"), f"{status} is not reached by paying"
        fields.pop("succeeded_at")
        pending = super()._create(model_class, *args, status="pending", **fields)
        record_parts(pending, parts)
        return pay_through_services(pending, refunded_minor=refunded_minor)


def pay_through_services(donation, *, refunded_minor: int = 0):
    """Mark a gift paid, then refunded by `refunded_minor` (Stripe's
    cumulative figure), with the services the app itself uses, so that the
    totals and receipts follow. The one place tests call the ledger's
    services directly."""
    from donations.services import gift_status

    with transaction.atomic():
        locked = gift_status.lock(donation.pk)
        gift_status.mark_paid(locked)
        gift_status.settle(locked, refunded_minor=refunded_minor)
    return locked


class GiftAidDeclarationFactory(factory.django.DjangoModelFactory):
    """A UK donor's Gift Aid declaration in HMRC's model wording, covering
    past and future gifts, to the default entity unless `entity` is given."""

    class Meta:
        model = "donations.GiftAidDeclaration"

    donor = factory.SubFactory(DonorFactory)
    entity = None
    charity_name = factory.LazyAttribute(lambda d: d.entity.name if d.entity else "Hopefund")
    first_name = factory.SelfAttribute("donor.first_name")
    last_name = factory.SelfAttribute("donor.last_name")
    house_name_or_number = "10"
    address = "10 Downing Street, London"
    postcode = "SW1A 2AA"
    wording = factory.LazyAttribute(lambda d: gift_aid_wording(amount="£50.00", charity=d.charity_name))
    wording_version = "hmrc-2015-multiple"
    scope = "past_and_future"
    declared_at = factory.LazyFunction(timezone.now)
    source = "api"
    donation = None
