"""Year-end statements: one per donor and year (and one per organisation
and year for the gifts given as it), listing the year's gifts
with refunds reflected, as they stand when the statement's email is first
built: what it says is stored on it then (YearEndStatement.record), and
that email and every later one are drawn from the record alone. Working it
out in the workers that send, not in the run that creates the rows, keeps
the yearly run to a few queries however many donors gave."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from receipts import documents, emails, outbox, selectors
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


def _freeze(statement: YearEndStatement) -> dict:
    """Store what the statement says, as things stand now, unless another
    worker building it at the same time stored it first: then theirs
    stands, and is returned."""
    gifts, lines, totals = selectors.statement_lines(
        donor_id=statement.donor_id, year=statement.year, organization_id=statement.organization_id
    )
    record = documents.statement_facts_at_issue(year=statement.year, gifts=gifts, lines=lines, totals=totals)
    YearEndStatement.objects.filter(pk=statement.pk, record={}).update(record=record.as_record())
    return YearEndStatement.objects.values_list("record", flat=True).get(pk=statement.pk)


@dataclass(frozen=True)
class StatementRun:
    # Statements due: donors for their own gifts, and organisations.
    donors: int
    new_statements: int


def issue_year_end_statements(
    *, year: int, dry_run: bool = False, on_progress: Callable[[int, int], None] | None = None
) -> StatementRun:
    """One statement per donor with a counted gift given as themselves in
    `year`, and one per organisation given as (sent to the contact of its
    latest gift), queued for sending. Running it again creates and sends
    nothing new; statements whose send was lost are queued again.
    `on_progress(done, total)` follows the queueing, the long part with
    many donors."""
    donor_ids = selectors.donors_due_a_statement(year)
    contacts = selectors.organizations_due_a_statement(year)
    issued = YearEndStatement.objects.filter(year=year)
    already = set(issued.filter(organization=None).values_list("donor_id", flat=True))
    already_organizations = set(issued.exclude(organization=None).values_list("organization_id", flat=True))
    new = [YearEndStatement(donor_id=donor_id, year=year) for donor_id in donor_ids if donor_id not in already] + [
        YearEndStatement(donor_id=donor_id, organization_id=organization_id, year=year)
        for organization_id, donor_id in contacts.items()
        if organization_id not in already_organizations
    ]
    run = StatementRun(donors=len(donor_ids) + len(contacts), new_statements=len(new))
    if dry_run:
        return run
    with transaction.atomic():
        YearEndStatement.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
        pending = list(
            YearEndStatement.objects.filter(year=year, status=OutboundEmail.Status.PENDING).values_list("pk", flat=True)
        )
    # Queued once the statements are committed, one at a time, so progress
    # can be told; if this stops half-way the sweep sends the rest.
    for done, pk in enumerate(pending, start=1):
        outbox.send_on_commit(kind=STATEMENT_EMAIL, pk=pk)
        if on_progress is not None:
            on_progress(done, len(pending))
    return run
