"""Offline-gift files for the import tests: a valid row to start from,
and a CSV writer for rows of it."""

import csv
import io

HEADER = (
    "date",
    "amount",
    "currency",
    "campaign",
    "fund",
    "team",
    "fundraiser",
    "email",
    "first_name",
    "last_name",
    "address_line1",
    "city",
    "postal_code",
    "country",
    "method",
    "reference",
    "receipt",
    "anonymous",
    "message",
)


def gift_row(n: int = 1, **overrides) -> dict:
    """A valid cheque to the demo campaign's rescue fund, on the fundraiser's
    page; `n` makes the reference and donor unique."""
    row = {
        "date": "2026-01-05",
        "amount": "50.00",
        "currency": "usd",
        "campaign": "dressember-2026",
        "fund": "rescue",
        "team": "",
        "fundraiser": "ada-lee",
        "email": f"donor{n}@example.org",
        "first_name": "Dana",
        "last_name": f"Donor{n}",
        "address_line1": "1 Main St",
        "city": "Springfield",
        "postal_code": "12345",
        "country": "US",
        "method": "cheque",
        "reference": f"CHQ-{n:05d}",
        "receipt": "yes",
        "anonymous": "no",
        "message": "",
    }
    row.update(overrides)
    return row


def csv_bytes(rows: list[dict], header=HEADER, *, bom: bool = False) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode()
