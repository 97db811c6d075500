from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from campaigns import services
from campaigns.models import (
    MAX_AMOUNT_PRESETS,
    AmountPreset,
    Campaign,
    CampaignUpdate,
    Fund,
    Fundraiser,
    Organization,
    PrivacyNotice,
    ReceiptingEntity,
    Team,
)
from core.images import ADMIN_IMAGE_FIELDS

MODERATE_PERMISSION = "campaigns.moderate_page"


class ModeratedAdmin(admin.ModelAdmin):
    """A page or update staff may hide: the actions need
    campaigns.moderate_page, not merely the right to see the list."""

    def has_moderate_permission(self, request) -> bool:
        return request.user.has_perm(MODERATE_PERMISSION)


def _moderation_actions(noun: str):
    """ "Hide" and "Show again" actions, through campaigns.services."""

    @admin.action(description=f"Hide the selected {noun} from the public site", permissions=["moderate"])
    def hide(modeladmin, request, queryset):
        count = services.set_hidden(items=queryset, hidden=True)
        modeladmin.message_user(request, f"Hid {count} {noun}.", messages.SUCCESS)

    @admin.action(description=f"Show the selected {noun} again", permissions=["moderate"])
    def show(modeladmin, request, queryset):
        count = services.set_hidden(items=queryset, hidden=False)
        modeladmin.message_user(request, f"{count} {noun} shown again.", messages.SUCCESS)

    return [hide, show]


class TeamInline(admin.TabularInline):
    model = Team
    fields = ("name", "slug", "goal_minor", "is_featured", "is_hidden")
    extra = 0
    show_change_link = True


class AmountPresetFormSet(BaseInlineFormSet):
    """A campaign's presets: at most MAX_AMOUNT_PRESETS, each amount once
    (the unique constraint, checked across the rows), each a gift donors
    can make in the campaign's currency as posted (AmountPreset.clean: the
    inline's rows are checked against the campaign on the form, saved or
    not)."""

    def clean(self):
        super().clean()
        # Blank extra rows are not presets; rows ticked for deletion go.
        filled = [form for form in self.forms if form.instance.pk or form.has_changed()]
        kept = [form for form in filled if not (self.can_delete and self._should_delete_form(form))]
        if len(kept) > MAX_AMOUNT_PRESETS:
            raise ValidationError(
                f"A campaign offers at most {MAX_AMOUNT_PRESETS} amounts; remove {len(kept) - MAX_AMOUNT_PRESETS}."
            )


class AmountPresetInline(admin.TabularInline):
    """The amounts the donate form offers, with what each does; none means
    the site's defaults. Each save or delete shows on the next page load
    (campaigns/signals.py)."""

    model = AmountPreset
    formset = AmountPresetFormSet
    fields = ("amount_minor", "impact_text", "position")
    extra = 0
    max_num = MAX_AMOUNT_PRESETS
    verbose_name = "amount preset"
    verbose_name_plural = "Amount presets (the donate form offers the defaults 25, 50, 100 and 250 when there are none)"


@admin.register(ReceiptingEntity)
class ReceiptingEntityAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "tax_number", "statement_year_start")
    list_filter = ("country",)
    search_fields = ("name", "tax_number")
    fieldsets = (
        (None, {"fields": ("name", "address", "country", "tax_number")}),
        ("On each receipt", {"fields": ("place_of_issue", "signatory_name", "signatory_title", "signature")}),
        ("Statements and benefits", {"fields": ("statement_year_start", "intangible_religious_benefits")}),
    )
    formfield_overrides = ADMIN_IMAGE_FIELDS


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "slug",
        "status",
        "is_open",
        "goal_minor",
        "currency",
        "receipting_entity",
        "donor_address_required",
        "starts_at",
        "ends_at",
    )
    list_filter = ("status",)
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("funds",)
    inlines = [AmountPresetInline, TeamInline]
    # Images uploaded in the admin are public too: re-encoded without EXIF or GPS.
    formfield_overrides = ADMIN_IMAGE_FIELDS

    @admin.display(boolean=True, description="Taking gifts now")
    def is_open(self, campaign):
        return campaign.is_open()


@admin.register(Team)
class TeamAdmin(ModeratedAdmin):
    list_display = ("name", "campaign", "slug", "goal_minor", "is_featured", "is_hidden")
    list_filter = ("campaign", "is_featured", "is_hidden")
    list_editable = ("is_featured",)
    search_fields = ("name", "slug")
    filter_horizontal = ("captains",)
    autocomplete_fields = ("organization",)
    formfield_overrides = ADMIN_IMAGE_FIELDS
    actions = _moderation_actions("teams")


@admin.register(Fundraiser)
class FundraiserAdmin(ModeratedAdmin):
    list_display = ("name", "campaign", "team", "owner", "goal_minor", "is_hidden")
    list_filter = ("campaign", "is_hidden")
    search_fields = ("name", "slug")
    raw_id_fields = ("owner",)
    formfield_overrides = ADMIN_IMAGE_FIELDS
    actions = _moderation_actions("fundraisers")


@admin.register(CampaignUpdate)
class CampaignUpdateAdmin(ModeratedAdmin):
    """Staff post campaign-wide updates here (leave team and fundraiser
    empty); captains and owners post theirs from their dashboards."""

    list_display = ("title", "campaign", "team", "fundraiser", "created_at", "is_hidden")
    list_filter = ("campaign", "is_hidden")
    search_fields = ("title", "body")
    raw_id_fields = ("team", "fundraiser", "author")
    actions = _moderation_actions("updates")


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active", "sort_order")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """Organisations given as: made by their first gift, and kept current
    by their latest paid one (address and contact). Finance may see them;
    editing one changes no earlier gift, receipt or statement."""

    list_display = ("name", "city", "country", "contact_name", "contact_email")
    search_fields = ("name", "contact_name", "contact_email")
    readonly_fields = ("created_at", "updated_at")


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(admin.ModelAdmin):
    """A published notice is the record of what donors were told: change it
    by adding a new one."""

    list_display = ("__str__", "published_at")

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
