from django.contrib import admin

from finance.models import AuditLogEntry, GiftImport, OfflineGift
from hopefund.admin import ReadOnlyModelAdmin


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "action", "channel", "subject", "row_count", "actor")
    list_filter = ("action", "channel", "subject")
    search_fields = ("actor", "subject")
    date_hierarchy = "created_at"


@admin.register(GiftImport)
class GiftImportAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "file_name", "status", "dry_run", "total_rows", "imported_rows", "created_by")
    list_filter = ("status", "dry_run")
    search_fields = ("file_name", "public_id")
    list_select_related = ("created_by",)


@admin.register(OfflineGift)
class OfflineGiftAdmin(ReadOnlyModelAdmin):
    list_display = ("external_reference", "method", "received_on", "donation", "gift_import", "line_number")
    list_filter = ("method",)
    search_fields = ("external_reference", "donation__public_id", "donation__donor__email")
    list_select_related = ("donation", "gift_import")
