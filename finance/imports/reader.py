"""Reading an offline gift file: its size, encoding, header and records.
The rows themselves are checked by finance.imports.rows."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from core.text import UNSTORABLE, is_storable
from donations.models import Donor

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000

REQUIRED_COLUMNS = (
    "date",
    "amount",
    "currency",
    "campaign",
    "fund",
    "email",
    "first_name",
    "last_name",
    "method",
    "reference",
)
OPTIONAL_COLUMNS = (
    "team",
    "fundraiser",
    *Donor.ADDRESS_FIELDS,
    "receipt",
    "anonymous",
    "message",
    # A church, school or company that gave as itself: the receipt is in
    # its name (with the address given), the person its contact.
    "organization",
    # Goods or services the giver received in return (a gala ticket) and
    # their fair market value: the receipt states these, not the campaign's.
    "benefit_description",
    "benefit_value",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


class ImportFileError(Exception):
    """The file as a whole cannot be read: size, encoding, header. One
    message, and `line` where it is about one line."""

    def __init__(self, message: str, *, line: int = 1):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class ImportFile:
    text: str
    row_count: int


def read_import_file(raw: bytes) -> ImportFile:
    """The file's text once its size, encoding, header and row count are
    acceptable; ImportFileError otherwise. Rows are checked later."""
    check_file_size(len(raw))
    try:
        # utf-8-sig drops the byte-order mark some spreadsheets write.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ImportFileError(
            f"The file is not UTF-8 text (line {line} has bytes UTF-8 does not allow); save it as "
            f'"CSV UTF-8" and try again.',
            line=line,
        ) from None
    if not is_storable(text):
        _refuse_unstorable(text)
    return ImportFile(text=text, row_count=sum(1 for _ in records(text)))


def _refuse_unstorable(text: str) -> None:
    """UTF-8 allows a NUL, PostgreSQL does not (not even in the stored
    file): the whole file is refused, naming the first line and column."""
    for line, cells in records(text):
        for column, value in cells.items():
            if column and not is_storable(value):
                raise ImportFileError(
                    f"Line {line}: {column} holds a NUL character, which cannot be stored; remove it and try again.",
                    line=line,
                )
    line = text.count("\n", 0, UNSTORABLE.search(text).start()) + 1
    raise ImportFileError(
        f"Line {line} holds a NUL character, which cannot be stored; remove it and try again.", line=line
    )


def check_file_size(size: int) -> None:
    """Also called before an upload is read into memory."""
    if size > MAX_FILE_BYTES:
        raise ImportFileError(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it into smaller files."
        )


def records(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: value}) for each row that is not blank. The
    line number is where the row starts in the file (the header is line 1;
    a quoted value may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        columns = _check_header(header)
        rows = 0
        while True:
            line = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                return
            if not any(cell.strip() for cell in cells):
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise ImportFileError(
                    f"The file has more than {MAX_ROWS:,} rows; split it into smaller files.", line=line
                )
            if len(cells) != len(columns):
                yield line, {"": f"this row has {len(cells)} values but the header names {len(columns)} columns"}
                continue
            yield line, {column: cell.strip() for column, cell in zip(columns, cells, strict=False)}
    except csv.Error as exc:
        raise ImportFileError(f"Line {reader.line_num} cannot be read as CSV: {exc}.", line=reader.line_num) from None


def _check_header(header: list[str] | None) -> list[str]:
    if not header or not any(name.strip() for name in header):
        raise ImportFileError(
            f"The file is empty: its first line must name the columns, for example {','.join(REQUIRED_COLUMNS)}."
        )
    columns = [name.strip().lower() for name in header]
    problems = []
    unknown = [name for name in columns if name not in COLUMNS]
    if unknown:
        problems.append(f"unknown column{'s' if len(unknown) > 1 else ''} {_quoted(unknown)}")
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(f"missing column{'s' if len(missing) > 1 else ''} {_quoted(missing)}")
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        problems.append(f"repeated column{'s' if len(repeated) > 1 else ''} {_quoted(repeated)}")
    if problems:
        raise ImportFileError(
            f"The header (line 1) has {'; '.join(problems)}. The columns are "
            f"{', '.join(REQUIRED_COLUMNS)} and optionally {', '.join(OPTIONAL_COLUMNS)}."
        )
    return columns


def _quoted(names: list[str]) -> str:
    # A spreadsheet's stray trailing comma makes a column with no name.
    return ", ".join(f"'{name}'" if name else "(a column with no name)" for name in names)
