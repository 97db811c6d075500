"""Every read of receipts, statements, impact updates and suppressions."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.models import ReceiptingEntity
from core.years import Year
from donations import selectors as donation_selectors
from donations.models import Donation
from donations.rules import split_pro_rata
from receipts.models import (
    CampaignBenefit,
    DedicationCard,
    EmailSuppression,
    GiftNotice,
    ImpactUpdate,
    MoveNotice,
    OutboundEmail,
    Receipt,
    ThankYouNote,
    UpdateDelivery,
    VoidNotice,
    YearEndStatement,
    token_hash,
)

# How many stalled emails one sweep hands back to the workers.
SWEEP_LIMIT = 500


def current_receipt_number() -> Coalesce:
    """For annotating a query over gifts: the number of the receipt that
    stands now (not void, and not replaced by a correction), or blank,
    worked out from the receipts. The source of truth for the copy on each
    gift (Donation.receipt_number) that receipts.services keeps."""
    return Coalesce(
        Subquery(
            Receipt.objects.filter(donation=OuterRef("pk"), replaced_by__isnull=True)
            .exclude(status=Receipt.Status.VOID)
            .order_by("-issued_at", "-pk")
            .values("number")[:1]
        ),
        Value(""),
    )


def gifts_with_stale_receipt_number() -> QuerySet:
    """Gifts whose copy of their standing receipt's number differs from
    the receipts (one query): empty unless something wrote receipts around
    receipts.services. Annotated with `standing`, the right number."""
    return (
        Donation.objects.annotate(standing=current_receipt_number())
        .exclude(receipt_number=F("standing"))
        .order_by("pk")
    )


def receipt_with_gift(receipt_id: int) -> Receipt:
    """A receipt with its gift's monthly plan, if any: its email is drawn
    from its record, and a monthly receipt links to the plan (one query)."""
    return Receipt.objects.select_related("donation__recurring_plan").get(pk=receipt_id)


def receipt_by_token(token: str) -> Receipt | None:
    """The receipt behind a donor's download link: found by the token's
    hash, the only thing stored of it (one query)."""
    return Receipt.objects.filter(pdf_token_hash=token_hash(token)).first()


def receipts_of_donation(donation_id: int) -> list[Receipt]:
    """Oldest first: the last one is the head of the correction chain."""
    return list(Receipt.objects.filter(donation_id=donation_id).order_by("issued_at", "pk"))


@dataclass(frozen=True)
class Benefit:
    """Goods or services a giver received in return for a gift, as its
    receipt states them (Receipt.benefit_*)."""

    description: str = ""
    value_minor: int = 0


NOTHING_RECEIVED = Benefit()


def benefits_received(donations: list[Donation]) -> dict[int, Benefit]:
    """What the giver of each of `donations` received in return, by gift:
    the benefit recorded on the gift itself if any, else its campaign's if
    the gift qualifies (CampaignBenefit.is_received_with), else nothing.
    One query for the campaigns' benefits, and one more only when a
    campaign's benefit may go with the first gift of a monthly plan."""
    campaign_ids = {donation.campaign_id for donation in donations if not donation.benefit_description}
    by_campaign = {
        benefit.campaign_id: benefit for benefit in CampaignBenefit.objects.filter(campaign_id__in=campaign_ids)
    }
    plan_ids = {
        donation.recurring_plan_id
        for donation in donations
        if donation.recurring_plan_id
        and donation.campaign_id in by_campaign
        and by_campaign[donation.campaign_id].applies_to == CampaignBenefit.Applies.ONE_TIME_AND_FIRST_MONTHLY
    }
    first_of_plans = _first_gifts_of_plans(plan_ids) if plan_ids else set()
    received = {}
    for donation in donations:
        campaign_benefit = by_campaign.get(donation.campaign_id)
        if donation.benefit_description:
            received[donation.pk] = Benefit(donation.benefit_description, donation.benefit_value_minor)
        elif campaign_benefit and campaign_benefit.is_received_with(
            donation, first_of_plan=donation.pk in first_of_plans
        ):
            received[donation.pk] = Benefit(campaign_benefit.description, campaign_benefit.value_minor)
        else:
            received[donation.pk] = NOTHING_RECEIVED
    return received


def _first_gifts_of_plans(plan_ids: set[int]) -> set[int]:
    """The ids of these monthly plans' first gifts: each plan's oldest (its
    later gifts are renewals, one per invoice)."""
    oldest = Donation.objects.filter(recurring_plan_id=OuterRef("recurring_plan_id")).order_by("created_at", "pk")
    return set(
        Donation.objects.filter(recurring_plan_id__in=plan_ids, pk=Subquery(oldest.values("pk")[:1])).values_list(
            "pk", flat=True
        )
    )


def gift_notice_with_gift(notice_id: int) -> GiftNotice:
    return GiftNotice.objects.select_related(
        "recipient", "donation__fundraiser__campaign", "donation__team__campaign"
    ).get(pk=notice_id)


