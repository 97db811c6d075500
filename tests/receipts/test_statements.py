"""Year-end statements: one per donor with gifts that year, every gift
listed with refunds reflected, exactly once however often it is run."""

from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from donations.models import Donation
from receipts import selectors, tasks
from receipts.models import Receipt, YearEndStatement
from receipts.services import statements

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.localdate().year - 1


def received_on(donation: Donation, when: datetime) -> None:
    Donation.objects.filter(pk=donation.pk).update(succeeded_at=when)


@pytest.fixture
def last_years_gifts(organisation, make_gift, refund, mailoutbox):
    """Ada gave twice last year (one gift partly refunded) and once this
    year; Ben's only gift last year was refunded in full; Cy gave the year
    before."""
    ada_first = make_gift(amount_minor=5000, fund="rescue")
    ada_second = make_gift(amount_minor=2000, fund="aftercare")
    ada_now = make_gift(amount_minor=700)
    refund(ada_second, refunded_minor=500)
    ben = make_gift(amount_minor=3000, donor__email="ben@example.org", donor__first_name="Ben")
    refund(ben, refunded_minor=3000)
    cy = make_gift(amount_minor=4000, donor__email="cy@example.org", donor__first_name="Cy")
    received_on(ada_first, datetime(LAST_YEAR, 3, 1, 12, tzinfo=UTC))
    received_on(ada_second, datetime(LAST_YEAR, 11, 5, 12, tzinfo=UTC))
    received_on(ben, datetime(LAST_YEAR, 6, 1, 12, tzinfo=UTC))
    received_on(cy, datetime(LAST_YEAR - 1, 6, 1, 12, tzinfo=UTC))
    mailoutbox.clear()
    return {"ada_first": ada_first, "ada_second": ada_second, "ada_now": ada_now}


def test_each_donor_gets_one_statement_listing_that_years_gifts_with_refunds(
    last_years_gifts, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_year_end_statements", str(LAST_YEAR))

    [statement] = YearEndStatement.objects.all()
    assert (statement.donor.email, statement.year, statement.status) == ("ada@example.org", LAST_YEAR, "sent")
    [message] = mailoutbox
    assert message.to == ["ada@example.org"]
    assert message.subject == f"Your {LAST_YEAR} giving statement from Freedom Now"
    corrected = Receipt.objects.get(donation=last_years_gifts["ada_second"], status="sent")
    original = Receipt.objects.get(donation=last_years_gifts["ada_first"])
    for document in (message.body, message.alternatives[0][0]):
        assert f"March 1, {LAST_YEAR}" in document and f"November 5, {LAST_YEAR}" in document
        assert "$50.00" in document and original.number in document
        assert "$20.00" in document and "$5.00" in document and "$15.00" in document
        assert corrected.number in document
        assert "$65.00" in document  # 50 + (20 - 5)
        assert "$7.00" not in document  # this year's gift
        assert "12-3456789" in document
    assert message.extra_headers["Message-ID"] == (
        f"<statement-{LAST_YEAR}-{statement.donor_id}@give.freedomnow.example>"
    )


def test_running_it_again_sends_nothing_more(last_years_gifts, mailoutbox, django_capture_on_commit_callbacks, capsys):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_year_end_statements", str(LAST_YEAR))
        call_command("send_year_end_statements", str(LAST_YEAR))

    assert YearEndStatement.objects.count() == 1
    assert len(mailoutbox) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"{LAST_YEAR}: 1 donors with gifts; queued 0 new statements; 1 had one already."
    )


def test_a_dry_run_counts_and_sends_nothing(last_years_gifts, mailoutbox, capsys):
    call_command("send_year_end_statements", str(LAST_YEAR), "--dry-run")

    assert capsys.readouterr().out.strip() == (
        f"{LAST_YEAR}: 1 donors with gifts; would send 1 new statements; 0 had one already."
    )
    assert not YearEndStatement.objects.exists()
    assert mailoutbox == []


def test_the_year_follows_the_organisations_calendar(
    settings, make_gift, mailoutbox, django_capture_on_commit_callbacks
):
    settings.TIME_ZONE = "America/Los_Angeles"
    new_years_eve = make_gift()
    received_on(new_years_eve, datetime(LAST_YEAR + 1, 1, 1, 4, tzinfo=UTC))  # 8 pm on 31 December there
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_year_end_statements", str(LAST_YEAR))

    assert f"December 31, {LAST_YEAR}" in mailoutbox[0].body


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("next", "PERIOD: a period is YYYY or YYYY-YY"),
        ("1999", "PERIOD must start in a year from 2000 to"),
        (str(LAST_YEAR + 2), "PERIOD must start in a year from 2000 to"),
        (str(LAST_YEAR + 1), "has not ended yet"),
    ],
)
def test_a_year_that_is_not_a_finished_one_is_refused(db, year, message):
    with pytest.raises(CommandError, match=message):
        call_command("send_year_end_statements", year)
    assert not YearEndStatement.objects.exists()


def test_beat_sends_last_years_statements_in_january(settings, last_years_gifts, mailoutbox):
    entry = settings.CELERY_BEAT_SCHEDULE["send-year-end-statements"]
    assert entry["task"] == tasks.send_last_years_statements.name
    assert entry["schedule"].month_of_year == {1}

    assert tasks.send_last_years_statements.delay().get() == 1


def test_the_yearly_run_makes_the_same_few_queries_however_many_donors_gave(
    organisation, make_gift, django_capture_on_commit_callbacks
):
    def queries_for_a_run(year: int) -> int:
        with django_capture_on_commit_callbacks(execute=False), CaptureQueriesContext(connection) as queries:
            statements.issue_year_end_statements(years=statements.statement_years(str(year)))
        return len(queries)

    for index, year in enumerate((LAST_YEAR - 1, LAST_YEAR, LAST_YEAR, LAST_YEAR, LAST_YEAR)):
        received_on(make_gift(donor__email=f"donor{index}@example.org"), datetime(year, 6, 1, 12, tzinfo=UTC))

    assert queries_for_a_run(LAST_YEAR) == queries_for_a_run(LAST_YEAR - 1)
    assert YearEndStatement.objects.count() == 5


def test_two_workers_building_one_statement_send_what_the_first_stored(
    organisation, make_gift, django_capture_on_commit_callbacks
):
    received_on(make_gift(amount_minor=5000), datetime(LAST_YEAR, 6, 1, 12, tzinfo=UTC))
    with django_capture_on_commit_callbacks(execute=False):
        statements.issue_year_end_statements(years=statements.statement_years(str(LAST_YEAR)))
    pk = YearEndStatement.objects.get().pk
    first, second = selectors.statement_by_id(pk), selectors.statement_by_id(pk)

    sent = statements.compose_statement_email(first)
    Donation.objects.update(amount_minor=100)  # a change between the two builds
    racing = statements.compose_statement_email(second)

    assert racing.body == sent.body and "$50.00" in sent.body
    assert YearEndStatement.objects.get().record == first.record
