from django.core.management.base import BaseCommand, CommandError

from campaigns import selectors as campaign_selectors
from donations import selectors
from donations.services import totals


class Command(BaseCommand):
    help = (
        "Compare the raised/gift/donor counters with the ledger. Exits 1 and "
        "lists every difference; --fix sets the counters to the ledger's figures."
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
        if not differences:
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
        if fix:
            fixed = totals.repair_totals(campaign_id=campaign_id)
            self.stdout.write(f"Fixed {fixed} counter(s).")
            return
        raise CommandError(f"{len(differences)} counter(s) differ from the ledger; run with --fix to repair.")
