"""Thin Celery wrappers over receipts.outbox and receipts.services; they
take ids and are safe to run twice. Each imports its service inside the
task: the services import this module to enqueue, so a top-level import
here would make a cycle."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

# The sweep leaves emails this long to their own task first.
NEVER_TRIED_FOR = timedelta(minutes=1)
# Longer than the longest wait between two retries (below).
IDLE_FOR = timedelta(minutes=15)


# The retries are counted here (settings.EMAIL_SEND_RETRIES), not by Celery.
@shared_task(bind=True, max_retries=None)
def send_email(self, kind: str, pk: int) -> None:
    from receipts import outbox

    try:
        outbox.send_email(kind=kind, pk=pk, task_id=self.request.id)
    except Exception as exc:
        if self.request.retries >= settings.EMAIL_SEND_RETRIES:
            outbox.give_up(kind=kind, pk=pk)
            return
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc


@shared_task
def send_emails(kind: str, pks: list[int]) -> None:
    """Queue each email's own send (receipts.outbox.send_many_on_commit);
    run twice, it queues them twice, and each is still sent once."""
    for pk in pks:
        send_email.delay(kind, pk)


def retry_countdown(retries: int) -> float:
    """Seconds before the next try after `retries` retries: 2, 4, 8 ... in
    production (settings.EMAIL_RETRY_BACKOFF_SECONDS doubled each time)."""
    return settings.EMAIL_RETRY_BACKOFF_SECONDS * 2**retries


@shared_task
def resend_stalled_emails() -> int:
    from receipts import outbox

    return outbox.resend_stalled(never_tried_for=NEVER_TRIED_FOR, idle_for=IDLE_FOR)


@shared_task
def queue_update_batch(update_id: int, after_donor_id: int) -> None:
    from receipts.services import impact_updates

    impact_updates.queue_update_batch(update_id=update_id, after_donor_id=after_donor_id)


# Issuing every donor's statement is one long run; far longer than Redis's
# visibility timeout, so it is acknowledged as it starts (a second run
# issues nothing twice, and beat runs it on seven days in January).
STATEMENTS_TIME_LIMIT = timedelta(minutes=30)


@shared_task(
    acks_late=False,
    time_limit=int(STATEMENTS_TIME_LIMIT.total_seconds()),
    soft_time_limit=int(STATEMENTS_TIME_LIMIT.total_seconds()) - 60,
)
def send_last_years_statements() -> int:
    """Scheduled by beat in January, for last calendar year."""
    from receipts.services import statements

    try:
        due = statements.statement_years(str(timezone.localdate().year - 1))
    except ValueError:
        return 0  # no entity counts calendar years
    return statements.issue_year_end_statements(years=due).new_statements


@shared_task(
    acks_late=False,
    time_limit=int(STATEMENTS_TIME_LIMIT.total_seconds()),
    soft_time_limit=int(STATEMENTS_TIME_LIMIT.total_seconds()) - 60,
)
def send_other_years_statements() -> int:
    """Scheduled by beat every day: the statements of entities whose year
    does not start on 1 January (the UK's 6 April), in the same days after
    their year's end as January's run is after the calendar year's."""
    from receipts.services import statements

    due = statements.other_statement_years_due(today=timezone.localdate())
    return statements.issue_year_end_statements(years=due).new_statements if due else 0


@shared_task
def correct_statements(statement_ids: list[int]) -> list[int]:
    """Queued by the refund hook (receipts.services.statements.correct_after_refund)."""
    from receipts.services import statements

    return statements.correct_statements(statement_ids=statement_ids)
