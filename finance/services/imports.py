"""Offline gift import: a CSV file of cheques, cash and bank transfers,
checked in full, then written in one transaction, or not at all.

The run, the same for the command and the finance page's Celery task:
1. claim the GiftImport (queued -> running) under its row lock, so a task
   delivered twice, or two workers, never run one file twice;
2. check every row outside any transaction, saving `processed_rows` every
   few hundred rows: each save commits at once, so the page shows real
   progress. Nothing is written unless every row is valid;
3. write every gift in one transaction (all or nothing). Progress saved
   inside it would stay invisible to the page until the commit, so the page
   shows this phase as "writing" without a count instead (the command,
   in the same process, still draws its bar);
4. the unique external reference is the last guard: a file that races
   another import of the same cheque fails on it and is rejected whole.
Every run, dry or not, ends with an audit entry.
"""

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns import selectors as campaign_selectors
from core.money import CURRENCIES, format_money
from donations.services import offline
from donations.services.gifts import DonorDetails
from finance import tasks
from finance.models import AuditLogEntry, GiftImport, OfflineGift
from finance.selectors import imports as selectors
from finance.services import audit

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# Rows checked between two progress saves: often enough for the page, few
# enough writes not to slow the check.
PROGRESS_EVERY = 500
# A run claimed longer ago than the task's time limit plus this belongs to a
# worker that died, and may be claimed again (nothing of it was written:
# the write is one transaction).
CLAIM_MARGIN = timedelta(minutes=15)

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
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "receipt",
    "anonymous",
    "message",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# The longest value each free-text column may hold (the ledger's limits).
MAX_LENGTHS = {
    "email": 254,
    "first_name": 100,
    "last_name": 100,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "message": 500,
    "reference": 100,
}
METHODS = tuple(OfflineGift.Method.values)
YES, NO = "yes", "no"

Status = GiftImport.Status


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


@dataclass(frozen=True)
class CheckedRow:
    line: int
    gift: offline.OfflineGiftRequest
    method: str
    reference: str


