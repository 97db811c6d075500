"""Reads for the payout pages: the list of payouts and one payout's
reconciliation report. Each runs a fixed number of queries however many
payouts and lines there are."""

from collections import defaultdict
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q

from finance.models import Payout, PayoutLine

PAYOUTS_PAGE_SIZE = 25
LINES_PAGE_SIZE = 100


class LineKind:
    """What a balance transaction is, for matching and for the report's sums."""

    GIFT = "gift"
    REFUND = "refund"
    FEE = "fee"
    DISPUTE = "dispute"
    OTHER = "other"

    LABELS = {GIFT: "Gifts", REFUND: "Refunds", FEE: "Stripe fees", DISPUTE: "Disputes", OTHER: "Other"}


GIFT_TYPES = ("charge", "payment")
REFUND_TYPES = ("refund", "payment_refund")
FEE_TYPES = ("stripe_fee", "stripe_fx_fee", "tax_fee")
# A dispute moves money as an `adjustment` whose source is the dispute.
DISPUTE_PREFIXES = ("du_", "dp_")


def line_kind(type_: str, source_id: str) -> str:
    if type_ in GIFT_TYPES:
        return LineKind.GIFT
    if type_ in REFUND_TYPES:
        return LineKind.REFUND
    if source_id.startswith(DISPUTE_PREFIXES):
        return LineKind.DISPUTE
    if type_ in FEE_TYPES:
        return LineKind.FEE
    return LineKind.OTHER


UNMATCHED = Q(donation__isnull=True, refund__isnull=True)


def payouts_page(page_number) -> Page:
    """Newest first, each with its matched and unmatched line counts."""
    payouts = Payout.objects.annotate(
        matched_count=Count("lines", filter=Q(lines__donation__isnull=False) | Q(lines__refund__isnull=False)),
        unmatched_count=Count("lines", filter=Q(lines__donation__isnull=True, lines__refund__isnull=True)),
    ).order_by("-arrival_date", "-created_at", "-pk")  # a grouped query ignores Meta.ordering
    return Paginator(payouts, PAYOUTS_PAGE_SIZE).get_page(page_number)


@dataclass(frozen=True)
class KindTotal:
    kind: str
    label: str
    count: int
    amount_minor: int
    fee_minor: int
    net_minor: int


@dataclass(frozen=True)
class PayoutReport:
    payout: Payout
    totals: list[KindTotal]
    line_count: int
    net_minor: int
    lines: Page
    unmatched: list[PayoutLine]

    @property
    def difference_minor(self) -> int:
        """What the payout's amount and its lines' net disagree by."""
        return self.payout.amount_minor - self.net_minor

    @property
    def adds_up(self) -> bool:
        return self.difference_minor == 0


def payout_report(stripe_payout_id: str, *, lines_page=None) -> PayoutReport | None:
    """The payout's lines with their gifts and refunds, sums by kind, the
    unmatched lines, and whether the lines' net is the payout's amount.
    None for a payout we do not have."""
    payout = Payout.objects.filter(stripe_payout_id=stripe_payout_id).first()
    if payout is None:
        return None
    sums = defaultdict(lambda: [0, 0, 0, 0])
    for type_, source_id, amount, fee, net in payout.lines.values_list(
        "type", "source_id", "amount_minor", "fee_minor", "net_minor"
    ):
        kind_sums = sums[line_kind(type_, source_id)]
        for index, value in enumerate((1, amount, fee, net)):
            kind_sums[index] += value
    totals = [KindTotal(kind, label, *sums[kind]) for kind, label in LineKind.LABELS.items()]
    with_records = payout.lines.select_related("donation", "refund")
    return PayoutReport(
        payout=payout,
        totals=totals,
        line_count=sum(total.count for total in totals),
        net_minor=sum(total.net_minor for total in totals),
        lines=Paginator(with_records, LINES_PAGE_SIZE).get_page(lines_page),
        unmatched=list(with_records.filter(UNMATCHED)),
    )


def fetched_statuses(stripe_payout_ids) -> dict[str, str]:
    """Stripe payout id -> the status we recorded, for those already fetched."""
    return dict(
        Payout.objects.filter(stripe_payout_id__in=stripe_payout_ids, fetched_at__isnull=False).values_list(
            "stripe_payout_id", "status"
        )
    )
