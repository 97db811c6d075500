"""Where a donor's data is: every row, in every table, that is about one
donor, found from the donor alone. The export (privacy.services.export)
lists them and the erasure (privacy.services.erasure) rewrites them, so
both always cover the same rows."""

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.db.models import Max, Q, QuerySet, TextField
from django.db.models.functions import Cast

from campaigns.models import Organization, TeamInvite
from donations.models import (
    Allocation,
    Dispute,
    Donation,
    Donor,
    GiftAidDeclaration,
    GiftMove,
    PlanAllocation,
    PlanChange,
    RecurringPlan,
    Refund,
    StripeEvent,
    UpdateConsent,
)
from finance.models import AuditLogEntry, GiftAidClaimLine, GiftImport, OfflineGift
from privacy.models import DataRequest, Erasure
from receipts.models import (
    DedicationCard,
    EmailSuppression,
    ProviderEvent,
    Receipt,
    ThankYouNote,
    UpdateDelivery,
    VoidNotice,
    YearEndStatement,
)


def donor_by_email(email: str) -> Donor | None:
    return Donor.objects.filter(email=email.strip().lower()).first()


def erasure_of(donor: Donor) -> Erasure | None:
    return Erasure.objects.filter(donor=donor).first()


# HMRC asks for the records behind a Gift Aid claim (the declaration with
# the donor's name and home address among them) for six years after it.
GIFT_AID_RECORDS_YEARS = 6


def gift_aid_records_kept_until(donor: Donor) -> date | None:
    """Until when HMRC may ask to see this donor's Gift Aid declaration:
    six years after the latest claim of one of their gifts; None if none
    was claimed. Erasure replaces the name and address on it, so staff
    reviewing an erasure are told."""
    last_claimed = GiftAidClaimLine.objects.filter(donation__donor=donor, kind=GiftAidClaimLine.Kind.CLAIMED).aggregate(
        last=Max("claim__created_at")
    )["last"]
    if last_claimed is None:
        return None
    claimed_on = last_claimed.date()
    try:
        return claimed_on.replace(year=claimed_on.year + GIFT_AID_RECORDS_YEARS)
    except ValueError:  # claimed on 29 February
        return claimed_on.replace(year=claimed_on.year + GIFT_AID_RECORDS_YEARS, day=28)


def open_request(donor: Donor, kind: str = DataRequest.Kind.ERASURE) -> DataRequest | None:
    return DataRequest.objects.filter(donor=donor, kind=kind, status=DataRequest.Status.OPEN).first()


@dataclass
class DonorRows:
    """The donor's rows, table by table (querysets, read when used)."""

    donor: Donor
    donations: QuerySet
    allocations: QuerySet
    refunds: QuerySet
    disputes: QuerySet
    moves: QuerySet
    offline_gifts: QuerySet
    receipts: QuerySet
    void_notices: QuerySet
    statements: QuerySet
    plans: QuerySet
    plan_parts: QuerySet
    plan_changes: QuerySet
    consents: QuerySet
    gift_aid_declarations: QuerySet
    gift_aid_claim_lines: QuerySet
    update_deliveries: QuerySet
    suppressions: QuerySet
    dedication_cards: QuerySet
    thank_you_notes: QuerySet
    organizations: QuerySet
    team_invites: QuerySet
    provider_events: QuerySet
    stripe_events: QuerySet
    gift_imports: QuerySet
    audit_entries: QuerySet
    data_requests: QuerySet


