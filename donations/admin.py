import secrets
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from campaigns import selectors as campaign_selectors
from campaigns.models import Fund, Fundraiser, Team
from core import shared_cache
from core.admin import ReadOnlyModelAdmin, ReadOnlyTabularInline
from core.money import CURRENCIES, format_money
from donations import selectors
from donations.models import (
    Dispute,
    Donation,
    Donor,
    GiftAidDeclaration,
    GiftMove,
    GivingTotal,
    PlanChange,
    RecurringPlan,
    Refund,
    StripeEvent,
)
from donations.services import gift_aid, moves, recurring, refunds
from payments import stripe as stripe_gateway


@admin.register(Donor)
class DonorAdmin(admin.ModelAdmin):
    list_display = ("email", "first_name", "last_name", "country", "created_at")
    search_fields = ("email", "first_name", "last_name")


REFUND_PERMISSION = "donations.refund_donation"
# How long an opened refund form may be submitted, and so how long the
# cache remembers that its token was used.
REFUND_FORM_MAX_AGE = 60 * 60
REFUND_FORM_SALT = "donations.admin.refund-form"
ALREADY_SUBMITTED = (
    "This refund form was already submitted, so nothing more was refunded: the gift's refunds are below. "
    "To refund more, open the refund form again."
)
# Without Redis nothing tells this submission from a double click's second
# one, and a refund must never be sent twice: refused (fail safe).
CANNOT_CHECK_RESUBMISSION = (
    "Refunds are paused for a moment, so nothing was refunded: the check that stops a form being "
    "submitted twice (Redis) cannot be reached. Send the form again in a minute."
)


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        min_value=Decimal("0.01"), decimal_places=2, max_digits=12, help_text="In the gift's currency, e.g. 25.00"
    )
    # Offered for a split gift only: pro rata (empty) or out of one part.
    fund = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Take it from",
        help_text="A split gift is refunded out of every part in proportion, unless you choose one fund's part.",
    )
    reason = forms.ChoiceField(choices=Refund.Reason.choices)
    note = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    # One refund per rendered form: a double click, a resubmit or a
    # replayed request carries a token that was already used.
    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, donation_id: int, parts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.donation_id = donation_id
        if len(parts) > 1:
            self.fields["fund"].choices = [("", "Every part, pro rata")] + [
                (part.fund_id, part.fund.name) for part in parts
            ]
        else:
            del self.fields["fund"]

    def clean(self):
        cleaned = super().clean()
        try:
            signed = signing.loads(cleaned.get("form_token", ""), salt=REFUND_FORM_SALT, max_age=REFUND_FORM_MAX_AGE)
        except signing.BadSignature:
            signed = None
        if not isinstance(signed, dict) or signed.get("donation") != self.donation_id:
            raise forms.ValidationError("This form had expired and nothing was refunded; check it and send it again.")
        cleaned["form_token"] = signed["nonce"]
        return cleaned

    def claim_token(self) -> bool:
        """Mark this form's token used; False if it already was. The cache's
        add is atomic, so of two submissions at once only one claims it.
        SharedCacheDown when Redis cannot be asked."""
        token = self.cleaned_data["form_token"]
        return shared_cache.add(f"refund-form:{token}", 1, timeout=REFUND_FORM_MAX_AGE, when_down=shared_cache.REFUSE)

    def renew_token(self) -> "RefundForm":
        """Before the form is shown (again): an unused token, keeping what
        was typed and the errors found in it."""
        token = new_refund_form_token(self.donation_id)
        if self.is_bound:
            self.data = self.data.copy()
            self.data["form_token"] = token
        else:
            self.initial["form_token"] = token
        return self


def new_refund_form_token(donation_id: int) -> str:
    return signing.dumps({"donation": donation_id, "nonce": secrets.token_urlsafe(16)}, salt=REFUND_FORM_SALT)


MOVE_PERMISSION = "donations.move_donation"


