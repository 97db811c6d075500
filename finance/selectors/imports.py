"""Reads for offline gift imports."""

from django.db.models import Q, QuerySet

from core.money import as_decimal
from finance.models import GiftImport, OfflineGift

RECENT_IMPORTS = 20


def references_already_imported(references: list[str]) -> set[str]:
    """Which of these external references an earlier import wrote (one
    query)."""
    wanted = [reference for reference in references if reference]
    if not wanted:
        return set()
    return set(OfflineGift.objects.filter(external_reference__in=wanted).values_list("external_reference", flat=True))


def stalled_imports(*, queued_before, running_before, limit: int) -> list[int]:
    """Imports still queued (their task was never queued) or running since
    before their lease (their worker died), oldest first (one query)."""
    return list(
        GiftImport.objects.filter(
            Q(status=GiftImport.Status.QUEUED, created_at__lt=queued_before)
            | Q(status=GiftImport.Status.RUNNING, started_at__lt=running_before)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def recent_imports(limit: int = RECENT_IMPORTS) -> QuerySet[GiftImport]:
    """The latest imports, without their files' text (one query)."""
    return GiftImport.objects.select_related("created_by").defer("content", "errors").order_by("-created_at")[:limit]


def gift_import_by_public_id(public_id) -> GiftImport | None:
    return GiftImport.objects.select_related("created_by").defer("content").filter(public_id=public_id).first()


def totals_text(totals_minor: dict[str, int]) -> str:
    """{"usd": 500000, "cad": 2000} -> "20.00 CAD, 5000.00 USD": plain
    decimals with a dot, as finance tools read them."""
    return ", ".join(
        f"{as_decimal(amount, currency)} {currency.upper()}" for currency, amount in sorted(totals_minor.items())
    )


def import_progress(gift_import: GiftImport) -> dict:
    """Where a run stands, for the page and its poll. The write is one
    transaction, so while it runs there is no count to show: the phase
    says "writing" instead."""
    status = gift_import.status
    if gift_import.is_finished:
        phase, text = "finished", gift_import.get_status_display()
    elif status == GiftImport.Status.QUEUED:
        phase, text = "queued", "Waiting for a worker to start"
    elif gift_import.processed_rows < gift_import.total_rows:
        phase, text = "checking", "Checking every row"
    else:
        phase, text = "writing", "All rows are valid; writing the gifts (all or nothing)"
    return {
        "status": status,
        "phase": phase,
        "phase_text": text,
        "finished": gift_import.is_finished,
        "processed_rows": gift_import.processed_rows,
        "total_rows": gift_import.total_rows,
        "count_text": f"{gift_import.processed_rows} of {gift_import.total_rows} rows checked",
    }
