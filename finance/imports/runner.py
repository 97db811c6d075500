"""Running an offline gift import: claim the job, check its rows, write
its gifts, and record an audit entry (see finance.imports)."""

from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import task_queue
from donations.services import offline
from finance import tasks
from finance.imports.reader import ImportFile, ImportFileError
from finance.imports.rows import CheckResult, check_rows
from finance.models import AuditLogEntry, GiftImport, OfflineGift
from finance.selectors import imports as selectors
from finance.services import audit

# A run claimed longer ago than the task's time limit plus this belongs to a
# worker that died, and may be claimed again (nothing of it was written:
# the write is one transaction).
CLAIM_MARGIN = timedelta(minutes=15)

Status = GiftImport.Status

# "checking" or "writing", rows done, rows in all.
ProgressCallback = Callable[[str, int, int], None]


def create_gift_import(
    *, file_name: str, import_file: ImportFile, dry_run: bool, tell_fundraisers: bool = False, user=None
) -> GiftImport:
    return GiftImport.objects.create(
        file_name=file_name[:255],
        content=import_file.text,
        dry_run=dry_run,
        tell_fundraisers=tell_fundraisers,
        total_rows=import_file.row_count,
        created_by=user,
    )


def start_gift_import(
    *, file_name: str, import_file: ImportFile, dry_run: bool, tell_fundraisers: bool, user
) -> GiftImport:
    """Save the file as an import and run it in the background."""
    with transaction.atomic():
        gift_import = create_gift_import(
            file_name=file_name,
            import_file=import_file,
            dry_run=dry_run,
            tell_fundraisers=tell_fundraisers,
            user=user,
        )
        pk = gift_import.pk
        # If the broker is down its task is parked (core/task_queue.py);
        # the resume_stalled_imports sweep covers a task lost inside it.
        task_queue.enqueue_on_commit(tasks.run_gift_import, pk)
    return gift_import


# An import queued this long ago with no worker on it lost its task.
NEVER_STARTED_AFTER = timedelta(minutes=1)
STALLED_BATCH = 20


def queue_stalled_imports() -> int:
    """The beat sweep: queue again imports whose task was never queued or
    whose worker died (the task claims the import, so a second delivery
    of either does nothing)."""
    now = timezone.now()
    stalled = selectors.stalled_imports(
        queued_before=now - NEVER_STARTED_AFTER,
        running_before=now - tasks.IMPORT_TIME_LIMIT - CLAIM_MARGIN,
        limit=STALLED_BATCH,
    )
    for gift_import_id in stalled:
        tasks.run_gift_import.delay(gift_import_id)
    return len(stalled)


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
            tell_fundraisers=gift_import.tell_fundraisers,
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