@dataclass(frozen=True)
class CheckResult:
    rows: list[CheckedRow]
    # [{"line": 4, "message": "..."}], one per bad row, in line order.
    errors: list[dict]

    @property
    def totals_minor(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for row in self.rows:
            totals[row.gift.currency] = totals.get(row.gift.currency, 0) + row.gift.amount_minor
        return totals


# "checking" or "writing", rows done, rows in all.
ProgressCallback = Callable[[str, int, int], None]


# --- Reading the file -----------------------------------------------------------


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
    return ImportFile(text=text, row_count=sum(1 for _ in _records(text)))


def check_file_size(size: int) -> None:
    """Also called before an upload is read into memory."""
    if size > MAX_FILE_BYTES:
        raise ImportFileError(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it into smaller files."
        )


def _records(text: str) -> Iterator[tuple[int, dict[str, str]]]:
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


# --- Checking the rows --------------------------------------------------------------


def check_rows(text: str, *, on_progress: Callable[[int], None] | None = None) -> CheckResult:
    """Every row checked; all of them valid or every problem reported, one
    error per bad row. Reads only. Raises ImportFileError for a bad file."""
    checker = _RowChecker(today=timezone.localdate())
    first_line_of: dict[str, int] = {}
    rows, errors, done = [], [], 0
    for chunk in _chunks(_records(text), PROGRESS_EVERY):
        imported_before = selectors.references_already_imported([cells.get("reference", "") for _, cells in chunk])
        for line, cells in chunk:
            problems, row = checker.check(line, cells)
            reference = cells.get("reference", "")
            if reference in imported_before:
                problems.append(f"reference '{reference}' was imported before")
            elif reference and reference in first_line_of:
                problems.append(f"reference '{reference}' is also on line {first_line_of[reference]}")
            elif reference:
                first_line_of[reference] = line
            if problems:
                errors.append({"line": line, "message": "; ".join(problems)})
            else:
                rows.append(row)
        done += len(chunk)
        if on_progress is not None:
            on_progress(done)
    return CheckResult(rows=rows, errors=errors)


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


AMOUNT = re.compile(r"^\d+(\.\d+)?$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _RowChecker:
    """Checks one row at a time; remembers the campaigns, funds, teams and
    fundraisers it has looked up, so a file of thousands of rows for a few
    campaigns makes a few queries."""

    def __init__(self, *, today: date):
        self.today = today
        self._campaigns, self._funds, self._teams, self._fundraisers = {}, {}, {}, {}

    def check(self, line: int, cells: dict[str, str]) -> tuple[list[str], CheckedRow | None]:
        if "" in cells:
            return [cells[""]], None
        problems: list[str] = []
        for column in REQUIRED_COLUMNS:
            if not cells[column]:
                problems.append(f"{column} is required")
        for column, limit in MAX_LENGTHS.items():
            if len(cells.get(column, "")) > limit:
                problems.append(f"{column} is longer than {limit} characters")

        received_on = self._date(cells["date"], problems)
        currency = self._currency(cells["currency"], problems)
        amount_minor = self._amount(cells["amount"], currency, problems)
        campaign, fund, team, fundraiser = self._attribution(cells, currency, problems)
        email = cells["email"].lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(f"email '{cells['email']}' is not an email address")
        country = cells.get("country", "").upper()
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            problems.append(f"country '{cells['country']}' is not a two-letter country code such as US")
        method = cells["method"].lower()
        if method and method not in METHODS:
            problems.append(f"method '{cells['method']}' must be one of {', '.join(METHODS)}")
        wants_receipt = self._yes_or_no(cells, "receipt", default=True, problems=problems)
        anonymous = self._yes_or_no(cells, "anonymous", default=False, problems=problems)
        if problems:
            return problems, None

        donor = DonorDetails(
            email=email,
            first_name=cells["first_name"],
            last_name=cells["last_name"],
            address_line1=cells.get("address_line1", ""),
            address_line2=cells.get("address_line2", ""),
            city=cells.get("city", ""),
            region=cells.get("region", ""),
            postal_code=cells.get("postal_code", ""),
            country=country,
        )
        gift = offline.OfflineGiftRequest(
            campaign=campaign,
            team=team,
            fundraiser=fundraiser,
            fund=fund,
            amount_minor=amount_minor,
            currency=currency,
            received_on=received_on,
            donor=donor,
            wants_receipt=wants_receipt,
            anonymous=anonymous,
            message=cells.get("message", ""),
        )
        return [], CheckedRow(line=line, gift=gift, method=method, reference=cells["reference"])

    def _date(self, value: str, problems: list[str]) -> date | None:
        if not value:
            return None
        try:
            # fromisoformat alone would also take 20260105 and 2026-W01-1.
            received_on = date.fromisoformat(value) if ISO_DATE.match(value) else None
        except ValueError:
            received_on = None
        if received_on is None:
            problems.append(f"date '{value}' is not a date in the form YYYY-MM-DD")
        elif received_on > self.today:
            problems.append(f"date {value} is in the future")
            return None
        return received_on

    def _currency(self, value: str, problems: list[str]) -> str | None:
        currency = value.lower()
        if currency and currency not in CURRENCIES:
            problems.append(f"currency '{value}' is not one we accept ({', '.join(c.upper() for c in CURRENCIES)})")
            return None
        return currency or None

    def _amount(self, value: str, currency: str | None, problems: list[str]) -> int | None:
        if not value:
            return None
        if "," in value:
            problems.append(
                f"amount '{value}': write it with a dot for decimals and no thousands separators, like 1000.00"
            )
            return None
        negative = value.startswith("-") and AMOUNT.match(value[1:])
        if negative or (AMOUNT.match(value) and Decimal(value) == 0):
            problems.append(f"amount {value} must be more than zero")
            return None
        if not AMOUNT.match(value):
            problems.append(f"amount '{value}' is not an amount; write it like 50.00")
            return None
        if currency is None:
            return None
        limits = CURRENCIES[currency]
        decimals = len(value.partition(".")[2])
        if decimals > limits.exponent:
            problems.append(
                f"amount {value} has {decimals} decimals; {currency.upper()} amounts have at most {limits.exponent}"
            )
            return None
        amount_minor = int(Decimal(value).scaleb(limits.exponent))
        if not limits.min_gift_minor <= amount_minor <= limits.max_gift_minor:
            problems.append(
                f"amount {value} is outside the limits: gifts must be between "
                f"{format_money(limits.min_gift_minor, currency)} and "
                f"{format_money(limits.max_gift_minor, currency)}"
            )
            return None
        return amount_minor

    def _attribution(self, cells: dict[str, str], currency: str | None, problems: list[str]):
        slug = cells["campaign"]
        if not slug:
            return None, None, None, None
        if slug not in self._campaigns:
            self._campaigns[slug] = campaign_selectors.campaign_by_slug(slug)
        campaign = self._campaigns[slug]
        if campaign is None:
            problems.append(f"there is no campaign '{slug}'")
            return None, None, None, None
        if currency and currency != campaign.currency:
            problems.append(
                f"currency {currency.upper()} does not match campaign '{slug}', which takes {campaign.currency.upper()}"
            )
        fund = self._fund(campaign, cells["fund"], problems)
        team = self._team(campaign, cells.get("team", ""), problems)
        fundraiser = self._fundraiser(campaign, cells.get("fundraiser", ""), problems)
        if fundraiser is not None:
            if team is not None and fundraiser.team_id != team.pk:
                problems.append(f"fundraiser '{fundraiser.slug}' is not on team '{team.slug}'")
            # A gift to a fundraiser also counts for the fundraiser's team.
            team = fundraiser.team
        return campaign, fund, team, fundraiser

    def _fund(self, campaign, slug: str, problems: list[str]):
        if campaign.pk not in self._funds:
            self._funds[campaign.pk] = {fund.slug: fund for fund in campaign_selectors.funds_offered(campaign)}
        fund = self._funds[campaign.pk].get(slug)
        if slug and fund is None:
            problems.append(f"campaign '{campaign.slug}' does not offer a fund '{slug}'")
        return fund

    # Hidden teams and fundraisers still take offline gifts: the money was
    # given to them, and what a hidden page raised still counts.
    def _team(self, campaign, slug: str, problems: list[str]):
        if not slug:
            return None
        key = (campaign.pk, slug)
        if key not in self._teams:
            self._teams[key] = campaign_selectors.team_to_manage(campaign.slug, slug)
        if self._teams[key] is None:
            problems.append(f"campaign '{campaign.slug}' has no team '{slug}'")
        return self._teams[key]

    def _fundraiser(self, campaign, slug: str, problems: list[str]):
        if not slug:
            return None
        key = (campaign.pk, slug)
        if key not in self._fundraisers:
            self._fundraisers[key] = campaign_selectors.fundraiser_to_manage(campaign.slug, slug)
        if self._fundraisers[key] is None:
            problems.append(f"campaign '{campaign.slug}' has no fundraiser '{slug}'")
        return self._fundraisers[key]

    @staticmethod
    def _yes_or_no(cells: dict[str, str], column: str, *, default: bool, problems: list[str]) -> bool:
        value = cells.get(column, "").lower()
        if not value:
            return default
        if value not in (YES, NO):
            problems.append(f"{column} must be yes or no, not '{cells[column]}'")
        return value == YES


# --- Running an import -------------------------------------------------------------


def create_gift_import(*, file_name: str, import_file: ImportFile, dry_run: bool, user=None) -> GiftImport:
    return GiftImport.objects.create(
        file_name=file_name[:255],
        content=import_file.text,
        dry_run=dry_run,
        total_rows=import_file.row_count,
        created_by=user,
    )


def start_gift_import(*, file_name: str, import_file: ImportFile, dry_run: bool, user) -> GiftImport:
    """Save the file as an import and run it in the background."""
    with transaction.atomic():
        gift_import = create_gift_import(file_name=file_name, import_file=import_file, dry_run=dry_run, user=user)
        pk = gift_import.pk
        # If the broker is down the import stays queued; uploading the file
        # again is safe (references are imported once).
        transaction.on_commit(lambda: tasks.run_gift_import.delay(pk), robust=True)
    return gift_import


def run_import(*, gift_import_id: int, channel: str, on_progress: ProgressCallback | None = None) -> GiftImport:
    """Check the import's file and, unless it is a dry run or a row is bad,
    write its gifts. Safe to call twice: only the caller that claims the
    import runs it; others get it as it stands."""
    gift_import = _claim(gift_import_id)
    if gift_import is None:
        return GiftImport.objects.get(pk=gift_import_id)
    try:
        return _run(gift_import, channel=channel, on_progress=on_progress or _no_progress)
    except Exception:
        # Nothing was written (the write is one transaction); say so, and
        # let the caller log the fault.
        _finish(
            gift_import,
            Status.FAILED,
            channel=channel,
            errors=[
                {
                    "line": 0,
                    "message": "The import stopped on an unexpected error; nothing was written. "
                    "Try again, or tell the developers if it happens again.",
                }
            ],
        )
        raise


def _no_progress(phase: str, done: int, total: int) -> None:
    pass


def _claim(gift_import_id: int) -> GiftImport | None:
    now = timezone.now()
    with transaction.atomic():
        gift_import = GiftImport.objects.select_for_update().get(pk=gift_import_id)
        lease = tasks.IMPORT_TIME_LIMIT + CLAIM_MARGIN
        abandoned = gift_import.status == Status.RUNNING and gift_import.started_at < now - lease
        if gift_import.status != Status.QUEUED and not abandoned:
            return None
        gift_import.status = Status.RUNNING
        gift_import.started_at = now
        gift_import.processed_rows = 0
        gift_import.save(update_fields=["status", "started_at", "processed_rows"])
        return gift_import


def _run(gift_import: GiftImport, *, channel: str, on_progress: ProgressCallback) -> GiftImport:
    def checked(done: int) -> None:
        # Committed at once (no transaction is open): the page sees it.
        GiftImport.objects.filter(pk=gift_import.pk).update(processed_rows=done)
        on_progress("checking", done, gift_import.total_rows)

    try:
        result = check_rows(gift_import.content, on_progress=checked)
    except ImportFileError as exc:
        return _finish(gift_import, Status.REJECTED, channel=channel, errors=[{"line": exc.line, "message": str(exc)}])
    if result.errors:
        return _finish(gift_import, Status.REJECTED, channel=channel, errors=result.errors)
    if gift_import.dry_run:
        return _finish(gift_import, Status.CHECKED, channel=channel, totals_minor=result.totals_minor)
    try:
        return _write(gift_import, result, channel=channel, on_progress=on_progress)
    except IntegrityError:
        taken = selectors.references_already_imported([row.reference for row in result.rows])
        if not taken:
            raise
        errors = [
            {"line": row.line, "message": f"reference '{row.reference}' was imported meanwhile"}
            for row in result.rows
            if row.reference in taken
        ]
        return _finish(gift_import, Status.REJECTED, channel=channel, errors=errors)


def _write(gift_import: GiftImport, result: CheckResult, *, channel: str, on_progress: ProgressCallback) -> GiftImport:
    total = len(result.rows)
    with transaction.atomic():
        # Lock order: the import's row before any ledger row. Our claim is
        # still the current one only if no later claim changed started_at.
        locked = GiftImport.objects.select_for_update().get(pk=gift_import.pk)
        if (locked.status, locked.started_at) != (Status.RUNNING, gift_import.started_at):
            return locked
        donations = offline.record_offline_gifts(
            gifts=[row.gift for row in result.rows],
            on_progress=lambda done: on_progress("writing", done, total),
        )
        OfflineGift.objects.bulk_create(
            [
                OfflineGift(
                    donation=donation,
                    gift_import=gift_import,
                    method=row.method,
                    external_reference=row.reference,
                    received_on=row.gift.received_on,
                    line_number=row.line,
                )
                for row, donation in zip(result.rows, donations, strict=False)
            ],
            batch_size=1000,
        )
        return _finish(
            gift_import, Status.IMPORTED, channel=channel, imported_rows=total, totals_minor=result.totals_minor
        )


def _finish(
    gift_import: GiftImport,
    status: str,
    *,
    channel: str,
    errors: list[dict] | None = None,
    imported_rows: int = 0,
    totals_minor: dict | None = None,
) -> GiftImport:
    errors = errors or []
    gift_import.status = status
    gift_import.errors = errors
    gift_import.imported_rows = imported_rows
    gift_import.totals_minor = totals_minor or {}
    gift_import.finished_at = timezone.now()
    fields = ["status", "errors", "imported_rows", "totals_minor", "finished_at"]
    if status in (Status.IMPORTED, Status.CHECKED):
        gift_import.processed_rows = gift_import.total_rows
        fields.append("processed_rows")
    with transaction.atomic():
        gift_import.save(update_fields=fields)
        audit.record(
            action=AuditLogEntry.Action.IMPORT_CHECK if gift_import.dry_run else AuditLogEntry.Action.IMPORT,
            channel=channel,
            subject="offline gifts",
            row_count=gift_import.total_rows if gift_import.dry_run else imported_rows,
            filters={
                "file_name": gift_import.file_name,
                "gift_import": str(gift_import.public_id),
                "status": status,
                "rows_in_file": gift_import.total_rows,
                "invalid_rows": len(errors) if status == Status.REJECTED else 0,
            },
            user=gift_import.created_by,
        )
    # What the check saved as it went, for a run that stopped early.
    gift_import.refresh_from_db(fields=["processed_rows"])
    return gift_import
