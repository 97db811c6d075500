"""Every read of the donation ledger and its counters."""

import calendar
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.paginator import Page, Paginator
from django.db.models import BigIntegerField, Case, Count, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from donations import gift_aid
from donations.models import (
    KEPT_MINOR,
    Allocation,
    Donation,
    Donor,
    GiftAidDeclaration,
    GiftMove,
    GivingTotal,
    PlanAllocation,
    PlanChange,
    RecurringPlan,
    StripeEvent,
)


@dataclass(frozen=True)
class Tally:
    raised_minor: int = 0
    gift_count: int = 0
    donor_count: int = 0


# (campaign_id, team_id, fundraiser_id); team and fundraiser None for the
# campaign's own total.
ScopeKey = tuple[int, int | None, int | None]


def donation_by_public_id(public_id: str) -> Donation | None:
    try:
        parsed = uuid.UUID(str(public_id))
    except ValueError:
        return None
    # With whether a Gift Aid declaration covers it, in the same query.
    return with_gift_aid(Donation.objects.select_related("fund").filter(public_id=parsed)).first()


def parts_of(donation: Donation) -> list[Allocation]:
    """The gift's parts in the donor's order, with their funds (one query)."""
    return list(donation.allocations.select_related("fund").order_by("position"))


@dataclass(frozen=True)
class PartFigures:
    """One part of a gift in money, as finance reads it: what it was
    charged (its amount and its share of the fee the donor covered), its
    share of Stripe's fee, what was refunded of it, and what it nets."""

    fund_name: str
    amount_minor: int
    fee_covered_minor: int
    stripe_fee_minor: int
    refunded_minor: int

    @property
    def gross_minor(self) -> int:
        return self.amount_minor + self.fee_covered_minor

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.refunded_minor - self.stripe_fee_minor


def part_figures(donation: Donation) -> list[PartFigures]:
    """The gift's parts in the donor's order with their money (one query);
    a share of Stripe's fee not known yet counts as none."""
    return [
        PartFigures(
            part.fund.name, part.amount_minor, part.fee_covered_minor, part.stripe_fee_minor or 0, part.refunded_minor
        )
        for part in parts_of(donation)
    ]


GIFT_MOVES_PAGE_SIZE = 50


def gift_moves_page(page_number) -> Page:
    """Finance's moves of gifts, newest first, each with its gift and where
    it counted before and after (a query for the page, one for the count)."""
    moves = GiftMove.objects.select_related(
        "donation", "from_team", "to_team", "from_fundraiser", "to_fundraiser", "from_fund", "to_fund"
    ).order_by("-moved_at", "-pk")
    return Paginator(moves, GIFT_MOVES_PAGE_SIZE).get_page(page_number)


def parts_of_plan(plan: RecurringPlan) -> list[PlanAllocation]:
    """A split monthly gift's parts in the donor's order, with their funds;
    [] for a plan not split (one query)."""
    return list(plan.allocations.select_related("fund").order_by("position"))


def parts_of_gifts(donation_ids: list[int]) -> dict[int, list[Allocation]]:
    """parts_of for many gifts, by gift id (one query)."""
    parts: dict[int, list[Allocation]] = {}
    for part in Allocation.objects.filter(donation_id__in=donation_ids).select_related("fund").order_by("position"):
        parts.setdefault(part.donation_id, []).append(part)
    return parts


def counter_tallies(*, campaign_id: int | None = None) -> dict[ScopeKey, Tally]:
    """What the counter rows say, for one campaign or all (one query)."""
    rows = GivingTotal.objects.all()
    if campaign_id is not None:
        rows = rows.filter(campaign_id=campaign_id)
    return {
        (row.campaign_id, row.team_id, row.fundraiser_id): Tally(row.raised_minor, row.gift_count, row.donor_count)
        for row in rows
    }


