"""The raised/gift/donor counters of a gift's campaign, team and
fundraiser, kept equal to the ledger inside the gift's own transaction."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Case, Count, F, Q, When

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
    scopes = _scopes(donation)
    batch = getattr(_batch, "current", None)
    # In counters_written_once, a counter locked up front gets a sum.
    deferred = {_scope_key(scope) for scope, _ in scopes if batch is not None and _scope_key(scope) in batch.locked}
    own = [scope for scope, _ in scopes if _scope_key(scope) not in deferred]
    counter_ids = _lock_counters_of_one_gift(own) if own else {}
    # Under the counters' locks no other gift to these scopes can change,
    # so whether the donor has another counted gift in each is stable.
    donor_is_new = _donor_is_new_in(scopes, donation) if gift_delta else {}
    raised_delta = after.amount_minor - before.amount_minor
    for scope, _ in scopes:
        if _scope_key(scope) in deferred:
            total = batch.delta(scope)
            total.raised_minor += raised_delta
            total.gift_count += gift_delta
            total.donor_count += gift_delta if donor_is_new.get(_scope_key(scope)) else 0
    if counter_ids:
        # Every scope moves by the same amount and gift; only the donor
        # count differs, by whether this donor is new there.
        new_donor_in = [counter_ids[key] for key in counter_ids if donor_is_new.get(key)]
        GivingTotal.objects.filter(pk__in=counter_ids.values()).update(
            raised_minor=F("raised_minor") + raised_delta,
            gift_count=F("gift_count") + gift_delta,
            donor_count=F("donor_count") + Case(When(pk__in=new_donor_in, then=gift_delta), default=0),
        )


def record_move(donation: Donation, *, from_team_id: int | None, from_fundraiser_id: int | None) -> None:
    """Move what a gift contributes from the counters of the team and
    fundraiser it counted for (`from_team_id`, `from_fundraiser_id`, in its
    same campaign) to those of its team and fundraiser now. The donation
    must be locked and saved with its new attribution. Only the counters
    it leaves and those it joins change: a counter it counts for before
    and after, its campaign's always, stays as it is.

    The counters of both places are locked in one statement, in lock
    order, as record_change locks one place's."""
    if getattr(_batch, "current", None) is not None:
        raise RuntimeError("record_move does not run inside counters_written_once")
    contribution = Contribution.of(donation)
    if not contribution.counted:
        return
    old = {
        _scope_key(scope): (scope, ledger)
        for scope, ledger in _scopes_of(donation.campaign_id, from_team_id, from_fundraiser_id)
    }
    new = {_scope_key(scope): (scope, ledger) for scope, ledger in _scopes(donation)}
    left = [old[key] for key in old if key not in new]
    joined = [new[key] for key in new if key not in old]
    if not left and not joined:
        return
    page_versions.bump(*{page_versions.totals(*key) for key in [*old, *new]})
    counter_ids = _lock_counters_of_one_gift([scope for scope, _ in [*left, *joined]])
    # Under the counters' locks no other gift to these scopes can change,
    # so whether the donor has another counted gift in each is stable.
    alone_in = _donor_is_new_in([*left, *joined], donation)
    for scopes, sign in ((left, -1), (joined, 1)):
        if not scopes:
            continue
        keys = [_scope_key(scope) for scope, _ in scopes]
        alone = [counter_ids[key] for key in keys if alone_in[key]]
        GivingTotal.objects.filter(pk__in=[counter_ids[key] for key in keys]).update(
            raised_minor=F("raised_minor") + sign * contribution.amount_minor,
            gift_count=F("gift_count") + sign,
            donor_count=F("donor_count") + Case(When(pk__in=alone, then=sign), default=0),
        )


def _lock_counters_of_one_gift(scopes: list[dict]) -> dict[tuple, int]:
    """Create the missing counters, then lock all of them in one statement
    in lock order, as lock_counters does. Returns counter key -> id.

    Created before any is locked: a counter inserted while this transaction
    held another counter's lock deadlocks with a concurrent first gift to
    the same page, whose INSERT of that counter waits on ours while ours
    waits on the lock it holds (tests/integration/test_concurrency.py)."""
    GivingTotal.objects.bulk_create([GivingTotal(**scope) for scope in scopes], ignore_conflicts=True)
    wanted = Q()
    for scope in scopes:
        wanted |= Q(**scope)
    locked = (
        GivingTotal.objects.select_for_update()
        .filter(wanted)
        .order_by(*_LOCK_ORDER)
        .values_list("pk", "campaign_id", "team_id", "fundraiser_id")
    )
    return {(campaign, team, fundraiser): pk for pk, campaign, team, fundraiser in locked}


