"""Gift Aid claims: what `export_gift_aid_claim` puts on HMRC's schedule,
recorded so that a gift is claimed once, and a claimed gift refunded
later is given back once, in the next claim's adjustment."""

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from finance.models import GiftAidClaim, GiftAidClaimLine
from finance.selectors import gift_aid as selectors
from finance.selectors.gift_aid import ClaimGift
from finance.services.audit import os_user


@dataclass(frozen=True)
class ClaimPlan:
    gifts: list[ClaimGift]
    adjustments: list[ClaimGift]
    # The claim recorded (None on a dry run, or with nothing in it).
    claim: GiftAidClaim | None = None

    @property
    def claimed_minor(self) -> int:
        return sum(gift.amount_minor for gift in self.gifts)

    @property
    def given_back_minor(self) -> int:
        return sum(gift.amount_minor for gift in self.adjustments)


@transaction.atomic
def make_claim(*, since: date | None, until: date | None, dry_run: bool) -> ClaimPlan:
    """The claim for the gifts paid from `since` to `until` that no earlier
    claim made, with the adjustment for every claimed gift refunded since
    (whatever its date), recorded unless `dry_run` (or it holds nothing).
    Runs in the caller's transaction if any, so a caller that fails to
    write the schedule records nothing; a claim made at the same moment
    by another run cannot take the same gift (GiftAidClaimLine's unique
    constraint: the loser fails, recording nothing)."""
    gifts = selectors.claimable_gifts(since=since, until=until)
    adjustments = selectors.overclaimed_gifts()
    if dry_run or not (gifts or adjustments):
        return ClaimPlan(gifts=gifts, adjustments=adjustments)
    claim = GiftAidClaim.objects.create(since=since, until=until, actor=os_user())
    GiftAidClaimLine.objects.bulk_create(
        [
            GiftAidClaimLine(
                claim=claim,
                donation=gift.donation,
                declaration=gift.declaration,
                kind=kind,
                amount_minor=gift.amount_minor,
            )
            for kind, lot in ((GiftAidClaimLine.Kind.CLAIMED, gifts), (GiftAidClaimLine.Kind.ADJUSTMENT, adjustments))
            for gift in lot
        ]
    )
    return ClaimPlan(gifts=gifts, adjustments=adjustments, claim=claim)
