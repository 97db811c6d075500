from django.contrib import admin

from core.admin import ReadOnlyModelAdmin, ReadOnlyTabularInline
from donations.models import Donation, Donor, Refund
from finance.admin_import_export import FinanceExportMixin, FinanceImportExportMixin
from finance.models import AuditLogEntry, GiftAidClaim, GiftAidClaimLine, GiftImport, OfflineGift, Payout, PayoutLine
from finance.resources import DonationResource, DonorResource, ReceiptResource, RefundResource
from receipts.models import Receipt


def _add_finance_actions(model, mixin, resource, audit_subject: str) -> None:
    """Give another app's admin page finance's export (or import) buttons.
    Finance sits above donations and receipts, so it extends their admin
    classes here instead of being imported by them. The admin imports each
    app's admin module in INSTALLED_APPS order, so theirs are registered
    by the time this runs."""
    base = type(admin.site.get_model_admin(model))
    admin.site.unregister(model)
    extended = type(base.__name__, (mixin, base), {"resource_classes": [resource], "audit_subject": audit_subject})
    admin.site.register(model, extended)


# Gifts, refunds and receipts are export only: rows written through the
# admin would bypass the ledger. Donors may be imported (with a preview).
_add_finance_actions(Donation, FinanceExportMixin, DonationResource, "donations")
_add_finance_actions(Refund, FinanceExportMixin, RefundResource, "refunds")
_add_finance_actions(Receipt, FinanceExportMixin, ReceiptResource, "receipts")
_add_finance_actions(Donor, FinanceImportExportMixin, DonorResource, "donors")


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

    def get_readonly_fields(self, request, obj=None):
        return ["file_kept", *super().get_readonly_fields(request, obj)]

    @admin.display(description="File")
    def file_kept(self, obj) -> str:
        if obj.content_pruned_at is None:
            return "Kept (below)."
        return (
            f"File pruned on {obj.content_pruned_at:%Y-%m-%d} by the retention schedule (RETAIN_IMPORT_FILE_DAYS); "
            "the gifts it imported are kept."
        )


@admin.register(OfflineGift)
class OfflineGiftAdmin(ReadOnlyModelAdmin):
    list_display = ("external_reference", "method", "received_on", "donation", "gift_import", "line_number")
    list_filter = ("method",)
    search_fields = ("external_reference", "donation__public_id", "donation__donor__email")
    list_select_related = ("donation", "gift_import")


class PayoutLineInline(ReadOnlyTabularInline):
    model = PayoutLine
    fields = (
        "created_at",
        "balance_transaction_id",
        "type",
        "source_id",
        "description",
        "amount_minor",
        "fee_minor",
        "net_minor",
        "currency",
        "donation",
        "refund",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("donation", "refund")


@admin.register(Payout)
class PayoutAdmin(ReadOnlyModelAdmin):
    list_display = ("stripe_payout_id", "arrival_date", "status", "amount_minor", "currency", "fetched_at")
    list_filter = ("status", "currency")
    search_fields = ("stripe_payout_id", "lines__balance_transaction_id", "lines__source_id")
    date_hierarchy = "arrival_date"
    inlines = [PayoutLineInline]


class GiftAidClaimLineInline(ReadOnlyTabularInline):
    model = GiftAidClaimLine
    fields = ("kind", "donation", "declaration", "amount_minor")


@admin.register(GiftAidClaim)
class GiftAidClaimAdmin(ReadOnlyModelAdmin):
    """The Gift Aid claims export_gift_aid_claim recorded: read here only."""

    list_display = ("pk", "created_at", "since", "until", "actor")
    date_hierarchy = "created_at"
    inlines = [GiftAidClaimLineInline]