class MoveForm(forms.Form):
    """Where the gift should count, within its campaign, and why."""

    fundraiser = forms.ModelChoiceField(
        queryset=Fundraiser.objects.none(),
        required=False,
        empty_label="No fundraiser",
        help_text="A gift to a fundraiser on a team counts for the team too.",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="No team",
        help_text="Leave as it is, or blank, when a fundraiser is chosen: the fundraiser's team is used.",
    )
    fund = forms.ModelChoiceField(queryset=Fund.objects.none(), empty_label=None)
    reason = forms.CharField(
        max_length=moves.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the gift's audit log with your name and the time.",
    )

    def __init__(self, *args, donation: Donation, **kwargs):
        initial = {"fundraiser": donation.fundraiser_id, "team": donation.team_id, "fund": donation.fund_id}
        super().__init__(*args, initial=initial, **kwargs)
        self.donation = donation
        campaign = donation.campaign
        self.fields["fundraiser"].queryset = Fundraiser.objects.filter(campaign=campaign).order_by("name")
        self.fields["team"].queryset = Team.objects.filter(campaign=campaign).order_by("name")
        offered = [fund.pk for fund in campaign_selectors.funds_offered(campaign)]
        self.fields["fund"].queryset = Fund.objects.filter(pk__in=[*offered, donation.fund_id])

    def destination(self) -> dict:
        """move_gift's `to_` arguments. A fundraiser brings its own team
        when the team is left blank or as it was; a team changed to one
        the fundraiser is not on is passed on, and refused."""
        fundraiser, team = self.cleaned_data["fundraiser"], self.cleaned_data["team"]
        to = {"to_fundraiser": fundraiser, "to_fund": self.cleaned_data["fund"]}
        team_left = team is None or team.pk == self.donation.team_id
        if fundraiser is None or not (team_left or team.pk == fundraiser.team_id):
            to["to_team"] = team
        return to


class GiftMoveInline(ReadOnlyTabularInline):
    model = GiftMove
    fk_name = "donation"
    fields = (
        "moved_at",
        "actor",
        "reason",
        "from_fundraiser",
        "to_fundraiser",
        "from_team",
        "to_team",
        "from_fund",
        "to_fund",
        "kept_minor",
        "receipt_before",
        "receipt_after",
    )
    verbose_name = "move"
    verbose_name_plural = "moves (audit log)"


class RefundInline(ReadOnlyTabularInline):
    model = Refund
    fields = ("created_at", "amount_minor", "fund", "reason", "note", "status", "stripe_refund_id", "requested_by")


