"""The raised/gift/donor counters of a gift's campaign, team and
fundraiser, kept equal to the ledger inside the gift's own transaction."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, When

from campaigns import page_versions
from donations import selectors
from donations.models import Donation, GivingTotal


@dataclass(frozen=True)
class Contribution:
    """What one gift adds to its counters."""

    counted: bool
    amount_minor: int

    @classmethod
    def of(cls, donation: Donation) -> "Contribution":
        counted = donation.is_counted
        return cls(counted, donation.kept_minor if counted else 0)


def record_change(donation: Donation, *, before: Contribution) -> None:
    """Move the counters by the difference between what the gift
    contributed `before` and what it contributes now. The donation must be
    locked and saved."""
    after = Contribution.of(donation)
    if after == before:
        return
    gift_delta = int(after.counted) - int(before.counted)
    # It shows on its campaign's, team's and fundraiser's pages.
    campaign = donation.campaign_id
    page_versions.bump(
        *{
            page_versions.totals(campaign),
            page_versions.totals(campaign, team_id=donation.team_id),
            page_versions.totals(campaign, fundraiser_id=donation.fundraiser_id),
        }
    )
    for scope, ledger_filter in _scopes(donation):
        GivingTotal.objects.get_or_create(**scope)
        total = GivingTotal.objects.select_for_update().get(**scope)
        total.raised_minor += after.amount_minor - before.amount_minor
        total.gift_count += gift_delta
        # Under the counter's lock no other gift to this scope can change,
        # so whether the donor has another counted gift here is stable.
        if gift_delta and not (
            Donation.objects.counted()
            .filter(**ledger_filter, donor_id=donation.donor_id)
            .exclude(pk=donation.pk)
            .exists()
        ):
            total.donor_count += gift_delta
        total.save(update_fields=["raised_minor", "gift_count", "donor_count"])


def _scopes(donation: Donation) -> list[tuple[dict, dict]]:
    """(counter row key, matching ledger filter) per scope, in lock order."""
    campaign = donation.campaign_id
    scopes = [({"campaign_id": campaign, "team": None, "fundraiser": None}, {"campaign_id": campaign})]
    if donation.team_id:
        scopes.append(
            ({"campaign_id": campaign, "team_id": donation.team_id, "fundraiser": None}, {"team_id": donation.team_id})
        )
    if donation.fundraiser_id:
        scopes.append(
            (
                {"campaign_id": campaign, "team": None, "fundraiser_id": donation.fundraiser_id},
                {"fundraiser_id": donation.fundraiser_id},
            )
        )
    return scopes


# A counter's place in the lock order: a campaign's, a team's, a fundraiser's.
_COUNTER_LEVEL = Case(When(fundraiser__isnull=False, then=2), When(team__isnull=False, then=1), default=0)


def repair_totals(*, campaign_id: int | None = None) -> int:
    """Set every counter that disagrees with the ledger to the ledger's
    figures. Returns how many counters were changed."""
    with transaction.atomic():
        # Lock the counters first, in the usual order (campaigns, then
        # teams, then fundraisers, as lock_counters does), so no gift can
        # land between reading the ledger and writing the fix.
        counters = GivingTotal.objects.select_for_update().order_by(
            _COUNTER_LEVEL, "campaign_id", "team_id", "fundraiser_id"
        )
        if campaign_id is not None:
            counters = counters.filter(campaign_id=campaign_id)
        list(counters)
        wrong = selectors.counters_out_of_step(campaign_id=campaign_id)
        page_versions.bump(*(page_versions.totals(*key) for key in wrong))
        for (campaign, team, fundraiser), (_, ledger) in wrong.items():
            GivingTotal.objects.update_or_create(
                campaign_id=campaign,
                team_id=team,
                fundraiser_id=fundraiser,
                defaults={
                    "raised_minor": ledger.raised_minor,
                    "gift_count": ledger.gift_count,
                    "donor_count": ledger.donor_count,
                },
            )
    return len(wrong)


def lock_counters(donations) -> None:
    """Take the counter locks of many gifts at once: every campaign's
    counter, then every team's, then every fundraiser's, each in id order.
    A transaction recording many gifts must lock this way up front: gift by
    gift it would take the second gift's campaign counter after the first
    gift's team counter and receipt number, against the lock order, and
    could deadlock with an online gift to the second campaign.
    The donations need not be saved: only their attribution is read."""
    scopes = {}
    for donation in donations:
        for scope, _ in _scopes(donation):
            team, fundraiser = scope.get("team_id") or 0, scope.get("fundraiser_id") or 0
            level = 2 if fundraiser else 1 if team else 0
            scopes[(level, scope["campaign_id"], team, fundraiser)] = scope
    for _, scope in sorted(scopes.items()):
        GivingTotal.objects.get_or_create(**scope)
        GivingTotal.objects.select_for_update().get(**scope)