def donor_rows(donor: Donor) -> DonorRows:
    donations = Donation.objects.filter(donor=donor).order_by("created_at", "pk")
    plans = RecurringPlan.objects.filter(donor=donor).order_by("created_at", "pk")
    receipts = Receipt.objects.filter(donation__donor=donor).order_by("issued_at", "pk")
    email = donor.email
    return DonorRows(
        donor=donor,
        donations=donations,
        allocations=Allocation.objects.filter(donation__donor=donor),
        refunds=Refund.objects.filter(donation__donor=donor).order_by("created_at", "pk"),
        disputes=Dispute.objects.filter(donation__donor=donor).order_by("opened_at", "pk"),
        moves=GiftMove.objects.filter(donation__donor=donor).order_by("moved_at", "pk"),
        offline_gifts=OfflineGift.objects.filter(donation__donor=donor),
        receipts=receipts,
        void_notices=VoidNotice.objects.filter(receipt__donation__donor=donor).order_by("created_at", "pk"),
        statements=YearEndStatement.objects.filter(donor=donor).order_by("year", "created_at", "pk"),
        plans=plans,
        plan_parts=PlanAllocation.objects.filter(plan__donor=donor),
        plan_changes=PlanChange.objects.filter(plan__donor=donor).order_by("made_at", "pk"),
        consents=UpdateConsent.objects.filter(donor=donor).order_by("recorded_at", "pk"),
        gift_aid_declarations=GiftAidDeclaration.objects.filter(donor=donor).order_by("declared_at", "pk"),
        gift_aid_claim_lines=GiftAidClaimLine.objects.filter(donation__donor=donor).select_related("claim"),
        update_deliveries=UpdateDelivery.objects.filter(donor=donor).select_related("update").order_by("pk"),
        suppressions=EmailSuppression.objects.filter(email=email),
        dedication_cards=DedicationCard.objects.filter(donation__donor=donor).order_by("pk"),
        thank_you_notes=ThankYouNote.objects.filter(donation__donor=donor).order_by("created_at", "pk"),
        organizations=Organization.objects.filter(Q(donations__donor=donor) | Q(contact_email=email))
        .distinct()
        .order_by("pk"),
        team_invites=TeamInvite.objects.filter(email=email).select_related("team").order_by("pk"),
        provider_events=ProviderEvent.objects.filter(recipient__iexact=email).order_by("received_at", "pk"),
        stripe_events=stripe_events_of(donor, donations=donations, plans=plans),
        gift_imports=GiftImport.objects.filter(gifts__donation__donor=donor).distinct().order_by("pk"),
        audit_entries=_mentioning(AuditLogEntry.objects.all(), "filters", [email]).order_by("pk"),
        data_requests=DataRequest.objects.filter(donor=donor).order_by("requested_at", "pk"),
    )


def stripe_ids_of(donor: Donor, *, donations: QuerySet, plans: QuerySet) -> set[str]:
    """Every Stripe object id we hold of this donor: their gifts' intents,
    charges and invoices, refunds, disputes, plans' subscriptions and customers."""
    ids = set()
    for row in donations.values_list("payment_intent_id", "charge_id", "invoice_id"):
        ids.update(row)
    for row in plans.values_list("stripe_subscription_id", "stripe_customer_id"):
        ids.update(row)
    ids.update(Refund.objects.filter(donation__donor=donor).values_list("stripe_refund_id", flat=True))
    ids.update(Dispute.objects.filter(donation__donor=donor).values_list("stripe_dispute_id", flat=True))
    return {value for value in ids if value}


def stripe_events_of(donor: Donor, *, donations: QuerySet, plans: QuerySet) -> QuerySet:
    """The stored Stripe events about this donor: those naming one of their
    objects (as a JSON string, quotes and all, so no id matches a longer
    one) or their email address."""
    needles = [f'"{object_id}"' for object_id in stripe_ids_of(donor, donations=donations, plans=plans)]
    return _mentioning(StripeEvent.objects.all(), "payload", [*needles, donor.email]).order_by("received_at", "pk")


def stripe_customer_ids(rows: DonorRows) -> list[str]:
    """The donor's Stripe customers: their plans' own, and any other that
    their stored events name (a customer made for them in the dashboard)."""
    found = {customer for customer in rows.plans.values_list("stripe_customer_id", flat=True) if customer}
    for payload in rows.stripe_events.values_list("payload", flat=True):
        obj = ((payload or {}).get("data") or {}).get("object") or {}
        customer = obj.get("customer") if isinstance(obj, dict) else None
        if isinstance(customer, dict):
            customer = customer.get("id")
        if isinstance(customer, str) and customer.startswith("cus_"):
            found.add(customer)
        if isinstance(obj, dict) and obj.get("object") == "customer" and isinstance(obj.get("id"), str):
            found.add(obj["id"])
    return sorted(found)


def import_rows_of(gift_import: GiftImport, email: str) -> tuple[list[str], list[dict]]:
    """The header and the rows (with their line numbers) of an import's
    file that are the donor's: those with a cell equal to their email."""
    reader = csv.reader(io.StringIO(gift_import.content))
    header = next(reader, [])
    rows = []
    for line, cells in enumerate(reader, start=2):
        if any(cell.strip().lower() == email for cell in cells):
            rows.append({"line": line, "cells": dict(zip(header, cells, strict=False))})
    return header, rows


def _mentioning(queryset: QuerySet, field: str, needles: list[str]) -> QuerySet:
    needles = [needle for needle in needles if needle]
    if not needles:
        return queryset.none()
    condition = Q()
    for needle in needles:
        condition |= Q(_as_text__icontains=needle)
    return queryset.annotate(_as_text=Cast(field, TextField())).filter(condition)
