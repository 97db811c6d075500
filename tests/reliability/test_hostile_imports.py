"""The offline gift import under generated files: valid rows with cells
replaced by any text (NUL, huge, quotes, line breaks, formulas), headers
changed, other encodings and byte-order marks, and bytes that are no text.
Whatever arrives, the file is refused with a reason, or checked and then
imported whole, or rejected with its errors and no gift written: never an
unhandled error, never part of a file. Hand-picked cases:
tests/finance/test_import_service.py and tests/donations/test_hostile_events.py."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finance.imports import reader, runner
from finance.models import AuditLogEntry, GiftImport
from tests.finance.import_files import HEADER, csv_bytes, gift_row
from tests.reliability.hostile import PROPERTY, one_example, row_counts, rows_written

pytestmark = pytest.mark.django_db

# Writes a refused or rejected import may make: its own record and audit line.
BOOKKEEPING = {"finance.GiftImport", "finance.AuditLogEntry"}

CELLS = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=30),
    st.sampled_from(
        [
            "",
            "\x00",
            "x" * 100_000,
            '"',
            '"quoted, with a comma"',
            "line\nbreak",
            "line\rbreak",
            "=1+1",
            "-50.00",
            "50,00",
            "1e9",
            "999999999999.99",
            "0.001",
            "2026-02-30",
            "9999-12-31",
            "YES",
            "ZZ",
            "\ufeffdate",
        ]
    ),
)
# Mostly UTF-8 (with or without its byte-order mark), so that most files
# get past the reader to the rows' own checks.
ENCODINGS = st.one_of(
    st.sampled_from(["utf-8", "utf-8-sig"]), st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252"])
)


@st.composite
def import_files(draw) -> bytes:
    rows = [gift_row(n) for n in range(1, draw(st.integers(1, 3)) + 1)]
    for row in rows:
        for column in draw(st.lists(st.sampled_from(HEADER), max_size=3, unique=True)):
            row[column] = draw(CELLS)
    header = list(HEADER)
    if draw(st.booleans()) and draw(st.booleans()):
        header[draw(st.integers(0, len(header) - 1))] = draw(CELLS)
    text = csv_bytes(rows, header).decode()
    encoding = draw(ENCODINGS)
    raw = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:
        cut = draw(st.integers(0, len(raw)))
        raw = raw[:cut] + draw(st.binary(max_size=20)) + raw[cut:]
    return raw


def import_of(raw: bytes) -> GiftImport | None:
    """What the import page and command do with a file: read it (None if it
    is refused whole), save it, run it."""
    try:
        import_file = reader.read_import_file(raw)
    except reader.ImportFileError as refused:
        assert str(refused) and refused.line >= 0
        return None
    gift_import = runner.create_gift_import(file_name="gifts.csv", import_file=import_file, dry_run=False)
    return runner.run_import(gift_import_id=gift_import.pk, channel=AuditLogEntry.Channel.COMMAND)


def assert_whole_or_nothing(gift_import: GiftImport | None, before: dict[str, int]) -> None:
    written = rows_written(before)
    if gift_import is None or gift_import.status == GiftImport.Status.REJECTED:
        assert set(written) <= BOOKKEEPING, written
        if gift_import is not None:
            assert gift_import.errors and all(error["message"] for error in gift_import.errors)
        return
    assert gift_import.status == GiftImport.Status.IMPORTED, (gift_import.status, gift_import.errors)
    assert written["donations.Donation"] == written["finance.OfflineGift"] == gift_import.total_rows > 0


@PROPERTY
@given(raw=import_files())
def test_any_mutated_import_file_is_imported_whole_or_writes_no_gift(fundraiser, raw):
    with one_example():
        before = row_counts()
        assert_whole_or_nothing(import_of(raw), before)


@PROPERTY
@given(raw=st.one_of(st.binary(max_size=300), st.builds(lambda junk: b"\xef\xbb\xbf" + junk, st.binary(max_size=50))))
def test_any_bytes_as_an_import_file_are_refused_or_rejected_and_write_no_gift(fundraiser, raw):
    with one_example():
        before = row_counts()
        gift_import = import_of(raw)
        assert gift_import is None or gift_import.status == GiftImport.Status.REJECTED
        assert_whole_or_nothing(gift_import, before)