def _donor_is_new_in(scopes: list[tuple[dict, dict]], donation: Donation) -> dict[tuple, bool]:
    """Counter key -> whether the donor has no other counted gift in that
    scope, for all the gift's scopes in one query."""
    anywhere = Q()
    for _, ledger_filter in scopes:
        anywhere |= Q(**ledger_filter)
    others = (
        Donation.objects.counted()
        .filter(anywhere, donor_id=donation.donor_id)
        .exclude(pk=donation.pk)
        .aggregate(**{f"scope_{n}": Count("pk", filter=Q(**ledger)) for n, (_, ledger) in enumerate(scopes)})
    )
    return {_scope_key(scope): not others[f"scope_{n}"] for n, (scope, _) in enumerate(scopes)}


@dataclass
class _Delta:
    raised_minor: int = 0
    gift_count: int = 0
    donor_count: int = 0


class _CounterBatch:
    """The counters a transaction recording many gifts has locked, and what
    its gifts have added to each so far."""

    def __init__(self) -> None:
        self.locked: set[tuple] = set()
        self.deltas: dict[tuple, tuple[dict, _Delta]] = {}

    def delta(self, scope: dict) -> _Delta:
        return self.deltas.setdefault(_scope_key(scope), (scope, _Delta()))[1]

    def write(self) -> None:
        for scope, delta in self.deltas.values():
            if delta != _Delta():
                GivingTotal.objects.filter(**scope).update(
                    raised_minor=F("raised_minor") + delta.raised_minor,
                    gift_count=F("gift_count") + delta.gift_count,
                    donor_count=F("donor_count") + delta.donor_count,
                )


_batch = threading.local()


@contextmanager
def counters_written_once() -> Iterator[None]:
    """Inside, record_change adds each gift's change to the counters
    lock_counters locked into one sum per counter, written once at the end:
    a batch of gifts to one campaign writes its counter once, not once a
    gift. Must run inside the transaction that took the locks; a gift
    whose savepoint rolls back must be inside `gift_undone_on_error`."""
    _batch.current = _CounterBatch()
    try:
        yield
        _batch.current.write()
    finally:
        _batch.current = None


@contextmanager
def gift_undone_on_error() -> Iterator[None]:
    """What record_change added inside is taken back out if it raises, as
    the savepoint around it rolls back the gift's own change."""
    batch = getattr(_batch, "current", None)
    if batch is None:
        yield
        return
    saved = {key: (scope, _Delta(**vars(delta))) for key, (scope, delta) in batch.deltas.items()}
    try:
        yield
    except BaseException:
        batch.deltas = saved
        raise


def _scopes(donation: Donation) -> list[tuple[dict, dict]]:
    """(counter row key, matching ledger filter) per scope, in lock order."""
    return _scopes_of(donation.campaign_id, donation.team_id, donation.fundraiser_id)


def _scopes_of(campaign: int, team: int | None, fundraiser: int | None) -> list[tuple[dict, dict]]:
    """_scopes of a gift attributed to this campaign, team and fundraiser."""
    scopes = [({"campaign_id": campaign, "team": None, "fundraiser": None}, {"campaign_id": campaign})]
    if team:
        scopes.append(({"campaign_id": campaign, "team_id": team, "fundraiser": None}, {"team_id": team}))
    if fundraiser:
        scopes.append(
            ({"campaign_id": campaign, "team": None, "fundraiser_id": fundraiser}, {"fundraiser_id": fundraiser})
        )
    return scopes


# A counter's place in the lock order: a campaign's, a team's, a fundraiser's.
_COUNTER_LEVEL = Case(When(fundraiser__isnull=False, then=2), When(team__isnull=False, then=1), default=0)
_LOCK_ORDER = (_COUNTER_LEVEL, "campaign_id", "team_id", "fundraiser_id")


