"""The gift export: one row per part of each gift (donations.Allocation),
whatever its status, with its donor, attribution, the part's fund and
money (gross, amount, fee covered, Stripe fee, refunded, net), the gift's
current receipt number and its moves, streamed with bounded memory
whatever the size of the ledger.

Two CSV writers give the same bytes (tests/finance/test_export_paths.py):

- On PostgreSQL the database formats and escapes every cell in one query
  and we stream `COPY (query) TO STDOUT (FORMAT csv)` in chunks. Formatting
  a million rows in Python costs over ten times what COPY does.
- Elsewhere (the SQLite demo) Python formats the same rows from a
  server-side iterator.

XLSX is written by Python into openpyxl's write-only workbook, which keeps
rows on disk rather than in memory.

Decisions finance can rely on:

- A gift's date is when it succeeded; a gift that never succeeded (failed,
  pending, abandoned) is dated when it was made. Dates are UTC, ISO 8601 to
  the second (`2026-12-01T10:15:00Z`), and the since/until filters are
  inclusive days of that date in UTC. Rows come oldest first.
- Amounts are decimals with a dot and the currency's exponent
  (core.money), never locale-formatted; empty when unknown.
- One row per part: a gift not split is one row, as it always was; a gift
  split between funds is one row per fund, in the donor's order, its
  gift-level cells (id, date, donor, attribution, status, receipt, moves)
  repeated on each, so that a sum over any money column, or over the rows
  of one fund, is the ledger's. Finance's fund filter keeps the parts of
  that fund (`part` still says "2 of 3").
- A part's money: gross = amount + fee covered (what it was charged), its
  share of refunds, and its share of Stripe's fee, which Stripe charges on
  the whole gift: donations.rules.split_pro_rata of the fee by the parts'
  gross, written here in SQL (window sums) so both writers give the same.
- Net is what the charity keeps: gross - Stripe fee - refunded (the charge
  less refunds, as donations counts it, less Stripe's fee). It is empty
  while Stripe's fee is unknown: online gifts whose fee has not been
  fetched yet, and gifts never charged. Offline gifts pay no Stripe fee.
- Anonymous gifts keep their donor: finance sees who gave.
- A gift's name and postal address are those given with that gift (a
  later gift never rewrites them); the email is the donor's, which is
  what ties their gifts together.
- Every text cell that a spreadsheet would read as a formula (starting
  with = + - @, a tab or a carriage return) gets a leading single quote,
  as OWASP advises against CSV injection.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import BinaryIO

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Concat

from core.money import CURRENCIES, as_decimal
from donations.models import Allocation, Donation
from finance.spreadsheets import FORMULA_STARTS, escape_formula

# A datetime as the date column's text, in PostgreSQL.
_TO_CHAR_UTC_SECOND = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""

# The kinds of cell, each formatted the same way by SQL and by Python.
ID = "id"
DATETIME = "datetime"
TEXT = "text"
FLAG = "flag"
MONEY = "money"


@dataclass(frozen=True)
class Column:
    header: str
    # The value's name in the gift query (a field path or an annotation).
    source: str
    kind: str
    description: str


COLUMNS = (
    Column("gift_id", "public_id", ID, "The gift's public id (repeated on each of its parts)."),
    Column("date", "gift_at", DATETIME, "When it succeeded (else when it was made), UTC."),
    Column("first_name", "donor_first_name", TEXT, "As given with the gift, anonymous gifts included."),
    Column("last_name", "donor_last_name", TEXT, "As given with the gift."),
    Column("email", "donor__email", TEXT, "The donor's."),
    Column("address_line1", "donor_address_line1", TEXT, "The postal address given with the gift…"),
    Column("address_line2", "donor_address_line2", TEXT, ""),
    Column("city", "donor_city", TEXT, ""),
    Column("region", "donor_region", TEXT, ""),
    Column("postal_code", "donor_postal_code", TEXT, ""),
    Column("country", "donor_country", TEXT, "…ending with its two-letter country code."),
    Column("organization", "organization_name", TEXT, "The organisation given as, named as with the gift; else empty."),
    Column("anonymous", "anonymous", FLAG, "yes if the donor asked not to be named in public."),
    Column("campaign", "campaign__slug", TEXT, "The campaign's slug."),
    Column("team", "team__name", TEXT, "The team's name, if the gift was to a team."),
    Column("fundraiser", "fundraiser__name", TEXT, "The fundraiser page's name, if any."),
    Column("fund", "allocations__fund__slug", TEXT, "This part's fund (its slug)."),
    Column("part", "part_label", TEXT, "Which part of the gift this row is: 1 of 1 for a gift not split."),
    Column("gross", "part_gross_minor", MONEY, "This part as charged: amount + fee_covered."),
    Column("amount", "allocations__amount_minor", MONEY, "This part of the gift, before any fee cover."),
    Column("fee_covered", "allocations__fee_covered_minor", MONEY, "This part's share of the donor's fee cover."),
    Column(
        "stripe_fee", "allocations__stripe_fee_minor", MONEY, "This part's share of Stripe's fee; empty until known."
    ),
    Column("net", "part_net_minor", MONEY, "gross - stripe_fee - refunded; empty while Stripe's fee is unknown."),
    Column("refunded", "allocations__refunded_minor", MONEY, "This part's share of what was refunded so far."),
    Column("currency", "currency", TEXT, "Lower-case code, e.g. usd."),
    Column("status", "status", TEXT, "succeeded, failed, refunded, partially_refunded, …"),
    Column("source", "source", TEXT, "online or offline_import."),
    Column("frequency", "frequency", TEXT, "one_time or monthly."),
    Column("payment_intent_id", "payment_intent_id", TEXT, "Stripe's PaymentIntent, for online gifts."),
    Column(
        "receipt_number",
        "receipt_number",
        TEXT,
        "The receipt that stands now (the correction's after a partial refund).",
    ),
    Column(
        "moved",
        "last_move_text",
        TEXT,
        "Empty unless finance moved the gift: the last move (when, by whom, what changed, why), "
        "and how many moves when more than one.",
    ),
)
HEADERS = [column.header for column in COLUMNS]

# Enough rows per chunk that a chunk costs little, few enough to start fast.
PYTHON_CHUNK_ROWS = 2_000
COPY_CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True)
class GiftFilters:
    since: date | None = None
    until: date | None = None
    campaign_slug: str | None = None
    status: str | None = None
    fund_slug: str | None = None

    def apply(self, gifts: QuerySet) -> QuerySet:
        """`gifts` must be annotated with `gift_at`."""
        if self.since:
            gifts = gifts.filter(gift_at__gte=_start_of_utc_day(self.since))
        if self.until:
            gifts = gifts.filter(gift_at__lt=_start_of_utc_day(self.until + timedelta(days=1)))
        if self.campaign_slug:
            gifts = gifts.filter(campaign__slug=self.campaign_slug)
        if self.status:
            gifts = gifts.filter(status=self.status)
        if self.fund_slug:
            # The gifts with a part in the fund; part_selected() then keeps
            # that part of each.
            in_fund = Allocation.objects.filter(donation=OuterRef("pk"), fund__slug=self.fund_slug)
            gifts = gifts.filter(Exists(in_fund))
        return gifts

    def part_selected(self) -> Q | Value:
        """Whether a row of gift_values (one part) is one the filters keep."""
        if self.fund_slug:
            return Q(allocations__fund__slug=self.fund_slug)
        return Value(True)

    def for_audit(self) -> dict:
        """The filters that were set, as JSON-ready values."""
        values = {
            "since": self.since,
            "until": self.until,
            "campaign": self.campaign_slug,
            "status": self.status,
            "fund": self.fund_slug,
        }
        return {name: str(value) for name, value in values.items() if value}


def _start_of_utc_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def gift_values(filters: GiftFilters) -> QuerySet:
    """The raw values behind each row, one tuple per part of each gift: the
    COLUMNS' sources in order, then the currency's minor unit (0.01 for
    cents), the gift's id, the part's position and whether the filters
    keep the part. Oldest
    first, gifts of the same second by id, a gift's parts in order.

    The rows of parts the filters do not keep (another fund's) are there,
    for the window sums to see every part of a gift; the writers skip them."""
    # The window (how many parts) is over one gift's parts. The gift's date
    # leads the partition (it depends on the gift alone) so the sort it
    # needs is the export's own order, and PostgreSQL sorts once.
    gift = [F("gift_at"), F("id")]
    gross = F("allocations__amount_minor") + F("allocations__fee_covered_minor")
    rows = filters.apply(_dated_gifts()).annotate(
        part_gross_minor=gross,
        part_label=Concat(
            Cast(F("allocations__position") + 1, CharField()),
            Value(" of "),
            Cast(Window(Count("allocations__id"), partition_by=gift), CharField()),
        ),
        part_net_minor=Case(
            When(stripe_fee_minor__isnull=True, source=Donation.Source.ONLINE, then=Value(None)),
            default=gross - F("allocations__refunded_minor") - Coalesce("allocations__stripe_fee_minor", Value(0)),
            output_field=BigIntegerField(),
        ),
        last_move_text=_last_move(),
        minor_unit=Case(
            *(
                When(currency=currency.code, then=Value(Decimal(1).scaleb(-currency.exponent)))
                for currency in CURRENCIES.values()
            ),
            default=None,
            output_field=DecimalField(),
        ),
        part_selected=filters.part_selected(),
    )
    return rows.order_by("gift_at", "id", "allocations__position").values_list(
        *(column.source for column in COLUMNS), "minor_unit", "id", "allocations__position", "part_selected"
    )


class _UtcSecond(Func):
    """A datetime as the date column writes it (ISO 8601, UTC, to the second)."""

    output_field = CharField()
    template = _TO_CHAR_UTC_SECOND.format("%(expressions)s")

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"strftime(%s, {sql})", ("%Y-%m-%dT%H:%M:%SZ", *params)


def _last_move() -> Case:
    """The gift's last move (donations.GiftMove) in a line: "2026-12-02T10:15:00Z
    by ann@example.org: fund rescue -> aftercare; reason: …", after "3 moves,
    the last " when there were more; empty for a gift never moved. Read
    through the gift's copy of its last move: joins PostgreSQL hashes once,
    where a subquery would run for every row."""
    move = "last_move__"

    def changed(name: str, shown: str) -> Case:
        before, after = f"{move}from_{name}", f"{move}to_{name}"
        same = Q(**{before: F(after)}) | Q(**{f"{before}__isnull": True, f"{after}__isnull": True})
        return Case(
            When(same, then=Value("")),
            default=Concat(
                Value(f"{name} "),
                Coalesce(f"{before}__{shown}", Value("none"), output_field=CharField()),
                Value(" -> "),
                Coalesce(f"{after}__{shown}", Value("none"), output_field=CharField()),
                Value("; "),
            ),
            output_field=CharField(),
        )

    return Case(
        When(last_move__isnull=True, then=Value(None)),
        default=Concat(
            Case(
                When(move_count__gt=1, then=Concat(Cast("move_count", CharField()), Value(" moves, the last "))),
                default=Value(""),
            ),
            _UtcSecond(f"{move}moved_at"),
            Value(" by "),
            f"{move}actor",
            Value(": "),
            changed("fund", "slug"),
            changed("team", "name"),
            changed("fundraiser", "name"),
            Value("reason: "),
            f"{move}reason",
            output_field=CharField(),
        ),
        output_field=CharField(),
    )


def count_rows(filters: GiftFilters) -> int:
    """How many rows an export with these filters writes (one per part)."""
    parts = Allocation.objects.filter(donation__in=filters.apply(_dated_gifts()).values("pk"))
    if filters.fund_slug:
        parts = parts.filter(fund__slug=filters.fund_slug)
    return parts.count()


def _dated_gifts() -> QuerySet:
    """Gifts with the date the export shows and filters on."""
    return Donation.objects.annotate(gift_at=Coalesce("succeeded_at", "created_at"))


# --- One run of the export ----------------------------------------------------


class GiftExport:
    """One export run. Iterate `csv_chunks()` or call `write_xlsx()`;
    `row_count` says how many rows (parts of gifts) have gone out so far
    (exact once the export has finished)."""

    def __init__(self, filters: GiftFilters):
        self.filters = filters
        self.row_count = 0

    def csv_chunks(self) -> Iterator[bytes]:
        yield csv_line(HEADERS)
        if connection.vendor == "postgresql":
            yield from self._copy_chunks()
        else:
            yield from self.python_csv_chunks()

    def python_csv_chunks(self) -> Iterator[bytes]:
        """The rows formatted by Python (the demo's path, and the reference
        the SQL path is tested against)."""
        lines = []
        for row in self._python_rows():
            lines.append(csv_line(["" if cell is None else str(cell) for cell in row]))
            if len(lines) == PYTHON_CHUNK_ROWS:
                self.row_count += len(lines)
                yield b"".join(lines)
                lines = []
        self.row_count += len(lines)
        if lines:
            yield b"".join(lines)

    def write_xlsx(self, file: BinaryIO, *, progress: Callable[[], None] | None = None) -> None:
        """The rows as one XLSX sheet; `progress` is called every few
        thousand rows."""
        # Imported here: only XLSX exports pay for loading openpyxl.
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        def cell(value):
            # Control characters other than tab and newlines are not
            # allowed in XLSX; a name carrying one must not stop the export.
            return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Gifts")
        sheet.append(HEADERS)
        for row in self._python_rows():
            sheet.append([cell(value) for value in row])
            self.row_count += 1
            if progress and self.row_count % PYTHON_CHUNK_ROWS == 0:
                progress()
        workbook.save(file)
        if progress:
            progress()

    def _python_rows(self) -> Iterator[list]:
        """Typed cells: text, Decimal amounts, or None for an empty cell."""
        for *values, _minor_unit, _pk, _position, selected in gift_values(self.filters).iterator(
            chunk_size=PYTHON_CHUNK_ROWS
        ):
            if not selected:
                continue
            yield [
                _python_cell(column.kind, value, currency=values[CURRENCY_INDEX])
                for column, value in zip(COLUMNS, values, strict=False)
            ]

    def _copy_chunks(self) -> Iterator[bytes]:
        sql, params = copy_statement(self.filters)
        buffer = bytearray()
        with transaction.atomic(), connection.cursor() as cursor:
            # One statement streams every gift, as fast as the reader takes
            # them (a browser's download, a pipe): longer than
            # DATABASE_STATEMENT_TIMEOUT_MS allows a statement. Exempt for
            # this transaction only.
            cursor.execute("SET LOCAL statement_timeout = 0")
            # Django's wrapper around psycopg's own cursor, which can COPY.
            with cursor.cursor.copy(sql, params) as copy:
                for data in copy:
                    buffer += data
                    if len(buffer) >= COPY_CHUNK_BYTES:
                        # A quoted newline inside a cell would count twice:
                        # close enough for progress, corrected at the end.
                        self.row_count += buffer.count(b"\n")
                        yield bytes(buffer)
                        buffer.clear()
            rows_copied = cursor.cursor.rowcount
        if buffer:
            yield bytes(buffer)
        self.row_count = rows_copied


CURRENCY_INDEX = next(i for i, column in enumerate(COLUMNS) if column.source == "currency")


def _python_cell(kind: str, value, *, currency: str):
    if kind == ID:
        return str(value)
    if kind == DATETIME:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == FLAG:
        return "yes" if value else "no"
    if kind == MONEY:
        return None if value is None or currency not in CURRENCIES else as_decimal(value, currency)
    return escape_formula(value) or None


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def csv_line(cells: list[str]) -> bytes:
    """One CSV record exactly as PostgreSQL's COPY writes it: a cell is
    quoted only when it holds a comma, a quote, CR or LF; quotes are
    doubled; records end with LF. (Python's csv module leaves a lone CR
    unquoted when records end with LF, so it cannot be used here.)"""
    quoted = ('"' + cell.replace('"', '""') + '"' if _NEEDS_QUOTES.search(cell) else cell for cell in cells)
    return (",".join(quoted) + "\n").encode()


# --- The SQL writer -------------------------------------------------------------

# Each kind of cell as a PostgreSQL expression over the column {c} of the
# gift query, giving the text _python_cell gives (NULL for an empty cell).
# Each runs for every cell of a million rows, so each is the cheapest form
# measured (bench/export.py): integer comparisons, one multiplication.
# No '%' anywhere: psycopg merges the query's parameters into this text.
_SQL_CELLS = {
    ID: "{c}::text",
    DATETIME: _TO_CHAR_UTC_SECOND.format("{c}"),
    FLAG: "CASE WHEN {c} THEN 'yes' ELSE 'no' END",
    # An integer times a numeric of the unit's scale (0.01) has that scale:
    # 1234 -> 12.34, -49 -> -0.49, 0 -> 0.00, as core.money.as_decimal.
    MONEY: '({c} * g."minor_unit")::text',
    # ascii() is the first character's code (0 for an empty string),
    # cheaper than comparing one-character strings under a collation.
    # NULLIF: COPY writes an empty string as "" but NULL as nothing, and
    # the Python writer writes nothing for both.
    TEXT: "CASE WHEN ascii({c}) IN ({starts}) THEN '''' || {c} ELSE NULLIF({c}, '') END",
}
_SQL_FORMULA_STARTS = ", ".join(str(ord(start)) for start in FORMULA_STARTS)


def copy_statement(filters: GiftFilters) -> tuple[str, tuple]:
    """`COPY (…) TO STDOUT` of the formatted rows, and its parameters. The
    inner query is the ORM's (filters are parameters); the outer one is
    built from the constant column list only."""
    inner_sql, params = gift_values(filters).query.sql_with_params()
    cells = ",\n  ".join(
        _SQL_CELLS[column.kind].format(c=f'g."{column.source}"', starts=_SQL_FORMULA_STARTS) for column in COLUMNS
    )
    # OFFSET 0 keeps PostgreSQL from merging the inner query into the outer
    # one, which would copy each computed value (net, the minor unit) into
    # every place a cell's expression names its column, and work it out as
    # often. The inner query is sorted, not the formatted rows: PostgreSQL
    # then sorts in parallel workers under the joins (Gather Merge), and the
    # outer ORDER BY, which is what guarantees the order, finds the rows
    # sorted already.
    query = (
        f"SELECT\n  {cells}\nFROM ({inner_sql} OFFSET 0) AS g\n"
        'WHERE g."part_selected"\nORDER BY g."gift_at", g."id", g."allocations__position"'
    )
    return f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", params
