"""The audit log of exports and imports."""

import getpass

from finance.models import AuditLogEntry


def record(
    *, action: str, channel: str, subject: str, row_count: int, filters: dict | None = None, user=None
) -> AuditLogEntry:
    """Record one export or import. Without a user (a management command)
    the operating-system account that ran it is the actor."""
    actor = user.get_username() if user is not None else os_user()
    return AuditLogEntry.objects.create(
        action=action,
        channel=channel,
        subject=subject,
        row_count=row_count,
        filters=filters or {},
        user=user,
        actor=actor,
    )


def record_gift_export(*, export, filters, file_format: str, channel: str, user=None) -> AuditLogEntry:
    """Record a gift export (finance.exports.GiftExport, once written) with
    the filters it was asked for (finance.export_forms.GiftFilters)."""
    return record(
        action=AuditLogEntry.Action.EXPORT,
        channel=channel,
        subject="donations",
        row_count=export.row_count,
        filters={**filters.for_audit(), "format": file_format},
        user=user,
    )


def os_user() -> str:
    try:
        return f"{getpass.getuser()} (command line)"
    except OSError:
        return "unknown (command line)"