def repair_totals(*, campaign_id: int | None = None) -> int:
    """Set every counter that disagrees with the ledger to the ledger's
    figures. Returns how many counters were changed."""
    with transaction.atomic():
        # Lock the counters first, in the usual order (campaigns, then
        # teams, then fundraisers, as lock_counters does), so no gift can
        # land between reading the ledger and writing the fix.
        counters = GivingTotal.objects.select_for_update().order_by(*_LOCK_ORDER)
        if campaign_id is not None:
            counters = counters.filter(campaign_id=campaign_id)
        list(counters)
        wrong = selectors.counters_out_of_step(campaign_id=campaign_id)
        page_versions.bump(*(page_versions.totals(*key) for key in wrong))
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
    keys = {_scope_key(scope) for donation in donations for scope, _ in _scopes(donation)}
    if not keys:
        return
    # The missing counters in one statement (ON CONFLICT DO NOTHING covers
    # one created meanwhile), then all of them locked in one, in lock order.
    GivingTotal.objects.bulk_create(
        [
            GivingTotal(campaign_id=campaign, team_id=team, fundraiser_id=fundraiser)
            for campaign, team, fundraiser in keys
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    campaigns = {campaign for campaign, team, fundraiser in keys if not team and not fundraiser}
    teams = {team for _, team, _ in keys if team}
    fundraisers = {fundraiser for _, _, fundraiser in keys if fundraiser}
    list(
        GivingTotal.objects.select_for_update()
        .filter(
            Q(campaign_id__in=campaigns, team=None, fundraiser=None)
            | Q(team_id__in=teams, fundraiser=None)
            | Q(fundraiser_id__in=fundraisers)
        )
        .order_by(*_LOCK_ORDER)
    )
    batch = getattr(_batch, "current", None)
    if batch is not None:
        batch.locked.update(keys)


# Donors asked about per query when counting a batch's new donors: well
# under PostgreSQL's limit of parameters in one statement.
_DONORS_PER_QUERY = 5000


def record_new_gifts(donations: list[Donation]) -> None:
    """What record_change does for each of many new gifts, in one update
    per counter: each counted gift adds its kept amount and one gift to
    every scope it is attributed to, and its donor once to each scope where
    they had no counted gift before the batch (and none earlier in it).
    Call it after lock_counters on the same gifts, with each gift's new
    status set, and before they are saved (inserted, or moved from a
    status that is not counted): under the counters' locks no other gift
    to these scopes can become counted, so the ledger read here, which
    does not yet count these gifts, stays true until commit."""
    counted = [donation for donation in donations if donation.is_counted]
    if not counted:
        return
    raised: dict[tuple, int] = {}
    gifts: dict[tuple, int] = {}
    donors_in_batch: dict[tuple, set[int]] = {}
    for donation in counted:
        for scope, _ in _scopes(donation):
            key = _scope_key(scope)
            raised[key] = raised.get(key, 0) + donation.kept_minor
            gifts[key] = gifts.get(key, 0) + 1
            donors_in_batch.setdefault(key, set()).add(donation.donor_id)
    page_versions.bump(*(page_versions.totals(*key) for key in raised))
    counted_before = _scopes_with_counted_gifts_of({donation.donor_id for donation in counted})
    # Every counter here is locked already (lock_counters): each is moved
    # in place, in one UPDATE ... FROM unnest(arrays) for the lot.
    keys = list(raised)
    table = connection.ops.quote_name(GivingTotal._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS total SET raised_minor = total.raised_minor + moved.raised, "
            "gift_count = total.gift_count + moved.gifts, donor_count = total.donor_count + moved.donors "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]) "
            "AS moved(campaign_id, team_id, fundraiser_id, raised, gifts, donors) "
            "WHERE total.campaign_id = moved.campaign_id "
            "AND total.team_id IS NOT DISTINCT FROM moved.team_id "
            "AND total.fundraiser_id IS NOT DISTINCT FROM moved.fundraiser_id",
            [
                [campaign for campaign, _, _ in keys],
                [team for _, team, _ in keys],
                [fundraiser for _, _, fundraiser in keys],
                [raised[key] for key in keys],
                [gifts[key] for key in keys],
                [len(donors_in_batch[key] - counted_before.get(key, set())) for key in keys],
            ],
        )


def _scope_key(scope: dict) -> tuple[int, int | None, int | None]:
    return scope["campaign_id"], scope.get("team_id"), scope.get("fundraiser_id")


def _scopes_with_counted_gifts_of(donor_ids: set[int]) -> dict[tuple, set[int]]:
    """(campaign, team, fundraiser) counter key -> the donors among these
    with a counted gift there, from the ledger (one query per few thousand
    donors)."""
    found: dict[tuple, set[int]] = {}
    ordered = sorted(donor_ids)
    for start in range(0, len(ordered), _DONORS_PER_QUERY):
        rows = (
            Donation.objects.counted()
            .filter(donor_id__in=ordered[start : start + _DONORS_PER_QUERY])
            .values_list("campaign_id", "team_id", "fundraiser_id", "donor_id")
            .distinct()
        )
        for campaign, team, fundraiser, donor in rows:
            found.setdefault((campaign, None, None), set()).add(donor)
            if team:
                found.setdefault((campaign, team, None), set()).add(donor)
            if fundraiser:
                found.setdefault((campaign, None, fundraiser), set()).add(donor)
    return found
