"""Reads for a Gift Aid claim (finance.services.gift_aid_claims): the gifts
HMRC lets a UK charity claim on, and the claimed gifts to give back."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from campaigns.models import ReceiptingEntity
from donations import gift_aid
from donations import selectors as donation_selectors
from donations.models import Dispute, Donation, GiftAidDeclaration
from finance.models import GiftAidClaimLine
from receipts import selectors as receipt_selectors


@dataclass(frozen=True)
class ClaimGift:
    """A gift on a claim's schedule (or its adjustments), with the
    declaration that covers it: the name and address HMRC is given."""

    donation: Donation
    declaration: GiftAidDeclaration
    amount_minor: int
    # For an adjustment: the claim that claimed it.
    claim_id: int | None = None


def _gift_aid_entities() -> Q:
    """Gifts to campaigns whose entity claims UK Gift Aid (a campaign naming
    no entity has the default one, which the ORG_* settings make UK or not)."""
    uk = Q(campaign__receipting_entity__country=ReceiptingEntity.Country.GB)
    if settings.ORG_COUNTRY == ReceiptingEntity.Country.GB:
        uk |= Q(campaign__receipting_entity__isnull=True)
    return uk


def _day_bounds(since: date | None, until: date | None) -> Q:
    """Gifts paid from the start of `since` to the end of `until`, in the
    charity's time zone (the Donation date the schedule states)."""
    bounds = Q()
    zone = timezone.get_current_timezone()
    if since:
        bounds &= Q(succeeded_at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until:
        bounds &= Q(succeeded_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone))
    return bounds


def claimable_gifts(*, since: date | None, until: date | None) -> list[ClaimGift]:
    """Every gift paid in the days asked for that a claim may include, oldest
    first: paid in pounds to a UK entity's campaign, still whole (never
    refunded, in part or in full, and never disputed), a person's own gift
    (not an organisation's), covered by a declaration on the day it was
    paid, with no benefit to the donor over HMRC's limits, and never claimed
    before."""
    gifts = (
        Donation.objects.filter(_gift_aid_entities(), _day_bounds(since, until))
        .filter(status=Donation.Status.SUCCEEDED, refunded_minor=0, currency="gbp", organization__isnull=True)
        .exclude(Exists(Dispute.objects.filter(donation=OuterRef("pk"))))
        .exclude(Exists(GiftAidClaimLine.objects.filter(donation=OuterRef("pk"), kind=GiftAidClaimLine.Kind.CLAIMED)))
    )
    gifts = list(donation_selectors.covered_by_gift_aid(gifts).order_by("succeeded_at", "pk"))
    # What each giver received in return, as their receipt states it: the
    # gift's own benefit, or the campaign's where the gift qualifies for it.
    benefits = receipt_selectors.benefits_received(gifts)
    declarations = GiftAidDeclaration.objects.in_bulk({gift.gift_aid_declaration_id for gift in gifts})
    return [
        ClaimGift(
            donation=gift, declaration=declarations[gift.gift_aid_declaration_id], amount_minor=gift.charged_minor
        )
        for gift in gifts
        if benefits[gift.pk].value_minor <= gift_aid.benefit_limit_minor(gift.charged_minor)
    ]


def overclaimed_gifts() -> list[ClaimGift]:
    """The gifts an earlier claim claimed that were refunded (in part or in
    full) or taken back in a lost dispute since, and not yet given back,
    oldest claim first: each is given back whole, as no part of it is a
    gift HMRC would have allowed a claim on."""
    lines = (
        GiftAidClaimLine.objects.filter(kind=GiftAidClaimLine.Kind.CLAIMED)
        .filter(
            Q(donation__refunded_minor__gt=0)
            | Q(donation__status__in=[Donation.Status.REFUNDED, Donation.Status.DISPUTE_LOST])
        )
        .exclude(
            Exists(
                GiftAidClaimLine.objects.filter(donation=OuterRef("donation"), kind=GiftAidClaimLine.Kind.ADJUSTMENT)
            )
        )
        .select_related("donation", "declaration")
        .order_by("claim_id", "pk")
    )
    return [
        ClaimGift(
            donation=line.donation, declaration=line.declaration, amount_minor=line.amount_minor, claim_id=line.claim_id
        )
        for line in lines
    ]