@admin.register(Donation)
class DonationAdmin(ReadOnlyModelAdmin):
    list_display = (
        "public_id",
        "created_at",
        "donor_as_given",
        "campaign",
        "fund",
        "amount_minor",
        "currency",
        "status",
    )
    list_filter = ("status", "source", "frequency", "fund", "campaign")
    search_fields = ("public_id", "donor__email", "organization_name", "payment_intent_id", "charge_id")
    list_select_related = ("donor", "campaign", "fund")
    date_hierarchy = "created_at"
    inlines = [RefundInline, GiftMoveInline]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "parts_table", "refund_link", "move_link"]

    @admin.display(description="Parts")
    def parts_table(self, obj):
        """Each part's money, and the whole gift's below (read-only: the
        services write parts). Amounts as the gift's currency shows them."""
        parts = selectors.part_figures(obj)
        if not parts:
            return "-"

        def cells(figures) -> tuple:
            return tuple(
                format_money(amount, obj.currency)
                for amount in (
                    figures.amount_minor,
                    figures.fee_covered_minor,
                    figures.gross_minor,
                    figures.stripe_fee_minor,
                    figures.refunded_minor,
                    figures.net_minor,
                )
            )

        whole = selectors.PartFigures(
            "Whole gift",
            obj.amount_minor,
            obj.fee_covered_minor,
            obj.stripe_fee_minor or 0,
            obj.refunded_minor,
        )
        row = '<tr><th scope="row">{}</th>' + "<td>{}</td>" * 6 + "</tr>"
        return format_html(
            "<table class=\"gift-parts\"><caption>The gift's parts by fund; Stripe's fee is shared in proportion "
            'to what each part was charged{}</caption><thead><tr><th scope="col">Fund</th>'
            '<th scope="col">Amount</th><th scope="col">Fee covered</th><th scope="col">Gross</th>'
            '<th scope="col">Stripe fee share</th><th scope="col">Refunded</th><th scope="col">Net</th>'
            "</tr></thead><tbody>{}</tbody><tfoot>{}</tfoot></table>",
            "" if obj.stripe_fee_minor is not None else " (Stripe has not reported its fee yet)",
            format_html_join("", row, ((part.fund_name, *cells(part)) for part in parts)),
            format_html(row, whole.fund_name, *cells(whole)),
        )

    @admin.display(description="Donor", ordering="donor_last_name")
    def donor_as_given(self, obj):
        """The name given with this gift, and the donor's email."""
        return f"{obj.donor_full_name} <{obj.donor.email}>"

    @admin.display(description="Refund")
    def refund_link(self, obj):
        if obj.status not in Donation.REFUNDABLE_STATUSES:
            return "-"
        return format_html(
            '<a class="button" href="{}">Refund this gift</a>',
            reverse("admin:donations_donation_refund", args=[obj.pk]),
        )

    @admin.display(description="Move")
    def move_link(self, obj):
        if not obj.is_counted:
            return "-"
        return format_html(
            '<a class="button" href="{}">Move this gift</a>',
            reverse("admin:donations_donation_move", args=[obj.pk]),
        )

    def get_urls(self):
        return [
            path("<int:pk>/refund/", self.admin_site.admin_view(self.refund_view), name="donations_donation_refund"),
            path("<int:pk>/move/", self.admin_site.admin_view(self.move_view), name="donations_donation_move"),
            *super().get_urls(),
        ]

    def move_view(self, request, pk: int):
        """The move form; a valid one is shown back to be confirmed (from
        where to where, and why), and only a confirmed one moves the gift."""
        if not request.user.has_perm(MOVE_PERMISSION):
            raise PermissionDenied
        donation = get_object_or_404(Donation.objects.select_related("campaign", "fund", "team", "fundraiser"), pk=pk)
        form = MoveForm(request.POST or None, donation=donation)
        confirming = False
        if request.method == "POST" and form.is_valid():
            if "confirm" in request.POST:
                try:
                    moves.move_gift(
                        donation_id=donation.pk,
                        reason=form.cleaned_data["reason"],
                        moved_by=request.user,
                        channel=GiftMove.Channel.ADMIN,
                        **form.destination(),
                    )
                except moves.MoveRefused as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, "The gift was moved; its totals moved with it.")
                    return redirect("admin:donations_donation_change", donation.pk)
            else:
                confirming = True
        context = {
            **self.admin_site.each_context(request),
            "title": f"Move gift {donation.public_id}",
            "donation": donation,
            "form": form,
            "confirming": confirming,
            "kept": format_money(donation.kept_minor, donation.currency),
            "opts": self.model._meta,
        }
        status = 400 if form.errors else 200
        return render(request, "admin/donations/donation/move.html", context, status=status)

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm(REFUND_PERMISSION)

    def refund_view(self, request, pk: int):
        if not self.has_refund_permission(request):
            raise PermissionDenied
        donation = get_object_or_404(Donation, pk=pk)
        currency = CURRENCIES[donation.currency]
        form = RefundForm(request.POST or None, donation_id=donation.pk, parts=selectors.parts_of(donation))
        if request.method == "POST" and form.is_valid():
            try:
                claimed = form.claim_token()
            except shared_cache.SharedCacheDown as down:
                return self._refund_form(request, donation, form, cache_down=down)
            if not claimed:
                messages.warning(request, ALREADY_SUBMITTED)
                return redirect("admin:donations_donation_change", donation.pk)
            amount_minor = int(form.cleaned_data["amount"].scaleb(currency.exponent))
            try:
                refund = refunds.request_refund(
                    donation_id=donation.pk,
                    amount_minor=amount_minor,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    requested_by=request.user,
                    fund_id=form.cleaned_data.get("fund"),
                )
            except refunds.RefundRefused as exc:
                form.add_error("amount", str(exc))
            except stripe_gateway.StripeUnavailable:
                form.add_error(
                    None,
                    "Stripe could not be reached. The refund is recorded as pending; "
                    "check again in a few minutes before retrying.",
                )
            else:
                messages.success(request, f"Refunded {format_money(refund.amount_minor, donation.currency)}.")
                return redirect("admin:donations_donation_change", donation.pk)
        return self._refund_form(request, donation, form)

    def _refund_form(self, request, donation, form, *, cache_down: shared_cache.SharedCacheDown | None = None):
        """The refund form (again); with `cache_down`, a 503 with Retry-After
        saying that nothing was refunded."""
        if cache_down:
            form.add_error(None, CANNOT_CHECK_RESUBMISSION)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund gift {donation.public_id}",
            "donation": donation,
            "form": form.renew_token(),
            "charged": format_money(donation.charged_minor, donation.currency),
            "refundable": format_money(refunds.refundable_minor(donation), donation.currency),
            "parts": [
                (part.fund.name, format_money(part.kept_minor, donation.currency))
                for part in selectors.parts_of(donation)
            ],
            "opts": self.model._meta,
        }
        status = 503 if cache_down else 400 if form.errors else 200
        response = render(request, "admin/donations/donation/refund.html", context, status=status)
        if cache_down:
            response["Retry-After"] = str(cache_down.retry_after)
        return response


