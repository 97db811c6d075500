import getpass
import uuid

from django.core.management.base import BaseCommand, CommandError

from donations import rules
from donations.models import Donation, GiftMove
from donations.services import moves


class Command(BaseCommand):
    help = (
        "Move a paid gift to another fundraiser, team or fund of its campaign, with a reason kept in the "
        "audit log (donations.GiftMove). Options left out stay as they are. Exits 1 with one line on bad input."
    )

    def add_arguments(self, parser):
        parser.add_argument("public_id", help="the gift's public id")
        page = parser.add_mutually_exclusive_group()
        page.add_argument("--fundraiser", metavar="SLUG", help="the fundraiser (its team comes with it)")
        page.add_argument("--no-fundraiser", action="store_true", help="take the gift off its fundraiser")
        team = parser.add_mutually_exclusive_group()
        team.add_argument("--team", metavar="SLUG", help="the team")
        team.add_argument("--no-team", action="store_true", help="take the gift off its team (and fundraiser)")
        parser.add_argument("--fund", metavar="SLUG", help="a fund the campaign offers")
        parser.add_argument("--reason", required=True, help="why: kept in the audit log")

    def handle(self, *args, public_id, fundraiser, no_fundraiser, team, no_team, fund, reason, **options):
        try:
            gift_id = uuid.UUID(public_id)
        except ValueError:
            raise CommandError(f"{public_id!r} is not a gift's public id") from None
        gift = Donation.objects.select_related("campaign").filter(public_id=gift_id).first()
        if gift is None:
            raise CommandError(f"no gift with public id {public_id}")
        campaign = gift.campaign
        to = {}
        if fundraiser:
            to["to_fundraiser"] = rules.find_fundraiser(campaign, fundraiser, include_hidden=True)
            if to["to_fundraiser"] is None:
                raise CommandError(f"no fundraiser {fundraiser!r} in {campaign.slug}")
        elif no_fundraiser or no_team:
            to["to_fundraiser"] = None
        if team:
            to["to_team"] = rules.find_team(campaign, team, include_hidden=True)
            if to["to_team"] is None:
                raise CommandError(f"no team {team!r} in {campaign.slug}")
        elif no_team:
            to["to_team"] = None
        if fund:
            to["to_fund"] = rules.offered_fund(campaign, fund)
            if to["to_fund"] is None:
                raise CommandError(f"{campaign.slug} offers no fund {fund!r}")
        if not to:
            raise CommandError("say where to: --fundraiser, --no-fundraiser, --team, --no-team or --fund")
        try:
            move = moves.move_gift(
                donation_id=gift.pk, reason=reason, channel=GiftMove.Channel.COMMAND, actor=_os_user(), **to
            )
        except moves.MoveRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Moved {public_id}: receipt {move.receipt_after or 'none'}"
            + (f" (replaces {move.receipt_before})" if move.receipt_after != move.receipt_before else "")
        )


def _os_user() -> str:
    try:
        return f"{getpass.getuser()} (command line)"
    except OSError:
        return "unknown (command line)"
