from django.core.management.base import BaseCommand

from privacy.services import retention


class Command(BaseCommand):
    help = (
        "Prune personal data past its retention period (the RETAIN_* settings; docs/privacy.md): "
        "Stripe event payloads, the email provider's events, finished import files and expired sign-in links. "
        "Prints how many of each it pruned. Safe to run again; the worker runs it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would be pruned; change nothing")

    def handle(self, *args, dry_run: bool, **options):
        pruned = retention.prune_personal_data(dry_run=dry_run)
        for line in pruned.lines():
            self.stdout.write(line)
        self.stdout.write("Dry run: nothing was pruned." if dry_run else "Pruned.")
