from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from core.admin import ReadOnlyModelAdmin
from core.images import ADMIN_IMAGE_FIELDS
from core.money import format_money
from receipts import emails, outbox, selectors, views
from receipts.models import (
    CampaignBenefit,
    DedicationCard,
    EmailSuppression,
    GiftNotice,
    ImpactUpdate,
    MoveNotice,
    ProviderEvent,
    Receipt,
    ThankYouNote,
    UpdateDelivery,
    VoidNotice,
    YearEndStatement,
)
from receipts.services import dedication_cards, gift_notices, impact_updates, statements, thank_you_notes
from receipts.services import receipts as receipt_services

RESEND_PERMISSION = "receipts.resend_email"


class OutboundEmailAdmin(ReadOnlyModelAdmin):
    """Staff see each email's delivery (filter by status for the failed
    ones, with the provider's error); those with receipts.resend_email can
    send failed ones again."""

    email_kind: str
    actions = ["send_failed_again"]

    @admin.display(description="Last error")
    def error(self, email):
        return Truncator(email.last_error).chars(120)

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm(RESEND_PERMISSION)

    @admin.action(description="Send the selected failed emails again", permissions=["resend"])
    def send_failed_again(self, request, queryset):
        queued = outbox.send_again(kind=self.email_kind, pks=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{queued} failed email(s) queued to send again; others were left as they are.")


@admin.register(Receipt)
class ReceiptAdmin(OutboundEmailAdmin):
    email_kind = receipt_services.RECEIPT_EMAIL
    list_display = ("number", "donation", "amount", "status", "attempts", "error", "issued_at", "sent_at", "replaces")
    list_filter = ("status", "year")
    search_fields = ("number", "donation__donor__email")
    list_select_related = ("donation", "replaces")

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "pdf"]

    @admin.display(description="Amount")
    def amount(self, receipt):
        return format_money(receipt.amount_minor, receipt.currency)

    @admin.display(description="PDF")
    def pdf(self, receipt):
        return format_html(
            '<a href="{}">Download the PDF</a>', reverse("admin:receipts_receipt_pdf", args=[receipt.pk])
        )

    def get_urls(self):
        return [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="receipts_receipt_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk: int):
        """The PDF as the donor has it. Staff have no donor's link: only the
        hash of its token is stored."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        # admin_view already keeps it out of every cache.
        return views.pdf_response(get_object_or_404(Receipt, pk=pk))


@admin.register(VoidNotice)
class VoidNoticeAdmin(OutboundEmailAdmin):
    email_kind = receipt_services.VOID_NOTICE_EMAIL
    list_display = ("receipt", "status", "attempts", "error", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("receipt__number",)


@admin.register(YearEndStatement)
class YearEndStatementAdmin(OutboundEmailAdmin):
    email_kind = statements.STATEMENT_EMAIL
    list_display = ("period", "entity", "donor", "replaces", "status", "attempts", "error", "created_at", "sent_at")
    list_filter = ("status", "period", "entity")
    search_fields = ("donor__email",)
    list_select_related = ("donor", "entity", "replaces")


@admin.register(GiftNotice)
class GiftNoticeAdmin(OutboundEmailAdmin):
    email_kind = gift_notices.GIFT_NOTICE_EMAIL
    list_display = ("donation", "recipient", "status", "attempts", "error", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("recipient__email", "donation__public_id")
    list_select_related = ("donation", "recipient")


@admin.register(MoveNotice)
class MoveNoticeAdmin(OutboundEmailAdmin):
    email_kind = gift_notices.MOVE_NOTICE_EMAIL
    list_display = ("move", "recipient", "status", "attempts", "error", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("recipient__email", "move__donation__public_id")
    list_select_related = ("move", "recipient")


@admin.register(DedicationCard)
class DedicationCardAdmin(OutboundEmailAdmin):
    email_kind = dedication_cards.DEDICATION_CARD_EMAIL
    list_display = ("donation", "email", "status", "attempts", "error", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("email", "donation__public_id")
    list_select_related = ("donation",)


@admin.register(ThankYouNote)
class ThankYouNoteAdmin(OutboundEmailAdmin):
    """Fundraisers' notes to their donors, read-only: what was written, by
    whom, and whether it went out (skipped: the address is suppressed)."""

    email_kind = thank_you_notes.THANK_YOU_EMAIL
    list_display = ("donation", "signed_as", "page_name", "status", "attempts", "error", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("page_name", "signed_as")
    list_select_related = ("donation",)


@admin.register(UpdateDelivery)
class UpdateDeliveryAdmin(OutboundEmailAdmin):
    email_kind = impact_updates.UPDATE_EMAIL
    list_display = ("update", "donor", "status", "attempts", "error", "sent_at")
    list_filter = ("status", "update")
    search_fields = ("donor__email",)
    list_select_related = ("update", "donor")


@admin.register(ImpactUpdate)
class ImpactUpdateAdmin(admin.ModelAdmin):
    """Write an update, preview it, send a test to yourself, then send it."""

    change_form_template = "receipts/admin/impactupdate_change_form.html"
    list_display = ("title", "audience", "fund", "campaign", "status", "created_at")
    list_filter = ("status", "audience")
    fields = ("title", "body", "image", "image_alt", "audience", "fund", "campaign", "status", "deliveries")
    readonly_fields = ("status", "deliveries")
    # Emailed to every donor in the audience: re-encoded without EXIF or GPS.
    formfield_overrides = ADMIN_IMAGE_FIELDS

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != ImpactUpdate.Status.DRAFT:
            return self.fields  # once sending has started, what was sent stays on record
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="Deliveries")
    def deliveries(self, update):
        counts = selectors.delivery_counts(update.pk) if update.pk else {}
        return ", ".join(f"{status}: {count}" for status, count in sorted(counts.items())) or "none yet"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/preview/", view(self.preview_view), name="receipts_impactupdate_preview"),
            path(
                "<int:pk>/send-test/", view(require_POST(self.send_test_view)), name="receipts_impactupdate_send_test"
            ),
            path("<int:pk>/send/", view(require_POST(self.send_view)), name="receipts_impactupdate_send"),
            *super().get_urls(),
        ]

    def _update_or_403(self, request, pk: int) -> ImpactUpdate:
        update = get_object_or_404(ImpactUpdate, pk=pk)
        if not self.has_change_permission(request, update):
            raise PermissionDenied
        return update

    def preview_view(self, request, pk: int):
        update = self._update_or_403(request, pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": update,
            "title": f"Preview: {update.title}",
            "preview": emails.update_preview(update),
        }
        return TemplateResponse(request, "receipts/admin/impactupdate_preview.html", context)

    def send_test_view(self, request, pk: int):
        update = self._update_or_403(request, pk)
        if not request.user.email:
            self.message_user(request, "Add an email address to your account to get test emails.", messages.ERROR)
        else:
            try:
                impact_updates.send_update_test(update_id=update.pk, to=request.user.email)
            except Exception as exc:  # the provider's error, shown to staff as it is
                self.message_user(request, f"The test email could not be sent: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"A test email is on its way to {request.user.email}.")
        return redirect("admin:receipts_impactupdate_preview", pk=update.pk)

    def send_view(self, request, pk: int):
        update = self._update_or_403(request, pk)
        impact_updates.start_sending_update(update_id=update.pk)
        self.message_user(
            request, f"“{update.title}” is being sent. Suppressed and unsubscribed addresses are skipped."
        )
        return redirect("admin:receipts_impactupdate_change", update.pk)


@admin.register(EmailSuppression)
class EmailSuppressionAdmin(admin.ModelAdmin):
    """Staff may add an address (a donor asked by phone) or lift one."""

    list_display = ("email", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("email",)


@admin.register(CampaignBenefit)
class CampaignBenefitAdmin(admin.ModelAdmin):
    list_display = ("campaign", "description", "value_minor", "minimum_gift_minor", "applies_to")


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyModelAdmin):
    list_display = ("received_at", "esp_name", "event_type", "recipient")
    list_filter = ("event_type", "esp_name")
    search_fields = ("recipient",)
