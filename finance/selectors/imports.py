"""Reads for offline gift imports."""

from django.db.models import QuerySet

from donations.money import as_decimal
from finance.models import GiftImport, OfflineGift

RECENT_IMPORTS = 20


def references_already_imported(references: list[str]) -> set[str]:
    """Which of these external references an earlier import wrote (one
    query)."""
    wanted = [reference for reference in references if reference]
    if not wanted:
        return set()
    return set(OfflineGift.objects.filter(external_reference__in=wanted).values_list("external_reference", flat=True))


def recent_imports(limit: int = RECENT_IMPORTS) -> QuerySet[GiftImport]:
    """The latest imports, without their files' text (one query)."""
    return GiftImport.objects.select_related("created_by").defer("content", "errors").order_by("-created_at")[:limit]


def gift_import_by_public_id(public_id) -> GiftImport | None:
    return GiftImport.objects.select_related("created_by").defer("content").filter(public_id=public_id).first()


def totals_text(totals_minor: dict[str, int]) -> str:
    """{"usd": 500000, "cad": 2000} -> "20.00 CAD, 5000.00 USD": plain
    decimals with a dot, as finance tools read them."""
    return ", ".join(f"{as_decimal(amount, currency)} {currency.upper()}"
                     for currency, amount in sorted(totals_minor.items()))