@admin.register(Refund)
class RefundAdmin(ReadOnlyModelAdmin):
    list_display = ("donation", "amount_minor", "reason", "status", "requested_by", "created_at")
    list_filter = ("status", "reason")
    search_fields = ("donation__public_id", "stripe_refund_id")


@admin.register(GiftMove)
class GiftMoveAdmin(ReadOnlyModelAdmin):
    """Finance's audit log of gifts moved: read here, written by the service."""

    list_display = ("moved_at", "donation", "actor", "from_fund", "to_fund", "from_fundraiser", "to_fundraiser")
    list_filter = ("channel", "to_fund")
    search_fields = ("donation__public_id", "actor", "reason")
    list_select_related = ("donation", "from_fund", "to_fund", "from_fundraiser", "to_fundraiser")
    date_hierarchy = "moved_at"


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyModelAdmin):
    list_display = ("stripe_dispute_id", "donation", "amount_minor", "reason", "status", "opened_at")
    list_filter = ("status",)


class PlanChangeInline(ReadOnlyTabularInline):
    """What the donor's link was used for, newest first."""

    model = PlanChange
    fields = ("made_at", "kind", "old_monthly_minor", "new_monthly_minor", "notice_sent_at")


@admin.register(RecurringPlan)
class RecurringPlanAdmin(ReadOnlyModelAdmin):
    list_display = ("public_id", "donor", "campaign", "fund", "amount_minor", "currency", "status", "created_at")
    list_filter = ("status", "campaign")
    search_fields = ("donor__email", "stripe_subscription_id")
    inlines = [PlanChangeInline]
    actions = ["revoke_links"]

    @admin.action(description="Revoke monthly-gift links", permissions=["change"])
    def revoke_links(self, request, queryset):
        """For a donor who says someone else has their link: every link
        sent so far stops working; their next email carries a new one."""
        revoked = recurring.revoke_links(plan_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Links revoked for {revoked} monthly gift(s). Older emails' links no longer work.")


@admin.register(GiftAidDeclaration)
class GiftAidDeclarationAdmin(ReadOnlyModelAdmin):
    """Donors' Gift Aid declarations as made: read here, never edited or
    deleted; finance records a cancellation the donor asked for by phone,
    letter or email."""

    list_display = ("declared_at", "full_name", "postcode", "charity_name", "source", "scope", "cancelled_at")
    list_filter = ("source", "scope", ("cancelled_at", admin.EmptyFieldListFilter))
    search_fields = ("donor__email", "last_name", "postcode", "public_id")
    list_select_related = ("donor",)
    date_hierarchy = "declared_at"
    actions = ["cancel_declarations"]

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("donations.cancel_giftaiddeclaration")

    @admin.action(description="Cancel the selected Gift Aid declarations (the donor asked us)", permissions=["cancel"])
    def cancel_declarations(self, request, queryset):
        cancelled = sum(
            gift_aid.cancel_declaration(
                declaration=declaration,
                source=GiftAidDeclaration.CancellationSource.STAFF,
                by=request.user.get_username(),
            )
            for declaration in queryset
        )
        self.message_user(
            request,
            f"{cancelled} declaration(s) cancelled: gifts from now on will not be claimed. "
            "Declarations already cancelled keep their first cancellation.",
        )


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyModelAdmin):
    list_display = ("event_id", "type", "status", "attempts", "received_at", "processed_at", "payload_pruned_at")
    list_filter = ("status", "type")
    search_fields = ("event_id",)

    def get_readonly_fields(self, request, obj=None):
        return ["payload_kept", *super().get_readonly_fields(request, obj)]

    @admin.display(description="Payload")
    def payload_kept(self, obj) -> str:
        if obj.payload_pruned_at is None:
            return "Kept in full (below)."
        return (
            f"Pruned on {obj.payload_pruned_at:%Y-%m-%d} by the retention schedule (RETAIN_STRIPE_EVENT_PAYLOAD_DAYS): "
            "only the event's id and type are kept, so a repeated delivery is still known. "
            "Stripe's dashboard has the event for 30 days."
        )


@admin.register(GivingTotal)
class GivingTotalAdmin(ReadOnlyModelAdmin):
    list_display = ("campaign", "team", "fundraiser", "raised_minor", "gift_count", "donor_count")
    list_select_related = ("campaign", "team", "fundraiser")
