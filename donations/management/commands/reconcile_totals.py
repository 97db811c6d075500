from django.core.management.base import BaseCommand, CommandError

from campaigns import selectors as campaign_selectors
from donations import selectors
from donations.services import totals


class Command(BaseCommand):
    help = (
        "Compare the raised/gift/donor counters with the ledger, and every gift "
        "with its parts (the funds it is split between). Exits 1 and lists every "
        "difference; --fix sets the counters to the ledger's figures."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="repair the counters that differ")
        parser.add_argument("--campaign", metavar="SLUG", help="only this campaign")

    def handle(self, *args, fix: bool, campaign: str | None, **options):
        campaign_id = None
        if campaign:
            found = campaign_selectors.campaign_by_slug(campaign, include_drafts=True)
            if found is None:
                raise CommandError(f"no campaign with slug {campaign!r}")
            campaign_id = found.pk

        differences = selectors.counters_out_of_step(campaign_id=campaign_id)
        uneven = selectors.gifts_with_parts_out_of_step(campaign_id=campaign_id)
        for gift in uneven:
            self.stdout.write(
                f"gift {gift.public_id}: amount, fee covered, refunded, Stripe fee (-1: not known) {gift.gift}; "
                f"its parts add up to {gift.parts}"
            )
        if not differences and not uneven:
            self.stdout.write("Totals match the ledger.")
            return
        for (campaign_pk, team_pk, fundraiser_pk), (counter, ledger) in sorted(
            differences.items(), key=lambda item: tuple(x or 0 for x in item[0])
        ):
            scope = f"fundraiser {fundraiser_pk}" if fundraiser_pk else f"team {team_pk}" if team_pk else "campaign"
            self.stdout.write(
                f"campaign {campaign_pk} {scope}: counter raised={counter.raised_minor} "
                f"gifts={counter.gift_count} donors={counter.donor_count}; ledger "
                f"raised={ledger.raised_minor} gifts={ledger.gift_count} donors={ledger.donor_count}"
            )
        if fix and differences:
            fixed = totals.repair_totals(campaign_id=campaign_id)
            self.stdout.write(f"Fixed {fixed} counter(s).")
        if uneven:
            # Which part a difference belongs to is a judgement, not a sum:
            # finance looks at each before anything is changed.
            raise CommandError(f"{len(uneven)} gift(s) differ from their parts; --fix does not change parts.")
        if not fix:
            raise CommandError(f"{len(differences)} counter(s) differ from the ledger; run with --fix to repair.")
