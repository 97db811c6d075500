"""Year-end statements: one per donor and statement year (and one per
organisation and year for the gifts given as it), listing the year's gifts
with refunds reflected, as they stand when the statement's email is first
built: what it says is stored on it then (YearEndStatement.record), and
that email and every later one are drawn from the record alone. Working it
out in the workers that send, not in the run that creates the rows, keeps
the yearly run to a few queries however many donors gave.

A refund (or a lost chargeback) after a statement said what it says makes
a corrected statement that replaces it, sent like the first
(correct_statements)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from campaigns.models import ReceiptingEntity
from core import task_queue, years
from core.years import Year
from donations.models import Donation
from receipts import documents, emails, outbox, selectors, tasks
from receipts.models import OutboundEmail, YearEndStatement


def compose_statement_email(statement: YearEndStatement):
    if not statement.record:
        statement.record = _freeze(statement)
    return emails.statement_message(statement)


STATEMENT_EMAIL = outbox.register_kind(
    "statement",
    model=YearEndStatement,
    load=selectors.statement_by_id,
    build=compose_statement_email,
    created_field="created_at",
)


def _entity_of(statement: YearEndStatement) -> ReceiptingEntity:
    return statement.entity or ReceiptingEntity.default()


def _facts(statement: YearEndStatement, *, replaces: YearEndStatement | None = None) -> documents.StatementFacts:
    """What `statement` says as things stand now; a correction of
    `replaces` says when that one was sent."""
    entity = _entity_of(statement)
    # Its year as it was named when issued: a calendar year, or one from
    # the entity's statement year start.
    period = Year(statement.year, entity.statement_year_start if "-" in statement.period else years.CALENDAR_START)
    gifts, lines, totals = selectors.statement_lines(
        donor_id=statement.donor_id,
        period=period,
        organization_id=statement.organization_id,
        entity_id=statement.entity_id,
    )
    sent = (replaces.sent_at or replaces.created_at) if replaces else None
    return documents.statement_facts_at_issue(
        period=period,
        gifts=gifts,
        lines=lines,
        totals=totals,
        issued_on=timezone.localdate(),
        replaces_sent_on=timezone.localtime(sent).date() if sent else None,
        entity=entity,
    )


def _freeze(statement: YearEndStatement) -> dict:
    """Store what the statement says, as things stand now, unless another
    worker building it at the same time stored it first: then theirs
    stands, and is returned."""
    record = _facts(statement)
    YearEndStatement.objects.filter(pk=statement.pk, record={}).update(record=record.as_record())
    return YearEndStatement.objects.values_list("record", flat=True).get(pk=statement.pk)


# No statement is issued for gifts before this year.
FIRST_YEAR = 2000


@dataclass(frozen=True)
class StatementYear:
    """A statement year as one receipting entity counts it."""

    entity: ReceiptingEntity
    year: Year


def statement_years(label: str) -> list[StatementYear]:
    """The statement years named `label` ("2026": the calendar year, for
    the entities whose year starts on 1 January; "2025-26": the year that
    starts in 2025 for each entity whose year starts later), or ValueError
    in one line: not such a name, not finished yet, or no entity's."""
    try:
        start_year, calendar = years.parse_label(label)
    except ValueError as exc:
        raise ValueError(f"PERIOD: {exc}") from None
    today = timezone.localdate()
    if not FIRST_YEAR <= start_year <= today.year:
        raise ValueError(f"PERIOD must start in a year from {FIRST_YEAR} to {today.year - 1}, not {label!r}")
    due = [
        StatementYear(entity, Year(start_year, entity.statement_year_start))
        for entity in selectors.receipting_entities()
        if (entity.statement_year_start == years.CALENDAR_START) == calendar
    ]
    if not due:
        kind = "1 January" if calendar else "a day other than 1 January"
        raise ValueError(f"No receipting entity's statement year starts on {kind}, so none has a year {label}")
    unfinished = max(item.year.last_day for item in due)
    if unfinished >= today:
        raise ValueError(
            f"{label} has not ended yet (it ends on {documents.long_date(unfinished)}): "
            "statements are for a finished year"
        )
    return due


# Statements go out this many days after their year ends (15-21 January for
# a calendar year; 20-26 April for the UK tax year): late refunds and
# address changes are in by then, and a run lost with its worker is made
# good the next day.
DAYS_AFTER_YEAR_END = range(15, 22)


