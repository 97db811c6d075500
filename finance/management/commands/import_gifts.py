from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.progress import ProgressBar
from finance.imports import reader, runner
from finance.models import AuditLogEntry, GiftImport
from finance.selectors.imports import totals_text


class Command(BaseCommand):
    help = (
        "Import offline gifts (cheques, cash, bank transfers) from a UTF-8 CSV file. Every row is checked "
        'first; nothing is written unless every row is valid. See README, "Offline gift import".'
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file")
        parser.add_argument("--dry-run", action="store_true", help="check every row and report; write no gifts")
        parser.add_argument(
            "--tell-fundraisers",
            action="store_true",
            help="email each page's owner and team captains about its gifts, as for online gifts",
        )

    def handle(self, *args, path: str, dry_run: bool, tell_fundraisers: bool, **options):
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            import_file = reader.read_import_file(raw)
        except reader.ImportFileError as exc:
            raise CommandError(f"{path}: {exc}") from None

        gift_import = runner.create_gift_import(
            file_name=Path(path).name, import_file=import_file, dry_run=dry_run, tell_fundraisers=tell_fundraisers
        )
        with _PhaseBars() as bars:
            gift_import = runner.run_import(
                gift_import_id=gift_import.pk,
                channel=AuditLogEntry.Channel.COMMAND,
                on_progress=bars.show,
            )
        self._report(gift_import)

    def _report(self, gift_import: GiftImport) -> None:
        rows = gift_import.total_rows
        if gift_import.status == GiftImport.Status.REJECTED:
            bad_lines = {error["line"] for error in gift_import.errors}
            for error in gift_import.errors:
                self.stderr.write(f"line {error['line']}: {error['message']}")
            raise CommandError(f"{len(bad_lines)} of {rows} rows are invalid; nothing was imported")
        totals = totals_text(gift_import.totals_minor) or "nothing"
        if gift_import.status == GiftImport.Status.CHECKED:
            self.stdout.write(f"All {rows} rows are valid: {totals}. Dry run: nothing was imported.")
        elif gift_import.status == GiftImport.Status.IMPORTED:
            self.stdout.write(f"Imported {gift_import.imported_rows} gifts: {totals}.")
        else:
            raise CommandError(f"the import ended {gift_import.get_status_display().lower()}")


class _PhaseBars:
    """One progress bar per phase of the run (checking, then writing),
    drawn on a terminal's stderr only."""

    def __init__(self):
        self.bar = None

    def __enter__(self) -> "_PhaseBars":
        return self

    def __exit__(self, *exc_info) -> None:
        if self.bar is not None:
            self.bar.close()

    def show(self, phase: str, done: int, total: int) -> None:
        if self.bar is None or self.bar.label != phase.capitalize():
            if self.bar is not None:
                self.bar.close()
            self.bar = ProgressBar(label=phase.capitalize(), total=total)
        self.bar.advance(done - self.bar.done)