def ledger_tallies(*, campaign_id: int | None = None) -> dict[ScopeKey, Tally]:
    """What the ledger says the counters should be (three grouped queries)."""
    counted = Donation.objects.counted()
    if campaign_id is not None:
        counted = counted.filter(campaign_id=campaign_id)
    aggregates = {
        "raised": Sum(KEPT_MINOR),
        "gifts": Count("id"),
        "donors": Count("donor_id", distinct=True),
    }
    tallies: dict[ScopeKey, Tally] = {}
    for group_by, key in (
        (("campaign_id",), lambda r: (r["campaign_id"], None, None)),
        (("campaign_id", "team_id"), lambda r: (r["campaign_id"], r["team_id"], None)),
        (("campaign_id", "fundraiser_id"), lambda r: (r["campaign_id"], None, r["fundraiser_id"])),
    ):
        rows = counted
        if len(group_by) > 1:
            rows = rows.filter(**{f"{group_by[1]}__isnull": False})
        for row in rows.values(*group_by).annotate(**aggregates).order_by():
            tallies[key(row)] = Tally(row["raised"], row["gifts"], row["donors"])
    return tallies


def counters_out_of_step(*, campaign_id: int | None = None) -> dict[ScopeKey, tuple[Tally, Tally]]:
    """Scopes whose counters differ from the ledger: key -> (counter, ledger)."""
    counters = counter_tallies(campaign_id=campaign_id)
    ledger = ledger_tallies(campaign_id=campaign_id)
    return {
        key: (counters.get(key, Tally()), ledger.get(key, Tally()))
        for key in counters.keys() | ledger.keys()
        if counters.get(key, Tally()) != ledger.get(key, Tally())
    }


@dataclass(frozen=True)
class PartsOutOfStep:
    """A gift whose parts do not add up to it: (amount, fee covered,
    refunded, Stripe's fee) as the gift says and as its parts add up to
    (a Stripe fee not known yet as -1)."""

    public_id: uuid.UUID
    gift: tuple[int, int, int, int]
    parts: tuple[int, int, int, int]


def gifts_with_parts_out_of_step(*, campaign_id: int | None = None) -> list[PartsOutOfStep]:
    """Gifts whose parts' amounts, fee covers, refunds or Stripe fee
    shares do not add up to the gift's own, or that have no part at all
    (one query)."""
    gifts = Donation.objects.all() if campaign_id is None else Donation.objects.filter(campaign_id=campaign_id)
    unknown_share = Allocation.objects.filter(donation=OuterRef("pk"), stripe_fee_minor__isnull=True)
    rows = (
        gifts.annotate(
            gift_stripe_fee=Coalesce("stripe_fee_minor", -1, output_field=BigIntegerField()),
            parts_amount=Coalesce(Sum("allocations__amount_minor"), 0),
            parts_fee=Coalesce(Sum("allocations__fee_covered_minor"), 0),
            parts_refunded=Coalesce(Sum("allocations__refunded_minor"), 0),
            # Not known on any part while it is not known on the gift.
            parts_stripe_fee=Case(
                When(Exists(unknown_share), then=-1),
                default=Coalesce(Sum("allocations__stripe_fee_minor"), -1),
                output_field=BigIntegerField(),
            ),
        )
        .exclude(
            parts_amount=F("amount_minor"),
            parts_fee=F("fee_covered_minor"),
            parts_refunded=F("refunded_minor"),
            parts_stripe_fee=F("gift_stripe_fee"),
        )
        .order_by("pk")
        .values_list(
            "public_id",
            "amount_minor",
            "fee_covered_minor",
            "refunded_minor",
            "gift_stripe_fee",
            "parts_amount",
            "parts_fee",
            "parts_refunded",
            "parts_stripe_fee",
        )
    )
    return [PartsOutOfStep(row[0], tuple(row[1:5]), tuple(row[5:9])) for row in rows]