def other_statement_years_due(*, today: date) -> list[StatementYear]:
    """The statement years of entities whose year starts later than 1
    January that ended DAYS_AFTER_YEAR_END days before `today` (calendar
    years have their own run in January)."""
    due = []
    for entity in selectors.receipting_entities():
        if entity.statement_year_start == years.CALENDAR_START:
            continue
        ended = Year.containing(today, entity.statement_year_start).previous()
        if (today - ended.last_day).days in DAYS_AFTER_YEAR_END:
            due.append(StatementYear(entity, ended))
    return due


@dataclass(frozen=True)
class StatementRun:
    # Statements due: donors for their own gifts, and organisations.
    donors: int
    new_statements: int


def issue_year_end_statements(
    *, years: list[StatementYear], dry_run: bool = False, on_progress: Callable[[int, int], None] | None = None
) -> StatementRun:
    """For each of `years`: one statement per donor with a counted gift given as
    themselves in it, and one per organisation given as (sent to the contact of its
    latest gift), queued for sending. Running it again creates and sends
    nothing new; statements whose send was lost are queued again.
    `on_progress(done, total)` follows the queueing, the long part with
    many donors."""
    due, new = 0, []
    for item in years:
        period, entity_id = item.year, item.entity.pk
        donor_ids = selectors.donors_due_a_statement(period, entity_id=entity_id)
        contacts = selectors.organizations_due_a_statement(period, entity_id=entity_id)
        issued = YearEndStatement.objects.filter(period=period.label, entity_id=entity_id, replaces=None)
        already = set(issued.filter(organization=None).values_list("donor_id", flat=True))
        already_organizations = set(issued.exclude(organization=None).values_list("organization_id", flat=True))
        fields = {"year": period.start_year, "period": period.label, "entity_id": entity_id}
        new += [YearEndStatement(donor_id=donor_id, **fields) for donor_id in donor_ids if donor_id not in already]
        new += [
            YearEndStatement(donor_id=donor_id, organization_id=organization_id, **fields)
            for organization_id, donor_id in contacts.items()
            if organization_id not in already_organizations
        ]
        due += len(donor_ids) + len(contacts)
    run = StatementRun(donors=due, new_statements=len(new))
    if dry_run:
        return run
    with transaction.atomic():
        YearEndStatement.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
        pending = list(
            YearEndStatement.objects.filter(
                period__in={item.year.label for item in years}, status=OutboundEmail.Status.PENDING
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    # Queued once the statements are committed, one at a time, so progress
    # can be told; if this stops half-way the sweep sends the rest.
    for done, pk in enumerate(pending, start=1):
        outbox.send_on_commit(kind=STATEMENT_EMAIL, pk=pk)
        if on_progress is not None:
            on_progress(done, len(pending))
    return run


# --- Corrections --------------------------------------------------------------


def correct_after_refund(*, donation: Donation) -> None:
    """ON_REFUNDED hook (also for a lost chargeback), inside the gift's
    transaction: queue, once it commits, the correction of the statements
    that already said what the gift was. Only queues: working a statement
    out again reads all of the year's gifts, which the gift's row lock need
    not wait for."""
    statement_ids = selectors.frozen_statements_covering(donation)
    if statement_ids:
        task_queue.enqueue_on_commit(tasks.correct_statements, statement_ids)


def correct_statements(*, statement_ids: list[int]) -> list[int]:
    """The corrected statements made (their ids) for those of
    `statement_ids` whose gifts or amounts differ now from what they said.
    Safe to run twice: a statement already corrected is left to its
    correction, which the next refund's hook names instead."""
    return [pk for pk in (correct_statement(statement_id=pk) for pk in statement_ids) if pk is not None]


def correct_statement(*, statement_id: int) -> int | None:
    with transaction.atomic():
        # Under the row lock, two runs for one statement make one correction.
        statement = YearEndStatement.objects.select_for_update().get(pk=statement_id)
        if not statement.record or YearEndStatement.objects.filter(replaces=statement).exists():
            return None
        facts = _facts(statement, replaces=statement)
        if facts.money() == documents.StatementFacts.from_record(statement.record).money():
            return None
        corrected = YearEndStatement.objects.create(
            donor_id=statement.donor_id,
            organization_id=statement.organization_id,
            entity_id=statement.entity_id,
            year=statement.year,
            period=statement.period,
            replaces=statement,
            record=facts.as_record(),
        )
        outbox.send_on_commit(kind=STATEMENT_EMAIL, pk=corrected.pk)
    return corrected.pk
