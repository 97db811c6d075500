"""What the donor portal reads: only ever the signed-in donor's own rows,
each read in a fixed number of queries however many gifts there are."""

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch

from campaigns.models import Organization
from donations.models import Allocation, Donation, Donor, RecurringPlan
from receipts.models import Receipt, YearEndStatement

# The gifts a donor sees: money that was taken (refunded and disputed gifts
# too). Attempts still in flight or declined are no gifts.
SHOWN_STATUSES = Donation.PAID_STATUSES
GIFTS_PER_PAGE = 50


def _own_gifts(donor: Donor):
    return Donation.objects.filter(donor=donor, status__in=SHOWN_STATUSES).order_by("-created_at", "-pk")


def api_gifts(donor: Donor) -> list[dict]:
    """GET /api/donors/me/'s gifts, newest first: one query."""
    return [
        {
            "id": str(gift["public_id"]),
            "amount_minor": gift["amount_minor"] + gift["fee_covered_minor"],
            "currency": gift["currency"],
            "status": gift["status"],
            "receipt_number": gift["receipt_number"] or None,
            "refunded_minor": gift["refunded_minor"],
            "frequency": gift["frequency"],
            "campaign": gift["campaign__slug"],
            "created_at": gift["created_at"].isoformat(),
        }
        for gift in _own_gifts(donor).values(
            "public_id",
            "amount_minor",
            "fee_covered_minor",
            "currency",
            "status",
            "receipt_number",
            "refunded_minor",
            "frequency",
            "campaign__slug",
            "created_at",
        )
    ]


def api_plans(donor: Donor) -> list[dict]:
    """GET /api/donors/me/'s monthly plans, newest first: one query."""
    return [
        {
            "id": str(plan["public_id"]),
            "amount_minor": plan["amount_minor"] + plan["fee_covered_minor"],
            "currency": plan["currency"],
            "status": plan["status"],
            "campaign": plan["campaign__slug"],
        }
        for plan in RecurringPlan.objects.filter(donor=donor)
        .order_by("-created_at", "-pk")
        .values("public_id", "amount_minor", "fee_covered_minor", "currency", "status", "campaign__slug")
    ]


@dataclass
class ReceiptLine:
    """One receipt of a gift as the portal shows it."""

    receipt: Receipt
    replaced_by: Receipt | None = None

    @property
    def is_void(self) -> bool:
        return self.receipt.status == Receipt.Status.VOID

    @property
    def replaces(self) -> Receipt | None:
        return self.receipt.replaces


@dataclass
class GiftLine:
    gift: Donation
    parts: list[Allocation]
    receipts: list[ReceiptLine] = field(default_factory=list)

    @property
    def is_split(self) -> bool:
        return len(self.parts) > 1


def gifts_page(donor: Donor, *, page_number) -> tuple[Page, list[GiftLine]]:
    """One page of the donor's gifts, newest first, with their parts and
    every receipt each had: four queries (the count, the page, the parts,
    the receipts) for any number of gifts."""
    gifts = _own_gifts(donor).select_related("campaign", "fund", "organization", "recurring_plan")
    gifts = gifts.prefetch_related(
        Prefetch("allocations", queryset=Allocation.objects.select_related("fund").order_by("position")),
        Prefetch("receipts", queryset=Receipt.objects.select_related("replaces").order_by("issued_at", "pk")),
    )
    page = Paginator(gifts, GIFTS_PER_PAGE).get_page(page_number)
    lines = []
    for gift in page.object_list:
        receipts = list(gift.receipts.all())
        replaced_by = {receipt.replaces_id: receipt for receipt in receipts if receipt.replaces_id}
        lines.append(
            GiftLine(
                gift=gift,
                parts=list(gift.allocations.all()),
                receipts=[ReceiptLine(receipt, replaced_by.get(receipt.pk)) for receipt in receipts],
            )
        )
    return page, lines


@dataclass
class StatementLine:
    statement: YearEndStatement
    replaced: bool

    @property
    def totals(self) -> list[dict]:
        return self.statement.record.get("totals", []) if self.statement.record else []


def statements(donor: Donor) -> list[StatementLine]:
    """The donor's year-end statements (theirs, and those of organisations
    they were the contact for), newest year first: one query."""
    found = list(
        YearEndStatement.objects.filter(donor=donor)
        .select_related("entity", "organization")
        .order_by("-year", "period", "created_at", "pk")
    )
    replaced = {statement.replaces_id for statement in found if statement.replaces_id}
    return [StatementLine(statement, statement.pk in replaced) for statement in found]


def plans(donor: Donor) -> list[RecurringPlan]:
    """The donor's monthly gifts, newest first: one query."""
    return list(RecurringPlan.objects.filter(donor=donor).select_related("campaign", "fund").order_by("-created_at"))


def organizations(donor: Donor) -> list[Organization]:
    """The organisations the donor has given as: one query."""
    return list(
        Organization.objects.filter(donations__donor=donor, donations__status__in=SHOWN_STATUSES)
        .distinct()
        .order_by("name")
    )


def receipt_of(donor: Donor, number: str) -> Receipt | None:
    """A receipt of one of the donor's own gifts, or None (someone else's
    looks exactly like one that does not exist)."""
    return Receipt.objects.filter(number=number, donation__donor=donor).first()
