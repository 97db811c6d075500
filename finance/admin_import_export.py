"""Admin export (and, for donors, import) through django-import-export,
gated by the finance permissions and written to the audit log."""

from import_export.admin import ExportMixin, ImportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.results import RowResult

from finance.models import AuditLogEntry
from finance.services import audit

EXPORT_PERMISSION = "finance.export_gifts"
IMPORT_PERMISSION = "finance.import_gifts"


class FinanceExportMixin(ExportMixin):
    """Export what the changelist shows (its filters and search apply) as
    CSV or XLSX. Needs finance.export_gifts and the right to see the model;
    every export is audited with its filters and row count."""

    # What the audit log calls the exported rows, e.g. "donations".
    audit_subject: str
    export_formats = [CSV, XLSX]

    def has_export_permission(self, request):
        return request.user.has_perm(EXPORT_PERMISSION) and self.has_view_permission(request)

    def get_data_for_export(self, request, queryset, **kwargs):
        dataset = super().get_data_for_export(request, queryset, **kwargs)
        audit.record(
            action=AuditLogEntry.Action.EXPORT,
            channel=AuditLogEntry.Channel.ADMIN,
            subject=self.audit_subject,
            row_count=len(dataset),
            filters=self._export_filters(request, kwargs.get("export_form")),
            user=request.user,
        )
        return dataset

    def _export_filters(self, request, export_form) -> dict:
        """The changelist's filters and search as they were in its address,
        the format, and how many rows were picked by hand, if any."""
        filters = {"changelist": request.GET.dict()}
        if export_form is not None:
            filters["format"] = self.get_export_formats()[int(export_form.cleaned_data["format"])]().get_title()
            if "export_items" in export_form.changed_data:
                filters["selected_rows"] = len(export_form.cleaned_data["export_items"])
        return filters


class FinanceImportExportMixin(ImportMixin, FinanceExportMixin):
    """FinanceExportMixin plus import-export's two-step import: upload,
    preview (nothing written), confirm. Needs finance.import_gifts and,
    since an import rewrites rows, the right to change the model; the
    preview and the import are both audited."""

    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    import_formats = [CSV, XLSX]

    def has_import_permission(self, request):
        return request.user.has_perm(IMPORT_PERMISSION) and self.has_change_permission(request)

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        result = (getattr(response, "context_data", None) or {}).get("result")
        if result is not None:
            # A preview shows matched donors' current details, so it is
            # recorded too, as a check that wrote nothing.
            self._audit_import(request, AuditLogEntry.Action.IMPORT_CHECK, result, request.FILES["import_file"].name)
        return response

    def process_dataset(self, dataset, form, request, **kwargs):
        result = super().process_dataset(dataset, form, request, **kwargs)
        self._audit_import(request, AuditLogEntry.Action.IMPORT, result, form.cleaned_data["original_file_name"])
        return result

    def _audit_import(self, request, action: str, result, file_name: str) -> None:
        totals = result.totals
        # A row that failed rolls the whole import back: nothing changed.
        changed = 0 if result.has_errors() else totals[RowResult.IMPORT_TYPE_NEW] + totals[RowResult.IMPORT_TYPE_UPDATE]
        audit.record(
            action=action,
            channel=AuditLogEntry.Channel.ADMIN,
            subject=self.audit_subject,
            row_count=changed,
            filters={
                "file": file_name,
                "rows": result.total_rows,
                "unchanged": totals[RowResult.IMPORT_TYPE_SKIP],
                "invalid": totals[RowResult.IMPORT_TYPE_INVALID],
                "failed": totals[RowResult.IMPORT_TYPE_ERROR],
            },
            user=request.user,
        )