def stripe_events_to_redrive(*, older_than: timedelta, max_attempts: int) -> list[int]:
    """Events received but never processed (their task was lost) or failed
    with attempts left."""
    cutoff = timezone.now() - older_than
    return list(
        StripeEvent.objects.filter(
            Q(status=StripeEvent.Status.RECEIVED) | Q(status=StripeEvent.Status.FAILED),
            received_at__lt=cutoff,
            attempts__lt=max_attempts,
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:500]
    )


# --- Monthly plans: the donor's signed link -------------------------------

PLAN_LINK_SALT = "hopefund.monthly-plan"


@dataclass(frozen=True)
class PlanLink:
    """A link to a donor's plan whose signature holds: expired once older
    than MONTHLY_LINK_MAX_AGE_DAYS (the page then offers to email a fresh
    one)."""

    plan: RecurringPlan
    expired: bool


def _plan_link_signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=PLAN_LINK_SALT)


def plan_management_path(plan: RecurringPlan) -> str:
    """A path that lets the donor change or stop their monthly gift without
    an account. It names the plan and its link version, carries the time it
    was made and is signed with SECRET_KEY: make it when the email or page
    that carries it is sent, never store it."""
    token = _plan_link_signer().sign_object([str(plan.public_id), plan.link_version])
    return reverse("donations:manage-plan", kwargs={"token": token})


def plan_management_url(plan: RecurringPlan) -> str:
    return settings.SITE_URL + plan_management_path(plan)


def read_plan_link(token: str) -> PlanLink | None:
    """The plan a link opens, or None for a forged link or one made before
    the plan's links were revoked."""
    signer = _plan_link_signer()
    try:
        payload = signer.unsign_object(token, max_age=timedelta(days=settings.MONTHLY_LINK_MAX_AGE_DAYS))
        expired = False
    except signing.SignatureExpired:
        payload = signer.unsign_object(token)
        expired = True
    except signing.BadSignature:
        return None
    # Links sent before links had versions signed the plan's id alone: they
    # count as version 0, so they expire and can be revoked like the rest.
    public_id, version = (payload, 0) if isinstance(payload, str) else payload
    plan = (
        RecurringPlan.objects.select_related("campaign", "fund", "donor")
        .filter(public_id=uuid.UUID(public_id), link_version=version)
        .first()
    )
    return PlanLink(plan, expired) if plan else None


def plan_starting_amount_minor(plan: RecurringPlan) -> int:
    """The monthly amount the donor chose when they gave their card: the
    plan's first gift (fee cover excluded)."""
    first = plan.donations.order_by("created_at").values_list("amount_minor", flat=True).first()
    return first if first is not None else plan.amount_minor