def move_notice_with_gift(notice_id: int) -> MoveNotice:
    return MoveNotice.objects.select_related(
        "recipient",
        "move__donation",
        "move__to_fundraiser__campaign",
        "move__to_team__campaign",
    ).get(pk=notice_id)


def thank_you_note_with_gift(note_id: int) -> ThankYouNote:
    return ThankYouNote.objects.select_related("donation__donor").get(pk=note_id)


def thanked_on(donation_ids) -> dict[int, datetime]:
    """When each of these gifts (by id) that has a thank-you note was
    thanked (one query). Whether the note reached the donor is not said:
    that would tell the sender something of the donor's address."""
    rows = ThankYouNote.objects.filter(donation_id__in=list(donation_ids)).values_list("donation_id", "created_at")
    return dict(rows)


def dedication_card_with_gift(card_id: int) -> DedicationCard:
    return DedicationCard.objects.select_related("donation__campaign").get(pk=card_id)


def void_notice_with_receipt(notice_id: int) -> VoidNotice:
    return VoidNotice.objects.select_related("receipt__donation").get(pk=notice_id)


# --- Year-end statements ---------------------------------------------------


def receipting_entities() -> list[ReceiptingEntity]:
    """Every entity that sends statements: the default one (unsaved, of
    campaigns naming none) first, then each saved one (one query)."""
    return [ReceiptingEntity.default(), *ReceiptingEntity.objects.order_by("pk")]


def donors_due_a_statement(period: Year, *, entity_id: int | None = None) -> list[int]:
    """Donors due a statement from receipting entity `entity_id` (None:
    the default one) for `period`, for the gifts they gave as themselves."""
    start, end = period.bounds(timezone.get_current_timezone())
    return donation_selectors.donor_ids_with_gifts_between(start=start, end=end, entity_id=entity_id)


def organizations_due_a_statement(period: Year, *, entity_id: int | None = None) -> dict[int, int]:
    """Organisations due a statement from receipting entity `entity_id`
    for `period`, each with its contact's donor id."""
    start, end = period.bounds(timezone.get_current_timezone())
    return donation_selectors.organization_contacts_with_gifts_between(start=start, end=end, entity_id=entity_id)


def statement_by_id(statement_id: int) -> YearEndStatement:
    return YearEndStatement.objects.get(pk=statement_id)


