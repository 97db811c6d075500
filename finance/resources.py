"""django-import-export resources for the admin: small, filtered exports
(CSV, XLSX) of gifts, donors, refunds and receipts, and the donor import.

import-export builds a whole export in memory, so these are for what an
admin changelist shows; `export_donations` streams large exports.

Only donors can be imported. Gifts, refunds and receipts are export-only:
rows written through the admin would bypass the ledger's services, so the
campaign counters, receipts and refund checks would no longer agree with
them (offline gifts come in through `import_gifts`)."""

from django.core.exceptions import ValidationError
from import_export import resources
from import_export.fields import Field

from core.money import as_decimal
from donations.models import Donation, Donor, Refund
from finance.spreadsheets import escape_formula
from receipts.models import Receipt


class SpreadsheetSafeResource(resources.ModelResource):
    """Escapes every exported text cell. import-export's own
    IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT (v4) only drops a leading "="
    and turns every cell into text, so it is not used."""

    def export_field(self, field, instance, **kwargs):
        return escape_formula(super().export_field(field, instance, **kwargs))


def _amount(field_name: str, column_name: str) -> Field:
    """An amount in minor units, exported as a plain decimal (50.00) in the
    row's currency, never locale-formatted."""
    return Field(
        column_name=column_name, dehydrate_method=lambda row: as_decimal(getattr(row, field_name), row.currency)
    )


class DonationResource(SpreadsheetSafeResource):
    """Export only (see the module's docstring)."""

    donor_email = Field(attribute="donor__email", column_name="donor_email")
    donor_first_name = Field(attribute="donor_first_name", column_name="donor_first_name")
    donor_last_name = Field(attribute="donor_last_name", column_name="donor_last_name")
    # As given with the gift; empty for a person's own gift.
    organization = Field(attribute="organization_name", column_name="organization")
    campaign = Field(attribute="campaign__slug", column_name="campaign")
    team = Field(attribute="team__slug", column_name="team")
    fundraiser = Field(attribute="fundraiser__slug", column_name="fundraiser")
    fund = Field(attribute="fund__slug", column_name="fund")
    amount = _amount("amount_minor", "amount")
    fee_covered = _amount("fee_covered_minor", "fee_covered")
    # Named as in export_donations: what the donor was charged.
    gross = _amount("charged_minor", "gross")
    refunded = _amount("refunded_minor", "refunded")
    stripe_fee = Field(column_name="stripe_fee")
    net = Field(column_name="net")
    allocations = Field(column_name="allocations")

    class Meta:
        model = Donation
        fields = (
            "public_id",
            "created_at",
            "succeeded_at",
            "status",
            "source",
            "frequency",
            "donor_email",
            "donor_first_name",
            "donor_last_name",
            "organization",
            "campaign",
            "team",
            "fundraiser",
            "fund",
            "currency",
            "amount",
            "fee_covered",
            "gross",
            "refunded",
            "stripe_fee",
            "net",
            "allocations",
            "anonymous",
            "message",
            "dedication",
            "dedication_kind",
            "dedication_name",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("donor", "campaign", "team", "fundraiser", "fund").prefetch_related(
            "allocations__fund"
        )

    def dehydrate_stripe_fee(self, donation: Donation):
        # Empty until Stripe reports it (and for offline gifts).
        if donation.stripe_fee_minor is None:
            return ""
        return as_decimal(donation.stripe_fee_minor, donation.currency)

    def dehydrate_net(self, donation: Donation):
        """Charged, less refunds and Stripe's fee: the finance overview's net.
        Empty, as in export_donations, while an online gift's fee is unknown."""
        if donation.stripe_fee_minor is None and donation.source == Donation.Source.ONLINE:
            return ""
        net = donation.kept_minor - (donation.stripe_fee_minor or 0)
        return as_decimal(net, donation.currency)

    def dehydrate_allocations(self, donation: Donation):
        """The gift's parts in the donor's order, "rescue 60.00; aftercare
        40.00" (one part for a gift not split). One cell rather than a row
        per part: a changelist export is a row per gift, and export_donations
        is the file with a row per part and each part's fees."""
        # .all(): the parts prefetched by filter_export, in position order.
        parts = donation.allocations.all()
        return "; ".join(f"{part.fund.slug} {as_decimal(part.amount_minor, donation.currency)}" for part in parts)


class RefundResource(SpreadsheetSafeResource):
    """Export only (see the module's docstring)."""

    donation = Field(attribute="donation__public_id", column_name="donation")
    currency = Field(attribute="donation__currency", column_name="currency")
    amount = Field(column_name="amount")
    requested_by = Field(attribute="requested_by__email", column_name="requested_by")

    class Meta:
        model = Refund
        fields = (
            "id",
            "created_at",
            "donation",
            "currency",
            "amount",
            "reason",
            "status",
            "stripe_refund_id",
            "requested_by",
            "note",
            "failure_message",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("donation", "requested_by")

    def dehydrate_amount(self, refund: Refund):
        return as_decimal(refund.amount_minor, refund.donation.currency)


class ReceiptResource(SpreadsheetSafeResource):
    """Export only (see the module's docstring)."""

    donation = Field(attribute="donation__public_id", column_name="donation")
    donor_email = Field(attribute="donation__donor__email", column_name="donor_email")
    replaces = Field(attribute="replaces__number", column_name="replaces")
    amount = _amount("amount_minor", "amount")
    benefit_value = _amount("benefit_value_minor", "benefit_value")

    class Meta:
        model = Receipt
        fields = (
            "number",
            "year",
            "issued_at",
            "status",
            "donation",
            "donor_email",
            "currency",
            "amount",
            "benefit_description",
            "benefit_value",
            "replaces",
            "sent_at",
            "voided_at",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("donation__donor", "replaces")


class DonorResource(SpreadsheetSafeResource):
    """Exports donors, and imports corrections to existing donors' names
    and postal addresses, matched by email in any case. A row for an email
    we do not know is refused: donors come into being with their gifts."""

    class Meta:
        model = Donor
        fields = ("email", *Donor.DETAIL_FIELDS)
        export_order = fields
        import_id_fields = ("email",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def before_import_row(self, row, **kwargs):
        # Emails are stored lower-case; people type them as they like.
        if isinstance(row.get("email"), str):
            row["email"] = row["email"].strip().lower()

    def init_instance(self, row=None):
        raise ValidationError(f"No donor has the email {row.get('email')!r}; only existing donors can be updated.")