def stale_in_flight_gifts(*, older_than: timedelta) -> list[int]:
    """Gifts still pending or awaiting 3-D Secure long after they started:
    their webhook may have been lost."""
    return list(
        Donation.objects.filter(
            status__in=Donation.IN_FLIGHT_STATUSES,
            created_at__lt=timezone.now() - older_than,
            source=Donation.Source.ONLINE,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )


# --- What the beat sweeps queue again (donations.services.sweeps) ---
# Each answers at most `limit` ids, oldest first, of work done between
# `within` and `older_than` ago: old enough that its own task (with its
# retries) has had its chance, recent enough to be worth doing.


def gifts_without_fee(*, older_than: timedelta, within: timedelta, limit: int) -> list[int]:
    """Online gifts paid whose Stripe fee was never recorded."""
    now = timezone.now()
    return list(
        Donation.objects.filter(
            source=Donation.Source.ONLINE,
            status__in=Donation.PAID_STATUSES,
            stripe_fee_minor__isnull=True,
            succeeded_at__lt=now - older_than,
            succeeded_at__gte=now - within,
        )
        .order_by("succeeded_at")
        .values_list("pk", flat=True)[:limit]
    )


def plan_changes_not_told(*, older_than: timedelta, within: timedelta, limit: int) -> list[int]:
    """Changes donors made to their monthly gifts that they were never emailed."""
    now = timezone.now()
    return list(
        PlanChange.objects.filter(notice_sent_at__isnull=True, made_at__lt=now - older_than, made_at__gte=now - within)
        .order_by("made_at")
        .values_list("pk", flat=True)[:limit]
    )


def fresh_links_not_sent(*, older_than: timedelta, within: timedelta, limit: int) -> list[int]:
    """Plans whose donor asked for a fresh link that was never emailed."""
    now = timezone.now()
    return list(
        RecurringPlan.objects.filter(
            fresh_link_requested_at__lt=now - older_than, fresh_link_requested_at__gte=now - within
        )
        .order_by("fresh_link_requested_at")
        .values_list("pk", flat=True)[:limit]
    )


def renewal_failures_not_told(*, failure_code: str, older_than: timedelta, within: timedelta, limit: int) -> list[int]:
    """Failed renewals whose donor was never told: the newest gift of its
    plan (a donor is told of the latest failure, not of each one before
    it), failed with `failure_code`, and not the invoice the plan last
    sent a notice for."""
    now = timezone.now()
    newer_gift = Donation.objects.filter(
        recurring_plan_id=OuterRef("recurring_plan_id"), created_at__gt=OuterRef("created_at")
    )
    return list(
        Donation.objects.filter(
            status=Donation.Status.FAILED,
            failure_code=failure_code,
            recurring_plan__isnull=False,
            updated_at__lt=now - older_than,
            updated_at__gte=now - within,
        )
        .exclude(invoice_id=F("recurring_plan__failure_notice_invoice_id"))
        .exclude(Exists(newer_gift))
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )


# --- Reads for captains and public gift walls ---
ANONYMOUS = "Anonymous"


def counter_tally(*, campaign_id: int, team_id: int | None = None, fundraiser_id: int | None = None) -> Tally:
    """One scope's counters (one query); zero before its first gift."""
    row = (
        GivingTotal.objects.filter(campaign_id=campaign_id, team_id=team_id, fundraiser_id=fundraiser_id)
        .values("raised_minor", "gift_count", "donor_count")
        .first()
    )
    return Tally(row["raised_minor"], row["gift_count"], row["donor_count"]) if row else Tally()


def with_counter_totals(pages, *, scope: str):
    """A Team ("team") or Fundraiser ("fundraiser") queryset annotated with
    its counters as raised_minor, gift_count and donor_count (zero before
    the first gift), so pages can be ranked and paginated in the database."""
    if scope not in ("team", "fundraiser"):
        raise ValueError(f"scope must be 'team' or 'fundraiser', not {scope!r}")
    # One LEFT JOIN to the page's own counter (at most one per team or
    # fundraiser: GivingTotal's unique constraints), not a subquery per
    # figure per row.
    return pages.annotate(
        **{
            name: Coalesce(F(f"giving_totals__{name}"), Value(0), output_field=BigIntegerField())
            for name in ("raised_minor", "gift_count", "donor_count")
        }
    )


@dataclass(frozen=True)
class GiftLine:
    """A counted gift as a page or a captain may see it: the name given
    with that gift (never what a later gift gave), never the donor's email,
    and no name at all when the donor gave anonymously."""

    donor_name: str
    amount_minor: int
    currency: str
    message: str
    given_at: datetime
    # For a captain's or owner's actions on the gift (a thank-you note).
    # The ledger's own id, not the public one: that is the donor's key to
    # the gift's status, and theirs alone.
    gift_id: int | None = None


def _counted_gifts(*, campaign_id=None, team_id=None, fundraiser_id=None):
    scope = {"campaign_id": campaign_id, "team_id": team_id, "fundraiser_id": fundraiser_id}
    filters = {name: value for name, value in scope.items() if value is not None}
    if not filters:
        raise ValueError("Name a campaign, team or fundraiser.")
    return (
        Donation.objects.counted()
        .filter(**filters)
        .with_kept_minor()
        .order_by("-succeeded_at", "-pk")
        .values(
            "anonymous",
            "donor_first_name",
            "donor_last_name",
            "kept",
            "currency",
            "message",
            "succeeded_at",
            "pk",
        )
    )


def _gift_line(row: dict, *, full_name: bool) -> GiftLine:
    if row["anonymous"]:
        name = ANONYMOUS
    elif full_name:
        name = f"{row['donor_first_name']} {row['donor_last_name']}".strip()
    else:
        # Public walls show a first name and an initial, as most platforms do.
        initial = row["donor_last_name"][:1]
        name = f"{row['donor_first_name']} {initial}." if initial else row["donor_first_name"]
    return GiftLine(
        donor_name=name,
        # What counts towards the totals, so a wall never disagrees with them.
        amount_minor=row["kept"],
        currency=row["currency"],
        message=row["message"],
        given_at=row["succeeded_at"],
        gift_id=row["pk"],
    )


def recent_gifts(
    *, campaign_id: int | None = None, team_id: int | None = None, fundraiser_id: int | None = None, limit: int = 10
) -> list[GiftLine]:
    """The newest counted gifts to a campaign, team or fundraiser, for its
    public wall (one query)."""
    rows = _counted_gifts(campaign_id=campaign_id, team_id=team_id, fundraiser_id=fundraiser_id)[:limit]
    return [_gift_line(row, full_name=False) for row in rows]


def gifts_page(
    *, team_id: int | None = None, fundraiser_id: int | None = None, page_number, per_page: int = 25
) -> Page:
    """One page of a team's or fundraiser's counted gifts, newest first, for
    its captains or owner: names unless anonymous, never emails (two
    queries)."""
    page = Paginator(_counted_gifts(team_id=team_id, fundraiser_id=fundraiser_id), per_page).get_page(page_number)
    page.object_list = [_gift_line(row, full_name=True) for row in page.object_list]
    return page


def counted_gift_on_page(gift_id: int, *, team_id: int | None = None, fundraiser_id: int | None = None):
    """A counted gift to this team (its own or one of its members' pages)
    or this fundraiser, by its id (GiftLine.gift_id), with its donor; None if it is not
    one of the gifts that page's dashboard lists (one query)."""
    if (team_id is None) == (fundraiser_id is None):
        raise ValueError("Name a team or a fundraiser.")
    scope = {"team_id": team_id} if team_id is not None else {"fundraiser_id": fundraiser_id}
    return (
        Donation.objects.counted()
        .filter(pk=gift_id, **scope)
        .select_related("donor", "team__campaign", "fundraiser__campaign")
        .first()
    )


# --- Reads for receipts, statements and impact updates ---


def _received_by(entity_id: int | None) -> Q:
    """Gifts to the campaigns of receipting entity `entity_id` (None: the
    default entity, that of campaigns naming none)."""
    if entity_id is None:
        return Q(campaign__receipting_entity__isnull=True)
    return Q(campaign__receipting_entity_id=entity_id)


def donor_ids_with_gifts_between(*, start, end, entity_id: int | None = None) -> list[int]:
    """Donors with a counted gift given as themselves (not as an
    organisation) to a campaign of receipting entity `entity_id` (None:
    the default one) that succeeded in [start, end), in id order (one query)."""
    return list(
        Donation.objects.counted()
        .filter(_received_by(entity_id), succeeded_at__gte=start, succeeded_at__lt=end, organization__isnull=True)
        .order_by("donor_id")
        .values_list("donor_id", flat=True)
        .distinct()
    )


def organization_contacts_with_gifts_between(*, start, end, entity_id: int | None = None) -> dict[int, int]:
    """Organisations given as by a counted gift to a campaign of receipting
    entity `entity_id` (None: the default one) that succeeded in
    [start, end), each with the donor of the latest such gift (its
    contact), in id order (one query: an organisation's gifts are few)."""
    latest: dict[int, int] = {}
    for organization_id, donor_id in (
        Donation.objects.counted()
        .filter(_received_by(entity_id), succeeded_at__gte=start, succeeded_at__lt=end, organization__isnull=False)
        .order_by("succeeded_at", "pk")
        .values_list("organization_id", "donor_id")
    ):
        latest[organization_id] = donor_id
    return dict(sorted(latest.items()))


def gifts_of_donor_between(
    *, donor_id: int, start, end, organization_id: int | None = None, entity_id: int | None = None
) -> list[Donation]:
    """A donor's gifts given as themselves, or, with `organization_id`, every
    gift given as that organisation (whoever gave it), to the campaigns of
    receipting entity `entity_id` (None: the default one), that succeeded in
    [start, end), refunded ones included (a statement lists them with
    nothing left to deduct), oldest first, with donor, organisation, fund
    and campaign (one query)."""
    giver = {"organization_id": organization_id} if organization_id else {"donor_id": donor_id, "organization": None}
    return list(
        Donation.objects.filter(
            _received_by(entity_id),
            **giver,
            status__in=Donation.REPORTED_STATUSES,
            succeeded_at__gte=start,
            succeeded_at__lt=end,
        )
        .select_related("donor", "organization", "fund", "campaign")
        .order_by("succeeded_at", "pk")
    )


def donors_who_gave(
    *, fund_id: int | None = None, campaign_id: int | None = None, after_donor_id: int = 0, limit: int
) -> list[tuple[int, str]]:
    """(id, email) of donors who want impact updates and have a counted
    gift (to the fund or campaign, if given), the next `limit` after
    `after_donor_id` in id order: one page of an audience (one query).
    A gift counts for a fund by its parts: a split gift for each fund one
    of its parts gives to, unless that part was refunded in full.
    A donor who chose funds in their portal (Donor.update_funds) is in the
    audience of an update about one of those funds only, never of a
    general or a campaign's update; one who chose none, of every update."""
    gifts = Donation.objects.counted().filter(donor_id=OuterRef("pk"))
    chose = Donor.update_funds.through.objects.filter(donor_id=OuterRef("pk"))
    about_this = ~Exists(chose)
    if fund_id is not None:
        about_this |= Exists(chose.filter(fund_id=fund_id))
    if fund_id is not None:
        gifts = gifts.filter(
            allocations__fund_id=fund_id,
            allocations__refunded_minor__lt=F("allocations__amount_minor") + F("allocations__fee_covered_minor"),
        )
    if campaign_id is not None:
        gifts = gifts.filter(campaign_id=campaign_id)
    return list(
        Donor.objects.filter(Exists(gifts), about_this, wants_updates=True, pk__gt=after_donor_id)
        .order_by("pk")
        .values_list("pk", "email")[:limit]
    )


GIFT_AID_CANCEL_SALT = "hopefund.gift-aid-cancel"


def gift_aid_cancel_url(declaration: GiftAidDeclaration) -> str:
    """The donor's link to cancel `declaration`: its id signed with
    SECRET_KEY (nothing in it can be guessed or changed). Made for each
    email that carries it, never stored; once the declaration is cancelled
    the link only says so."""
    token = signing.dumps(str(declaration.public_id), salt=GIFT_AID_CANCEL_SALT)
    return settings.SITE_URL + reverse("donations:cancel-gift-aid", kwargs={"token": token})


def declaration_of_cancel_link(token: str) -> GiftAidDeclaration | None:
    """The declaration a cancel link names, or None for a forged one."""
    try:
        public_id = signing.loads(token, salt=GIFT_AID_CANCEL_SALT)
        public_id = uuid.UUID(public_id)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return GiftAidDeclaration.objects.select_related("donor").filter(public_id=public_id).first()


def _covering(*, donor_id, entity_id, gift_id, gift_date) -> Q:
    """Declarations covering a gift (its donor, the entity of its campaign,
    its id and its date: values or OuterRefs): by the gift's donor, to the
    entity of its campaign (no entity: the default one), not cancelled
    before the gift, and either made with the gift for it alone or covering
    gifts from four years before the declaration onwards."""
    return (
        Q(donor_id=donor_id, entity_key=entity_id)
        & (Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=gift_date))
        & (
            Q(scope=GiftAidDeclaration.Scope.THIS_GIFT, donation_id=gift_id)
            | Q(scope=GiftAidDeclaration.Scope.PAST_AND_FUTURE, declared_at__lte=gift_date + gift_aid.LOOKBACK)
        )
    )


