"""Moving a gift: finance's correction of where a paid gift counts, to
another fundraiser, team or fund of its campaign, with a reason.

Under the gift's row lock (the lock order of donations.services.effects:
Donation -> GivingTotal -> Donor -> ReceiptSequence), in one transaction:
the gift's attribution is saved, a GiftMove row records who, when, why,
from where and to where, its kept amount leaves the old page's and team's
counters and joins the new ones' (totals.record_move; the campaign's
counter stays as it is), and receipts' ON_MOVED hooks correct the receipt
if what it states changed (a new fund) and tell the new page's people. Fund totals are read
from the ledger (finance's overview), so they follow the gift's fund.

A gift is one ledger line with one fund today; when gifts are split into
parts per fund, moving the fund of a one-part gift is this move, and a
part's own move would extend `_destination` and the receipt hook.
"""

import logging
from dataclasses import dataclass

from django.db import transaction

from campaigns import selectors as campaign_selectors
from donations import rules
from donations.models import Donation, GiftMove
from donations.services import effects, gift_status

logger = logging.getLogger(__name__)

REASON_MAX_LENGTH = GiftMove._meta.get_field("reason").max_length


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


# "Leave this as it is", as opposed to None ("no fundraiser", "no team").
KEEP = _Keep()


class MoveRefused(Exception):
    """The move was not made; the message says why, in finance's words."""


@dataclass(frozen=True)
class Place:
    """Where a gift counts: its team, fundraiser and fund (in its campaign)."""

    team: object
    fundraiser: object
    fund: object

    @classmethod
    def of(cls, donation: Donation) -> "Place":
        return cls(donation.team, donation.fundraiser, donation.fund)

    @property
    def key(self) -> tuple:
        return (
            self.team.pk if self.team else None,
            self.fundraiser.pk if self.fundraiser else None,
            self.fund.pk,
        )


def move_gift(
    *,
    donation_id: int,
    to_fundraiser=KEEP,
    to_team=KEEP,
    to_fund=KEEP,
    reason: str,
    moved_by=None,
    actor: str = "",
    channel: str = GiftMove.Channel.ADMIN,
) -> GiftMove:
    """Move a counted gift (paid, partly refunded or disputed) to another
    fundraiser, team and/or fund of its own campaign; returns the record
    of the move. Each `to_` left as KEEP stays as it is; None means none
    (the gift then counts for the team alone, or the campaign alone).

    Attributed as a new gift is (donations.rules.attribute): a gift to a
    fundraiser on a team counts for that team too, so naming a fundraiser
    moves the team with it, and naming a team the fundraiser is not on is
    refused. Raises MoveRefused, with nothing changed, for a gift that is
    not counted, a page or fund of another campaign (or a fund it does not
    offer), a missing or overlong reason, or a move to where it is now."""
    reason = (reason or "").strip()
    if not reason:
        raise MoveRefused("Give a reason for the move: the audit log keeps it.")
    if len(reason) > REASON_MAX_LENGTH:
        raise MoveRefused(f"The reason is too long: at most {REASON_MAX_LENGTH} characters.")
    with transaction.atomic():
        donation = gift_status.lock(donation_id)
        _check_movable(donation)
        before = Place.of(donation)
        after = _destination(donation, to_fundraiser=to_fundraiser, to_team=to_team, to_fund=to_fund)
        if after.key == before.key:
            raise MoveRefused("The gift already counts there: nothing to move.")
        receipt_before = donation.receipt_number
        donation.team, donation.fundraiser, donation.fund = after.team, after.fundraiser, after.fund
        donation.save(update_fields=["team", "fundraiser", "fund", "updated_at"])
        if after.fund != before.fund:
            # Only a gift not split moves fund (_destination): its one part
            # is all of it. A split gift's parts keep their funds.
            donation.allocations.update(fund=after.fund)
        move = GiftMove.objects.create(
            donation=donation,
            from_team=before.team,
            to_team=after.team,
            from_fundraiser=before.fundraiser,
            to_fundraiser=after.fundraiser,
            from_fund=before.fund,
            to_fund=after.fund,
            kept_minor=donation.kept_minor,
            currency=donation.currency,
            reason=reason,
            channel=channel,
            moved_by=moved_by,
            actor=actor or _actor(moved_by),
            receipt_before=receipt_before,
            receipt_after=receipt_before,
        )
        # The hooks get the saved record: the new page's people are told of
        # this move, once (receipts' notices are keyed on it).
        effects.apply_effects_of_move(donation, move=move)
        if donation.receipt_number != receipt_before:
            # The receipt hook replaced the receipt; the record names the new
            # one before it commits, so it never reads otherwise.
            move.receipt_after = donation.receipt_number
            move.save(update_fields=["receipt_after"])
        donation.last_move, donation.move_count = move, donation.move_count + 1
        donation.save(update_fields=["last_move", "move_count"])
    logger.info("donation %s moved by %s", donation.public_id, move.actor)
    return move


def _actor(user) -> str:
    """Who, in words, as finance's audit log names them."""
    return user.get_username() if user is not None else "unknown"


def _check_movable(donation: Donation) -> None:
    if donation.is_counted:
        return
    if donation.status in Donation.PAID_STATUSES:
        raise MoveRefused(
            f"This gift is {donation.get_status_display().lower()}: it keeps nothing in any total, so there is "
            "nothing to move."
        )
    raise MoveRefused(
        f"This gift is {donation.get_status_display().lower()}: only a paid gift can be moved, as only a paid "
        "gift counts in any total."
    )


def _destination(donation: Donation, *, to_fundraiser, to_team, to_fund) -> Place:
    campaign = donation.campaign
    fundraiser = donation.fundraiser if to_fundraiser is KEEP else to_fundraiser
    if fundraiser is not None and fundraiser.campaign_id != campaign.pk:
        raise MoveRefused(f"The fundraiser {fundraiser} is not in this gift's campaign, {campaign.title}.")
    if to_team is KEEP:
        # A fundraiser's gift counts for its team; without one, the team stays.
        team = fundraiser.team if fundraiser is not None else donation.team
    else:
        team = to_team
        if team is not None and team.campaign_id != campaign.pk:
            raise MoveRefused(f"The team {team} is not in this gift's campaign, {campaign.title}.")
        attribution = rules.attribute(team=team, fundraiser=fundraiser)
        if attribution.fundraiser_not_on_team:
            raise MoveRefused(
                f"The fundraiser {fundraiser} is not on the team {team}: choose a fundraiser on that team, "
                "or no fundraiser to move the gift to the team alone."
            )
        team = attribution.team
    fund = donation.fund if to_fund is KEEP else to_fund
    if fund is None:
        raise MoveRefused("Choose a fund: every gift is given to one.")
    if to_fund is not KEEP and fund.pk != donation.fund_id:
        if donation.allocations.count() > 1:
            raise MoveRefused(
                "This gift is split between funds: it can move to another fundraiser or team, and each part "
                "keeps its fund."
            )
        offered = campaign_selectors.funds_offered(campaign)
        if fund.pk not in {offered_fund.pk for offered_fund in offered}:
            raise MoveRefused(f"The fund {fund.name} is not one {campaign.title} offers.")
    return Place(team, fundraiser, fund)
