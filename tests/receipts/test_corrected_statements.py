"""A statement that has said what it says (sent, or its record frozen) is
corrected and sent again when a later refund changes it: one corrected
statement per change, replacing the one it corrects, whose email says so;
a refund before the statement says anything, or of a gift of another year,
corrects nothing."""

from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from donations.models import Donation
from receipts import tasks
from receipts.documents import StatementFacts, long_date
from receipts.models import Receipt, YearEndStatement
from tests.stripe_events import dispute_event

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.localdate().year - 1


def received_on(donation: Donation, when: datetime) -> None:
    Donation.objects.filter(pk=donation.pk).update(succeeded_at=when)


@pytest.fixture
def gifts(organisation, make_gift, mailoutbox):
    """Ada gave $50 and $20 last year and $7 this year."""
    first = make_gift(amount_minor=5000)
    second = make_gift(amount_minor=2000)
    now = make_gift(amount_minor=700)
    received_on(first, datetime(LAST_YEAR, 3, 1, 12, tzinfo=UTC))
    received_on(second, datetime(LAST_YEAR, 11, 5, 12, tzinfo=UTC))
    mailoutbox.clear()
    return {"first": first, "second": second, "now": now}


@pytest.fixture
def sent_statement(gifts, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_year_end_statements", str(LAST_YEAR))
    statement = YearEndStatement.objects.get()
    assert statement.status == "sent" and "$70.00" in mailoutbox[0].body
    mailoutbox.clear()
    return statement


def statement_emails(mailoutbox) -> list:
    return [message for message in mailoutbox if "giving statement" in message.subject]


def test_a_refund_after_the_statement_was_sent_yields_one_corrected_statement_with_the_new_totals(
    sent_statement, gifts, refund, mailoutbox
):
    refund(gifts["second"], refunded_minor=500)

    corrected = YearEndStatement.objects.get(replaces=sent_statement)
    assert YearEndStatement.objects.count() == 2
    assert (corrected.donor_id, corrected.period, corrected.status) == (sent_statement.donor_id, str(LAST_YEAR), "sent")
    facts = StatementFacts.from_record(corrected.record)
    assert facts.totals[0]["amount"] == "$65.00"
    assert [line["refunded"] for line in facts.lines] == ["", "$5.00"]
    [message] = statement_emails(mailoutbox)
    assert message.subject == f"Your corrected {LAST_YEAR} giving statement from Freedom Now"
    sent_on = long_date(timezone.localtime(sent_statement.sent_at).date())
    for document in (message.body, message.alternatives[0][0]):
        assert "This is a corrected statement" in document
        assert f"replaces the statement for {LAST_YEAR} we sent you on {sent_on}" in document
        assert "$65.00" in document and "$70.00" not in document
    assert message.extra_headers["Message-ID"] == (
        f"<statement-{LAST_YEAR}-{corrected.donor_id}-corrected-{corrected.pk}@give.freedomnow.example>"
    )
    # The original stands as it was sent.
    assert StatementFacts.from_record(YearEndStatement.objects.get(pk=sent_statement.pk).record).totals[0][
        "amount"
    ] == ("$70.00")


def test_running_the_correction_twice_yields_one(sent_statement, gifts, refund, mailoutbox):
    refund(gifts["second"], refunded_minor=500)

    assert tasks.correct_statements.delay([sent_statement.pk]).get() == []
    assert tasks.correct_statements.delay([sent_statement.pk]).get() == []

    assert YearEndStatement.objects.filter(replaces=sent_statement).count() == 1
    assert len(statement_emails(mailoutbox)) == 1


def test_the_correction_task_run_twice_for_one_change_makes_one_correction(
    sent_statement, gifts, django_capture_on_commit_callbacks, mailoutbox
):
    # The refund's own hook is held back: the task is run twice by hand.
    from tests.factories import pay_through_services

    with django_capture_on_commit_callbacks(execute=False) as held:
        pay_through_services(gifts["second"], refunded_minor=2000)
    assert held and YearEndStatement.objects.count() == 1  # the hook only queues

    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.correct_statements.delay([sent_statement.pk]).get()
        second = tasks.correct_statements.delay([sent_statement.pk]).get()

    [corrected] = YearEndStatement.objects.filter(replaces=sent_statement)
    assert (first, second) == ([corrected.pk], [])
    assert StatementFacts.from_record(corrected.record).totals[0]["amount"] == "$50.00"


def test_a_second_refund_corrects_the_corrected_statement(sent_statement, gifts, refund, mailoutbox):
    refund(gifts["second"], refunded_minor=500)
    refund(gifts["first"], refunded_minor=5000)

    corrected = YearEndStatement.objects.get(replaces=sent_statement)
    again = YearEndStatement.objects.get(replaces=corrected)
    assert YearEndStatement.objects.count() == 3
    assert StatementFacts.from_record(again.record).totals[0]["amount"] == "$15.00"
    assert [message.subject.startswith("Your corrected") for message in statement_emails(mailoutbox)] == [True, True]


def test_a_refund_before_the_statement_is_issued_creates_no_correction(
    gifts, refund, mailoutbox, django_capture_on_commit_callbacks
):
    refund(gifts["second"], refunded_minor=500)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_year_end_statements", str(LAST_YEAR))

    [statement] = YearEndStatement.objects.all()
    assert StatementFacts.from_record(statement.record).totals[0]["amount"] == "$65.00"
    [message] = statement_emails(mailoutbox)
    assert "corrected" not in message.subject


def test_a_refund_while_the_statement_waits_to_be_built_creates_no_correction(
    gifts, refund, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        call_command("send_year_end_statements", str(LAST_YEAR))
    refund(gifts["second"], refunded_minor=500)
    for send in queued:
        send()

    [statement] = YearEndStatement.objects.all()
    assert StatementFacts.from_record(statement.record).totals[0]["amount"] == "$65.00"
    assert len(statement_emails(mailoutbox)) == 1


def test_a_refund_of_a_gift_of_another_year_touches_nothing(sent_statement, gifts, refund, mailoutbox):
    refund(gifts["now"], refunded_minor=700)

    assert list(YearEndStatement.objects.all()) == [sent_statement]
    assert statement_emails(mailoutbox) == []


def test_a_us_statement_shows_the_deductible_amount_where_a_receipt_stated_a_benefit(
    gifts, mailoutbox, django_capture_on_commit_callbacks
):
    Receipt.objects.filter(donation=gifts["first"]).update(benefit_value_minor=1500, benefit_description="a dinner")

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_year_end_statements", str(LAST_YEAR))

    facts = StatementFacts.from_record(YearEndStatement.objects.get().record)
    assert [line["deductible"] for line in facts.lines] == ["$35.00", ""]
    assert facts.totals == [{"currency": "USD", "amount": "$70.00", "deductible": "$55.00"}]
    [message] = statement_emails(mailoutbox)
    assert "Counts: $50.00  Deductible: $35.00" in message.body
    assert f"Total for {LAST_YEAR} (USD): $70.00, of which deductible: $55.00" in message.body
    html = message.alternatives[0][0]
    assert '<th scope="col" style="text-align: right;">Deductible</th>' in html and "$55.00" in html


def test_a_statement_without_benefits_shows_no_deductible_column(sent_statement):
    facts = StatementFacts.from_record(sent_statement.record)

    assert not facts.shows_deductible and facts.totals[0]["deductible"] == ""


def test_a_lost_chargeback_after_the_statement_was_sent_corrects_it(
    sent_statement, gifts, deliver_events, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver_events(
            dispute_event("charge.dispute.created", gifts["second"], status="needs_response"),
            dispute_event("charge.dispute.closed", gifts["second"], status="lost"),
        )

    corrected = YearEndStatement.objects.get(replaces=sent_statement)
    facts = StatementFacts.from_record(corrected.record)
    assert facts.totals[0]["amount"] == "$50.00"
    assert [line["date"] for line in facts.lines] == [f"March 1, {LAST_YEAR}"]
    assert len(statement_emails(mailoutbox)) == 1
