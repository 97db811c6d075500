"""A gift's parts (donations.models.Allocation), one per fund it gives to:
written with the gift, refunded with it, so that the parts always add up
to the gift. A gift that was not split has one part, of all of it.

Refunds are Stripe's cumulative figure for the whole charge
(gift_status.settle); each time it grows, what it grew by is taken out of
the parts: first out of the part of the fund finance named for a refund,
if any, then out of every part in proportion to what each still keeps.
No part is ever refunded more than it was charged, and a part refunded
once is never refunded less later."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from donations.models import Allocation, Donation, PlanAllocation, RecurringPlan, Refund
from donations.rules import split_pro_rata

if TYPE_CHECKING:
    from campaigns.models import Fund


@dataclass(frozen=True)
class Part:
    """One part of a split gift as the donor asked for it."""

    fund: "Fund"
    amount_minor: int


def record_parts(donation: Donation, requested: Sequence[Part] = ()) -> list[Allocation]:
    """Save the parts of a gift just saved: `requested` (a split gift's,
    adding up to its amount), or one part of all of it to its fund."""
    return Allocation.objects.bulk_create(_parts_of(donation, requested))


def record_parts_of_many(donations: Sequence[Donation]) -> None:
    """record_parts for many gifts just saved, none of them split, in a
    few statements for the lot."""
    Allocation.objects.bulk_create(
        [part for donation in donations for part in _parts_of(donation, ())], batch_size=1000
    )


def _parts_of(donation: Donation, requested: Sequence[Part]) -> list[Allocation]:
    requested = list(requested) or [Part(donation.fund, donation.amount_minor)]
    if sum(part.amount_minor for part in requested) != donation.amount_minor:
        raise ValueError(f"The parts of gift {donation.public_id} do not add up to its amount")
    amounts = [part.amount_minor for part in requested]
    fees = split_pro_rata(donation.fee_covered_minor, amounts)
    charged = [amount + fee for amount, fee in zip(amounts, fees, strict=True)]
    # A gift written already refunded, or with its Stripe fee known (a
    # test's or a loader's row), shares them as they would be shared later.
    refunds = split_pro_rata(donation.refunded_minor, charged)
    stripe_fees = _stripe_fee_shares(donation.stripe_fee_minor, charged)
    return [
        Allocation(
            donation=donation,
            fund=part.fund,
            position=position,
            amount_minor=part.amount_minor,
            fee_covered_minor=fee,
            refunded_minor=refunded,
            stripe_fee_minor=stripe_fee,
        )
        for position, (part, fee, refunded, stripe_fee) in enumerate(
            zip(requested, fees, refunds, stripe_fees, strict=True)
        )
    ]


def _stripe_fee_shares(fee: int | None, charged: list[int]) -> list[int | None]:
    return [None] * len(charged) if fee is None else split_pro_rata(fee, charged)


def record_stripe_fee(donation: Donation) -> None:
    """Share the Stripe fee just recorded on a locked gift between its
    parts, by what each part was charged. A gift written without parts
    (reconcile_totals reports it) still keeps its fee."""
    parts = list(donation.allocations.order_by("position"))
    if not parts:
        return
    shares = _stripe_fee_shares(donation.stripe_fee_minor, [part.charged_minor for part in parts])
    for part, share in zip(parts, shares, strict=True):
        part.stripe_fee_minor = share
    Allocation.objects.bulk_update(parts, ["stripe_fee_minor"])


def spread_refunds(donation: Donation) -> None:
    """Bring a locked gift's parts' refunds up to the gift's own refunded
    amount, as the module says. Safe to call any number of times: only
    what the parts have not taken yet is spread."""
    parts = list(donation.allocations.order_by("position"))
    unspread = donation.refunded_minor - sum(part.refunded_minor for part in parts)
    if unspread <= 0 or not parts:
        return
    part_of_fund = {part.fund_id: part for part in parts}
    by_fund = donation.refunds.filter(status=Refund.Status.SUCCEEDED, fund__isnull=False, taken_from_fund=False)
    for refund in by_fund.order_by("pk"):
        part = part_of_fund.get(refund.fund_id)
        taken = min(refund.amount_minor, unspread, part.kept_minor) if part else 0
        if part:
            part.refunded_minor += taken
        unspread -= taken
        Refund.objects.filter(pk=refund.pk).update(taken_from_fund=True)
    if unspread:
        shares = split_pro_rata(unspread, [part.kept_minor for part in parts])
        for part, share in zip(parts, shares, strict=True):
            part.refunded_minor += share
    Allocation.objects.bulk_update(parts, ["refunded_minor"])


def record_plan_parts(plan: RecurringPlan, requested: Sequence[Part]) -> None:
    """Save how a split monthly gift's renewals are split (nothing for a
    plan that is not split)."""
    PlanAllocation.objects.bulk_create(
        [
            PlanAllocation(plan=plan, fund=part.fund, position=position, amount_minor=part.amount_minor)
            for position, part in enumerate(requested)
        ]
    )


def parts_of_renewal(plan: RecurringPlan, *, amount_minor: int) -> list[Part]:
    """How a renewal of `plan` for `amount_minor` is split: as the plan is,
    in the same proportions if the invoice charged another amount; none
    for a plan that is not split."""
    parts = list(plan.allocations.select_related("fund"))
    if not parts:
        return []
    shares = split_pro_rata(amount_minor, [part.amount_minor for part in parts])
    return [Part(part.fund, share) for part, share in zip(parts, shares, strict=True) if share]


def rescale_plan_parts(plan: RecurringPlan, *, amount_minor: int) -> None:
    """A split plan's new monthly amount, shared between its funds in the
    proportions they had (the plan must be locked)."""
    parts = list(plan.allocations.order_by("position"))
    if not parts:
        return
    shares = split_pro_rata(amount_minor, [part.amount_minor for part in parts])
    for part, share in zip(parts, shares, strict=True):
        part.amount_minor = share
    PlanAllocation.objects.bulk_update(parts, ["amount_minor"])
