"""What follows from a change of a gift's status, in one place: every
path that changes a status (the API, webhooks, monthly invoices, refunds,
disputes, failed renewals, the offline import) ends here, through
gift_status.

In this order, inside the caller's transaction, on the locked and saved
donation (lock order: Donation -> GivingTotal -> Donor -> ReceiptSequence):
1. the campaign, team and fundraiser counters move (totals.record_change);
2. a gift just paid gives its donor's record the details given with it
   (donors.apply_details_of_paid_gift): only money taken changes a donor;
3. the hooks other apps registered run: receipts issues the receipt of a
   gift just paid, reissues or voids it after a refund, corrects it after
   finance moves the gift to another fund (apply_effects_of_move), and queues
   the page's owner's and captains' notices of a gift paid on a page (or
   moved to it),
   and the card to the person a dedicated gift's donor named.
   They run in the same transaction, so a succeeded gift never lacks its
   receipt;
4. after commit, Stripe's fee is fetched for an online gift just paid
   (record_processing_fee, or record_processing_fees for many), and
   a donor whose monthly renewal failed is told.

Apps above donations register their hooks from AppConfig.ready() with
`register`, so donations never imports them (receipts/apps.py).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from core import task_queue
from donations import tasks
from donations.models import Donation, GiftMove
from donations.services import donors, organizations, totals

Status = Donation.Status

# The moments a hook can run at.
ON_SUCCEEDED = "succeeded"  # the money was taken: the gift just became paid
# A paid gift changed with something refunded, or its dispute was lost.
ON_REFUNDED = "refunded"
# Finance moved a counted gift to another fundraiser, team or fund
# (donations.services.moves): its receipt is corrected if what it states
# changed, and the people of the page it now counts for are told. Its
# hooks are called with the record of the move too: hook(donation=..., move=...).
ON_MOVED = "moved"

# The failure code of a monthly renewal the bank refused; its donor is told.
RENEWAL_FAILED = "renewal_failed"

Hook = Callable[..., object]


@dataclass(frozen=True)
class _Registered:
    function: Hook
    # Keeps the donor's receipt in step with the gift: skipped for a gift
    # recorded without a receipt, and never allowed to be missing.
    receipt: bool
    # Emails someone other than the donor about the gift (the page's
    # people): skipped for gifts recorded without notices, such as a file
    # of past gifts, which would otherwise be a burst of stale emails.
    notice: bool
    # The same for many gifts at once, `bulk(donations=[...])`, for
    # apply_effects_of_new_paid_gifts; without one, `function` runs per gift.
    bulk: Hook | None = None


_HOOKS: dict[str, list[_Registered]] = {ON_SUCCEEDED: [], ON_REFUNDED: [], ON_MOVED: []}


def register(moment: str, hook: Hook, *, receipt: bool = False, notice: bool = False, bulk: Hook | None = None) -> None:
    """Run `hook(donation=...)` at `moment`, under the gift's row lock
    (`bulk(donations=...)` instead for many new paid gifts at once, if
    given). Registering the same hook again changes nothing."""
    if moment not in _HOOKS:
        raise ImproperlyConfigured(f"No moment {moment!r}; the moments are {', '.join(_HOOKS)}.")
    registered = _Registered(hook, receipt, notice, bulk)
    if registered not in _HOOKS[moment]:
        _HOOKS[moment].append(registered)


def moments_without_receipt_hook() -> list[str]:
    """Moments no receipt hook is registered for: empty once receipts is
    installed and ready (see donations.checks)."""
    return [moment for moment, hooks in _HOOKS.items() if not any(hook.receipt for hook in hooks)]


@dataclass(frozen=True)
class Before:
    """What a gift was before a status change: enough to tell what changed."""

    status: str
    refunded_minor: int
    contribution: totals.Contribution

    @classmethod
    def of(cls, donation: Donation) -> "Before":
        return cls(donation.status, donation.refunded_minor, totals.Contribution.of(donation))

    def differs_from(self, donation: Donation) -> bool:
        return (self.status, self.refunded_minor) != (donation.status, donation.refunded_minor)


def apply_effects(
    donation: Donation, *, before: Before, wants_receipt: bool = True, wants_notices: bool = True
) -> None:
    """Every effect of the change from `before` to the gift as it is now.
    The donation must be locked and saved, inside the caller's transaction.
    `wants_receipt=False` (an offline gift whose donor asked for none)
    skips the receipt hooks; `wants_notices=False` the notice hooks."""
    totals.record_change(donation, before=before.contribution)
    if donation.status == Status.SUCCEEDED and before.status not in Donation.PAID_STATUSES:
        donors.apply_details_of_paid_gift(donation)
        organizations.apply_details_of_paid_gifts([donation])
        _run(ON_SUCCEEDED, donation, wants_receipt=wants_receipt, wants_notices=wants_notices)
        if donation.source == Donation.Source.ONLINE:
            pk = donation.pk
            task_queue.enqueue_on_commit(tasks.record_processing_fee, pk)
    elif before.status in Donation.PAID_STATUSES and _given_back(donation) and before.differs_from(donation):
        # Also after a dispute closes: a refund made during it is only
        # reflected in the receipt once the gift is (partly) refunded again.
        _run(ON_REFUNDED, donation, wants_receipt=wants_receipt, wants_notices=wants_notices)
    if donation.status == Status.FAILED and before.status != Status.FAILED and donation.failure_code == RENEWAL_FAILED:
        pk = donation.pk
        task_queue.enqueue_on_commit(tasks.send_renewal_failed_notice, pk)


def _given_back(donation: Donation) -> bool:
    """Whether money of the gift went back to the donor: refunded, or
    taken back by their bank through a dispute the charity lost."""
    return bool(donation.refunded_minor) or donation.status == Status.DISPUTE_LOST


def apply_effects_of_move(donation: Donation, *, move: GiftMove) -> None:
    """Every effect of `move`, the saved record of moving a counted gift
    from the team and fundraiser it counted for to where it is now (its
    fund may have changed too): the counters move from the old place to
    the new (totals.record_move), then the hooks registered for ON_MOVED
    run (receipts corrects the receipt if what it states changed, and tells
    the new page's people). The donation must be locked and saved with its
    new attribution, inside the caller's transaction."""
    totals.record_move(donation, from_team_id=move.from_team_id, from_fundraiser_id=move.from_fundraiser_id)
    _run(ON_MOVED, donation, wants_receipt=True, wants_notices=True, move=move)


def apply_effects_of_new_paid_gifts(
    donations: list[Donation], *, receipted: list[Donation], wants_notices: bool = True
) -> None:
    """apply_effects for many gifts just saved as succeeded from a status
    that was not paid (offline gifts inserted, online gifts whose payment
    succeeded), oldest first, with a few queries for the lot instead of a
    dozen per gift. Their counters must already have moved
    (totals.record_new_gifts); `receipted` are those that get a receipt,
    and `wants_notices=False` skips the notice hooks for the lot.
    The online ones' Stripe fees are fetched after commit by one task."""
    donors.apply_details_of_paid_gifts(donations)
    organizations.apply_details_of_paid_gifts(donations)
    _check_receipt_hook(ON_SUCCEEDED)
    for hook in _HOOKS[ON_SUCCEEDED]:
        if hook.notice and not wants_notices:
            continue
        gifts = receipted if hook.receipt else donations
        if hook.bulk is not None:
            hook.bulk(donations=gifts)
        else:
            for donation in gifts:
                hook.function(donation=donation)
    online = [donation.pk for donation in donations if donation.source == Donation.Source.ONLINE]
    if online:
        task_queue.enqueue_on_commit(tasks.record_processing_fees, online)


def _check_receipt_hook(moment: str) -> None:
    if moment in moments_without_receipt_hook():
        # Raising rolls the change back: better a retried webhook than a
        # paid gift that silently has no receipt.
        raise ImproperlyConfigured(f"No receipt hook is registered for {moment!r} gifts; is receipts installed?")


def _run(moment: str, donation: Donation, *, wants_receipt: bool, wants_notices: bool, **context) -> None:
    """Run the moment's hooks with the gift and the moment's `context`
    (ON_MOVED's `move`)."""
    _check_receipt_hook(moment)
    for hook in _HOOKS[moment]:
        if (hook.receipt and not wants_receipt) or (hook.notice and not wants_notices):
            continue
        hook.function(donation=donation, **context)
