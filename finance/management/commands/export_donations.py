"""manage.py export_donations [--output PATH or -] [--format csv or xlsx]
[--since DATE] [--until DATE] [--fiscal-year YYYY] [--campaign SLUG] [--fund SLUG]

Every gift, one row per part (see finance.exports for the columns), CSV to
standard output by default. A file is written under a temporary name and renamed when
complete, so a failed export leaves no half file behind."""

import shutil
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.progress import ProgressBar
from finance.export_forms import GiftExportForm
from finance.exports import GiftExport, count_rows
from finance.files import replaced_when_complete
from finance.models import AuditLogEntry
from finance.services import audit

FORMATS = ("csv", "xlsx")


class Command(BaseCommand):
    help = (
        "Export every gift, one row per part (donor, attribution, fund, gross, fees, net, refunds, status, "
        "receipt, moves), as CSV or XLSX."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", default="-", help="File to write, or - for standard output (default).")
        # Checked in handle(), not by argparse, so a bad value is one line.
        parser.add_argument("--format", default="csv", help="csv (default) or xlsx.")
        parser.add_argument("--since", default="", help="First day included, YYYY-MM-DD (UTC).")
        parser.add_argument("--until", default="", help="Last day included, YYYY-MM-DD (UTC).")
        parser.add_argument(
            "--fiscal-year",
            default="",
            help="The fiscal year that starts in YYYY (FISCAL_YEAR_START), instead of --since and --until.",
        )
        parser.add_argument("--campaign", default="", help="Only this campaign's gifts (its slug).")
        parser.add_argument("--fund", default="", help="Only the parts of gifts given to this fund (its slug).")

    def handle(self, *args, output, format, since, until, fiscal_year, campaign, fund, **options):
        if format not in FORMATS:
            raise CommandError(f"--format must be csv or xlsx, not “{format}”.")
        form = GiftExportForm(
            data={"since": since, "until": until, "fiscal_year": fiscal_year, "campaign": campaign, "fund": fund}
        )
        if not form.is_valid():
            raise CommandError(form.one_line())
        filters = form.filters()
        to_stdout = output == "-"
        # The real standard output takes bytes; call_command's StringIO does not.
        binary_stdout = getattr(self.stdout._out, "buffer", None)
        if to_stdout and format == "xlsx" and (self.stdout.isatty() or binary_stdout is None):
            raise CommandError("XLSX is binary: give --output PATH, or redirect standard output to a file.")

        export = GiftExport(filters)
        # Django's wrapper appends a newline to every write; the bar redraws
        # one line in place, so it gets the stream underneath.
        progress_stream = self.stderr._out
        # The bar counts rows, as the export and its audit entry do: a split
        # gift is a row per part.
        total = count_rows(filters) if progress_stream.isatty() else None
        with ProgressBar(label="Exporting rows", total=total, stream=progress_stream) as bar:
            if to_stdout:
                self._to_stdout(export, format, bar, binary_stdout)
            else:
                with replaced_when_complete(Path(output)) as file:
                    _write(export, format, file, bar)

        audit.record_gift_export(
            export=export, filters=filters, file_format=format, channel=AuditLogEntry.Channel.COMMAND
        )

    def _to_stdout(self, export: GiftExport, format: str, bar: ProgressBar, binary) -> None:
        if format == "xlsx":
            # A zip file is finished at its end: build it aside, then copy.
            with tempfile.TemporaryFile() as file:
                _write(export, format, file, bar)
                file.seek(0)
                shutil.copyfileobj(file, binary)
            binary.flush()
            return
        for chunk in _counted_chunks(export, bar):
            if binary is not None:
                binary.write(chunk)
            else:  # a text stream (call_command with stdout=StringIO)
                self.stdout.write(chunk.decode(), ending="")
        if binary is not None:
            binary.flush()


def _write(export: GiftExport, format: str, file, bar: ProgressBar) -> None:
    if format == "xlsx":
        export.write_xlsx(file, progress=lambda: bar.advance(export.row_count - bar.done))
    else:
        for chunk in _counted_chunks(export, bar):
            file.write(chunk)


def _counted_chunks(export: GiftExport, bar: ProgressBar):
    for chunk in export.csv_chunks():
        yield chunk
        bar.advance(export.row_count - bar.done)
    bar.advance(export.row_count - bar.done)