def _declarations():
    return GiftAidDeclaration.objects.annotate(entity_key=Coalesce("entity_id", 0))


def gift_aid_declaration_for(donation: Donation) -> GiftAidDeclaration | None:
    """The declaration that makes `donation` Gift Aided, as of the day it
    was paid (or made, while it is not paid): the latest if several do."""
    condition = _covering(
        donor_id=donation.donor_id,
        entity_id=donation.campaign.receipting_entity_id or 0,
        gift_id=donation.pk,
        gift_date=donation.succeeded_at or donation.created_at,
    )
    return _declarations().filter(condition).order_by("-declared_at").first()


def with_gift_aid(gifts):
    """`gifts` (a Donation queryset), each with the id of the latest Gift
    Aid declaration covering it on the day it was paid (or made, if not
    paid) as `gift_aid_declaration_id`, None if none does."""
    gifts = gifts.annotate(
        gift_aid_entity=Coalesce("campaign__receipting_entity_id", 0),
        gift_aid_date=Coalesce("succeeded_at", "created_at"),
    )
    condition = _covering(
        donor_id=OuterRef("donor_id"),
        entity_id=OuterRef("gift_aid_entity"),
        gift_id=OuterRef("pk"),
        gift_date=OuterRef("gift_aid_date"),
    )
    latest = _declarations().filter(condition).order_by("-declared_at").values("pk")[:1]
    return gifts.annotate(gift_aid_declaration_id=Subquery(latest))