def frozen_statements_covering(donation: Donation) -> list[int]:
    """The statements that list `donation` and have said so already (their
    record is frozen: sent, or being sent), at the head of their chain of
    corrections; a statement not yet frozen will say what the gift is when
    it is (two queries: the gift's campaign, for its entity, and these)."""
    if donation.succeeded_at is None:
        return []
    entity = donation.campaign.entity
    period = Year.containing(timezone.localtime(donation.succeeded_at).date(), entity.statement_year_start)
    giver = (
        {"organization_id": donation.organization_id}
        if donation.organization_id
        else {"donor_id": donation.donor_id, "organization": None}
    )
    return list(
        YearEndStatement.objects.filter(**giver, entity_id=entity.pk, period=period.label, replaced_by__isnull=True)
        .exclude(record={})
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class StatementLine:
    """A gift on a statement, or one part of a split gift (`part` says which)."""

    date: datetime
    campaign: str
    fund: str
    currency: str
    charged_minor: int
    refunded_minor: int
    net_minor: int
    receipt_number: str | None
    # "part 1 of 2 of one gift" for a split gift's part, "" for a gift not split.
    part: str = ""
    # The value of goods or services the gift's standing receipt says the
    # donor received (a split gift's shared between its parts): not deductible.
    benefit_minor: int = 0

    @property
    def deductible_minor(self) -> int:
        return max(self.net_minor - self.benefit_minor, 0)


@dataclass(frozen=True)
class StatementTotal:
    currency: str
    net_minor: int
    # What of it is deductible, where a receipt stated a benefit; else None.
    deductible_minor: int | None = None


def statement_lines(
    *, donor_id: int, period: Year, organization_id: int | None = None, entity_id: int | None = None
) -> tuple[list, list[StatementLine], list[StatementTotal]]:
    """The donor's gifts of `period` given as themselves, or with
    `organization_id` the gifts given as that organisation, to the
    campaigns of receipting entity `entity_id` (None: the default one) (oldest first),
    each as a statement line as it stands now (a split gift as a line per
    part, in the donor's order, each with its share of the charge, of
    refunds and of its receipt's benefit, so that its lines add up to the
    gift), and the total per currency (three queries)."""
    start, end = period.bounds(timezone.get_current_timezone())
    gifts = donation_selectors.gifts_of_donor_between(
        donor_id=donor_id, start=start, end=end, organization_id=organization_id, entity_id=entity_id
    )
    # The receipt that stands for each gift: the last issued not void.
    standing = {
        donation_id: (number, benefit)
        for donation_id, number, benefit in Receipt.objects.filter(donation__in=gifts)
        .exclude(status=Receipt.Status.VOID)
        .order_by("issued_at")
        .values_list("donation_id", "number", "benefit_value_minor")
    }
    parts_of_gift = donation_selectors.parts_of_gifts([gift.pk for gift in gifts])
    lines = []
    for gift in gifts:
        number, benefit = standing.get(gift.pk, (None, 0))
        line = {
            "date": timezone.localtime(gift.succeeded_at).date(),
            "campaign": gift.campaign.title,
            "currency": gift.currency,
            "receipt_number": number,
        }
        parts = parts_of_gift.get(gift.pk, [])
        if len(parts) < 2:
            lines.append(
                StatementLine(
                    **line,
                    fund=gift.fund.name,
                    charged_minor=gift.charged_minor,
                    refunded_minor=gift.refunded_minor,
                    net_minor=gift.kept_minor,
                    benefit_minor=benefit,
                )
            )
            continue
        benefits = split_pro_rata(benefit, [part.charged_minor for part in parts]) if benefit else [0] * len(parts)
        lines += [
            StatementLine(
                **line,
                fund=part.fund.name,
                charged_minor=part.charged_minor,
                refunded_minor=part.refunded_minor,
                net_minor=part.kept_minor,
                part=f"part {index} of {len(parts)} of one gift",
                benefit_minor=part_benefit,
            )
            for index, (part, part_benefit) in enumerate(zip(parts, benefits, strict=True), start=1)
        ]
    return gifts, lines, _totals(lines)


def _totals(lines: list[StatementLine]) -> list[StatementTotal]:
    totals = []
    for currency in sorted({line.currency for line in lines}):
        of_currency = [line for line in lines if line.currency == currency]
        with_benefit = any(line.benefit_minor for line in of_currency)
        totals.append(
            StatementTotal(
                currency,
                sum(line.net_minor for line in of_currency),
                sum(line.deductible_minor for line in of_currency) if with_benefit else None,
            )
        )
    return totals


# --- Impact updates and suppression ---------------------------------------


def is_suppressed(email: str) -> bool:
    return EmailSuppression.objects.filter(email=email.lower()).exists()


def is_undeliverable(email: str) -> bool:
    """Suppressed for a reason that stops even replies to the donor's own
    gift: it bounced, was marked as spam or was refused by the provider.
    Unsubscribing from impact updates is not one of them."""
    return (
        EmailSuppression.objects.filter(email=email.lower())
        .exclude(reason=EmailSuppression.Reason.UNSUBSCRIBED)
        .exists()
    )


def suppression_reason(email: str) -> str | None:
    """Why the address gets no impact updates (EmailSuppression.Reason), or None."""
    return EmailSuppression.objects.filter(email=email.lower()).values_list("reason", flat=True).first()


def suppressed_among(emails: list[str]) -> set[str]:
    return set(EmailSuppression.objects.filter(email__in=[e.lower() for e in emails]).values_list("email", flat=True))


def update_delivery_with_update(delivery_id: int) -> UpdateDelivery:
    return UpdateDelivery.objects.select_related("update", "donor").get(pk=delivery_id)


def delivery_by_unsubscribe_token(token: str) -> UpdateDelivery | None:
    return UpdateDelivery.objects.select_related("donor").filter(unsubscribe_token=token).first()


def update_audience_page(update: ImpactUpdate, *, after_donor_id: int, limit: int) -> list[tuple[int, str]]:
    return donation_selectors.donors_who_gave(
        fund_id=update.fund_id if update.audience == ImpactUpdate.Audience.FUND else None,
        campaign_id=update.campaign_id if update.audience == ImpactUpdate.Audience.CAMPAIGN else None,
        after_donor_id=after_donor_id,
        limit=limit,
    )


def delivery_counts(update_id: int) -> dict[str, int]:
    """How many of an update's deliveries are in each status (one query)."""
    return dict(
        UpdateDelivery.objects.filter(update_id=update_id).values_list("status").annotate(n=Count("pk")).order_by()
    )


def failed_email_counts() -> list[tuple[type[OutboundEmail], int]]:
    """How many receipts, void notices and year-end statements (the emails
    finance staff look after) are `failed`: refused by the provider, or
    not sent through every retry (one query each)."""
    return [
        (model, model.objects.filter(status=OutboundEmail.Status.FAILED).count())
        for model in (Receipt, VoidNotice, YearEndStatement)
    ]


# --- The sweep --------------------------------------------------------------


def stalled_emails(
    model: type[OutboundEmail],
    *,
    created_field: str,
    never_tried_for: timedelta,
    idle_for: timedelta,
    lease: timedelta,
) -> list[int]:
    """Emails whose task was lost: pending and never tried for a while (the
    enqueue failed), pending and not tried again for longer than any retry
    waits (the retry was lost), or stuck in `sending` past the lease (the
    worker died mid-send)."""
    now = timezone.now()
    pending = OutboundEmail.Status.PENDING
    return list(
        model.objects.filter(
            Q(status=pending, claimed_at__isnull=True, **{f"{created_field}__lt": now - never_tried_for})
            | Q(status=pending, claimed_at__lt=now - idle_for)
            | Q(status=OutboundEmail.Status.SENDING, claimed_at__lt=now - lease)
            | Q(status=OutboundEmail.Status.SENDING, claimed_at__isnull=True)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
