from django.contrib import admin

from finance.models import Payout, PayoutLine
from hopefund.admin import ReadOnlyModelAdmin

# --- Payouts --------------------------------------------------------------


class PayoutLineInline(admin.TabularInline):
    model = PayoutLine
    fields = ("created_at", "balance_transaction_id", "type", "source_id", "description", "amount_minor",
              "fee_minor", "net_minor", "currency", "donation", "refund")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("donation", "refund")


@admin.register(Payout)
class PayoutAdmin(ReadOnlyModelAdmin):
    list_display = ("stripe_payout_id", "arrival_date", "status", "amount_minor", "currency", "fetched_at")
    list_filter = ("status", "currency")
    search_fields = ("stripe_payout_id", "lines__balance_transaction_id", "lines__source_id")
    date_hierarchy = "arrival_date"
    inlines = [PayoutLineInline]
