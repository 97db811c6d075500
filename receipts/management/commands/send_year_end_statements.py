from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.progress import ProgressBar
from receipts.services import statements

FIRST_YEAR = 2000


class Command(BaseCommand):
    help = (
        "Send every donor with gifts in YEAR one statement listing them, refunds reflected. "
        "Exactly once: running it again sends only statements not sent yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", help="a finished calendar year, e.g. 2025")
        parser.add_argument("--dry-run", action="store_true", help="count the statements; create and send nothing")

    def handle(self, *args, year: str, dry_run: bool, **options):
        this_year = timezone.localdate().year
        if not year.isdigit() or not FIRST_YEAR <= int(year) < this_year + 1:
            raise CommandError(f"YEAR must be a year from {FIRST_YEAR} to {this_year - 1}, not {year!r}")
        if int(year) == this_year:
            raise CommandError(f"{year} has not ended yet: statements are for a finished year")
        if dry_run:
            run = statements.issue_year_end_statements(year=int(year), dry_run=True)
        else:
            with ProgressBar(label="Queueing statements") as bar:
                run = statements.issue_year_end_statements(
                    year=int(year), on_progress=lambda done, total: _follow(bar, done, total)
                )
        already = run.donors - run.new_statements
        verb = "would send" if dry_run else "queued"
        self.stdout.write(
            f"{year}: {run.donors} donors with gifts; {verb} {run.new_statements} new statements; "
            f"{already} had one already."
        )


def _follow(bar: ProgressBar, done: int, total: int) -> None:
    bar.total = total
    bar.advance(done - bar.done)