def covered_by_gift_aid(gifts):
    """`gifts` narrowed to those a Gift Aid declaration covers (with_gift_aid)."""
    return with_gift_aid(gifts).filter(gift_aid_declaration_id__isnull=False)


def next_charge_on(plan: RecurringPlan, *, now=None) -> date | None:
    """The day the plan's card is next charged: Stripe bills a month after
    month from the day the subscription started (its billing anchor), and
    while collection is paused voids those invoices, so a paused plan is
    next charged on the first such day after its pause ends. None for a
    stopped plan."""
    if plan.status == RecurringPlan.Status.CANCELED:
        return None
    after = max(now or timezone.now(), plan.paused_until or plan.created_at)
    anchor = plan.created_at
    months = max(0, (after.year - anchor.year) * 12 + after.month - anchor.month)
    while (charge_at := add_months(anchor, months)) <= after:
        months += 1
    return timezone.localtime(charge_at).date()


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later, on the month's last day when
    it is shorter (as Stripe's monthly billing anchor does)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def plans_whose_pause_ended(*, limit: int) -> list[int]:
    """Plans still marked paused after their pause's end (the oldest first)."""
    return list(
        RecurringPlan.objects.filter(paused_until__lte=timezone.now())
        .exclude(status=RecurringPlan.Status.CANCELED)
        .order_by("paused_until")
        .values_list("pk", flat=True)[:limit]
    )


def plan_of_donor(donor, public_id) -> RecurringPlan | None:
    """The donor's own plan with this public id, or None (anyone else's)."""
    return (
        RecurringPlan.objects.select_related("campaign", "fund", "donor")
        .filter(public_id=public_id, donor=donor)
        .first()
    )
