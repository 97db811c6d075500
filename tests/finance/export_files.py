"""Reading an export back. Gifts whose every column a test sets (dates,
fees, odd names) are written straight to the ledger with DonationFactory;
gifts whose receipts and refunds matter go through the API and donations'
refund service (see the test modules)."""

import csv
import io

from finance.exports import HEADERS, GiftExport, GiftFilters, csv_line


def csv_bytes(filters: GiftFilters | None = None) -> bytes:
    return b"".join(GiftExport(filters or GiftFilters()).csv_chunks())


def python_csv_bytes(filters: GiftFilters | None = None) -> bytes:
    """The Python writer's bytes, with the header, on any database."""
    export = GiftExport(filters or GiftFilters())
    return csv_line(HEADERS) + b"".join(export.python_csv_chunks())


def read_csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode(), newline="")))


def exported_rows(filters: GiftFilters | None = None) -> list[dict]:
    return read_csv(csv_bytes(filters))
