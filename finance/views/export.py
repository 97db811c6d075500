"""The finance page that downloads the gift export (finance.exports)."""

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime

from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from finance.access import finance_permission_required
from finance.export_forms import GiftExportForm
from finance.exports import COLUMNS, GiftExport, GiftFilters
from finance.models import AuditLogEntry
from finance.services import audit

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@require_GET
@finance_permission_required("finance.export_gifts")
def export_gifts(request):
    """The filters form; with `?download=csv` (or xlsx) the file itself."""
    file_format = request.GET.get("download")
    if file_format is None:
        return _page(request, GiftExportForm())
    form = GiftExportForm(request.GET)
    if not form.is_valid() or file_format not in CONTENT_TYPES:
        if file_format not in CONTENT_TYPES:
            form.add_error(None, "Choose CSV or XLSX.")
        return _page(request, form, status=400)

    filters = form.filters()
    export = GiftExport(filters)
    filename = f"gifts-{datetime.now(UTC):%Y%m%d-%H%M%S}.{file_format}"
    if file_format == "xlsx":
        # A zip file is finished at its end: built aside, then sent.
        file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response once sent)
        export.write_xlsx(file)
        _record(request, export, filters, file_format)
        file.seek(0)
        response = FileResponse(file, as_attachment=True, filename=filename, content_type=CONTENT_TYPES["xlsx"])
    else:
        response = StreamingHttpResponse(
            _recorded_at_the_end(request, export, filters), content_type=CONTENT_TYPES["csv"]
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Donors' personal data: never kept by a browser or proxy cache.
    response["Cache-Control"] = "private, no-store"
    return response


def _page(request, form: GiftExportForm, *, status: int = 200):
    return render(request, "finance/export.html", {"form": form, "columns": COLUMNS}, status=status)


def _recorded_at_the_end(request, export: GiftExport, filters: GiftFilters) -> Iterator[bytes]:
    """The CSV stream; the audit entry is written when it ends, with the
    rows that went out (also when the download is cut short)."""
    try:
        yield from export.csv_chunks()
    finally:
        _record(request, export, filters, "csv")


def _record(request, export: GiftExport, filters: GiftFilters, file_format: str) -> None:
    audit.record_gift_export(
        export=export, filters=filters, file_format=file_format, channel=AuditLogEntry.Channel.WEB, user=request.user
    )
