from django.core.management.base import BaseCommand, CommandError

from core.progress import ProgressBar
from receipts.services import statements


class Command(BaseCommand):
    help = (
        "Send every donor with gifts in PERIOD one statement listing them, refunds reflected: "
        "2026 for the calendar year, 2025-26 for a statement year that starts in 2025 on the "
        "receipting entity's statement year start (6 April in the UK). "
        "Exactly once: running it again sends only statements not sent yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("period", help="a finished year: 2025, or 2025-26 for a year starting later than 1 January")
        parser.add_argument("--dry-run", action="store_true", help="count the statements; create and send nothing")

    def handle(self, *args, period: str, dry_run: bool, **options):
        try:
            years = statements.statement_years(period)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if dry_run:
            run = statements.issue_year_end_statements(years=years, dry_run=True)
        else:
            with ProgressBar(label="Queueing statements") as bar:
                run = statements.issue_year_end_statements(
                    years=years, on_progress=lambda done, total: _follow(bar, done, total)
                )
        already = run.donors - run.new_statements
        verb = "would send" if dry_run else "queued"
        self.stdout.write(
            f"{period}: {run.donors} donors with gifts; {verb} {run.new_statements} new statements; "
            f"{already} had one already."
        )


def _follow(bar: ProgressBar, done: int, total: int) -> None:
    bar.total = total
    bar.advance(done - bar.done)
