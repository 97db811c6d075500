"""Statements per receipting entity, on the entity's statement year:
`2026` is a calendar year, `2025-26` the year that starts in 2025 on the
entity's statement year start (6 April for the UK), in TIME_ZONE; each
statement lists only its entity's campaigns' gifts, says who the entity
is, and is worded for its country."""

from datetime import date, datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from donations.models import Donation
from receipts import emails, tasks
from receipts.documents import StatementFacts
from receipts.models import CampaignBenefit, YearEndStatement
from receipts.services import statements
from tests.factories import CampaignFactory, DonationFactory, DonorFactory, ReceiptingEntityFactory

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.localdate().year - 1


@pytest.fixture
def give(funds, django_capture_on_commit_callbacks):
    """A paid gift from Ada to `campaign`, received at `when` (local time)."""

    def make(campaign, *, amount_minor: int, when: datetime) -> Donation:
        with django_capture_on_commit_callbacks(execute=True):
            gift = DonationFactory(
                succeeded=True,
                through_services=True,
                campaign=campaign,
                fund=funds["aftercare"],
                currency=campaign.currency,
                amount_minor=amount_minor,
                donor=DonorFactory(with_address=True, email="ada@example.org"),
            )
        Donation.objects.filter(pk=gift.pk).update(succeeded_at=timezone.make_aware(when))
        return gift

    return make


@pytest.fixture
def uk_campaign(settings):
    settings.TIME_ZONE = "Europe/London"
    return CampaignFactory(
        slug="dressember-2026-uk",
        title="Dressember UK",
        currency="gbp",
        receipting_entity=ReceiptingEntityFactory(british=True),
    )


def send(period: str, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_year_end_statements", period)


def test_a_uk_statement_for_2025_26_holds_exactly_the_gifts_from_6_april_2025_to_5_april_2026(
    organisation, uk_campaign, give, mailoutbox, django_capture_on_commit_callbacks
):
    give(uk_campaign, amount_minor=1100, when=datetime(2025, 4, 5, 23, 59))  # out: 2024-25
    give(uk_campaign, amount_minor=2200, when=datetime(2025, 4, 6, 0, 0))  # in
    give(uk_campaign, amount_minor=3300, when=datetime(2026, 4, 5, 23, 59))  # in
    give(uk_campaign, amount_minor=4400, when=datetime(2026, 4, 6, 0, 0))  # out: 2026-27
    mailoutbox.clear()

    send("2025-26", django_capture_on_commit_callbacks)

    [statement] = YearEndStatement.objects.all()
    assert (statement.entity, statement.period, statement.year) == (uk_campaign.receipting_entity, "2025-26", 2025)
    facts = StatementFacts.from_record(statement.record)
    assert [(line["date"], line["given"]) for line in facts.lines] == [
        ("6 April 2025", "£22.00"),
        ("5 April 2026", "£33.00"),
    ]
    assert facts.totals[0]["amount"] == "£55.00"
    [message] = mailoutbox
    assert message.subject == "Your 2025-26 giving statement from Freedom Now UK"
    for document in (message.body, message.alternatives[0][0]):
        assert "UK tax year 6 April 2025 to 5 April 2026" in document
        assert "£55.00" in document and "£11.00" not in document and "£44.00" not in document
        assert "Registered charity number: 1123456" in document
        assert "tax-exempt" not in document.lower() and "deductible" not in document.lower()
    assert "EIN" not in message.body


def test_the_statements_record_carries_the_year_and_the_entity_not_the_settings(
    organisation, uk_campaign, give, django_capture_on_commit_callbacks
):
    give(uk_campaign, amount_minor=2200, when=datetime(2025, 6, 1, 12))

    send("2025-26", django_capture_on_commit_callbacks)

    facts = StatementFacts.from_record(YearEndStatement.objects.get().record)
    assert (facts.period, facts.period_start, facts.period_end, facts.year) == (
        "2025-26",
        "6 April 2025",
        "5 April 2026",
        2025,
    )
    assert (facts.org_name, facts.org_address, facts.org_tax_id, facts.country) == (
        "Freedom Now UK",
        "1 Hope Street, London SW1A 1AA",
        "1123456",
        "GB",
    )


def test_a_donor_with_gifts_to_two_entities_gets_a_statement_from_each_listing_only_its_gifts(
    organisation, campaign, give, mailoutbox, django_capture_on_commit_callbacks
):
    canada = CampaignFactory(
        slug="dressember-2026-canada",
        title="Dressember Canada",
        currency="cad",
        receipting_entity=ReceiptingEntityFactory(canadian=True),
    )
    us_gift = give(campaign, amount_minor=5000, when=datetime(LAST_YEAR, 3, 1, 12))
    give(canada, amount_minor=7000, when=datetime(LAST_YEAR, 5, 1, 12))
    mailoutbox.clear()

    send(str(LAST_YEAR), django_capture_on_commit_callbacks)

    us, ca = YearEndStatement.objects.order_by("pk")
    assert (us.entity, ca.entity) == (None, canada.receipting_entity)
    assert us.donor_id == ca.donor_id == us_gift.donor_id
    us_facts, ca_facts = (StatementFacts.from_record(s.record) for s in (us, ca))
    assert [line["campaign"] for line in us_facts.lines] == ["Dressember 2026"]
    assert [line["campaign"] for line in ca_facts.lines] == ["Dressember Canada"]
    assert (us_facts.org_name, ca_facts.org_name) == ("Freedom Now", "Freedom Now Canada")
    by_subject = {message.subject: message for message in mailoutbox}
    us_mail = by_subject[f"Your {LAST_YEAR} giving statement from Freedom Now"]
    ca_mail = by_subject[f"Your {LAST_YEAR} giving statement from Freedom Now Canada"]
    assert "$50.00" in us_mail.body and "70.00" not in us_mail.body
    assert "tax-exempt charitable organization" in us_mail.body
    for document in (ca_mail.body, ca_mail.alternatives[0][0]):
        assert (
            "This statement is not an official receipt for income tax purposes; "
            "your official receipts are listed by serial number"
        ) in document
        assert "123456789RR0001" in document and "50.00" not in document
        assert "tax-exempt" not in document
    assert ca_mail.extra_headers["Message-ID"] == (
        f"<statement-{LAST_YEAR}-entity-{ca.entity_id}-{ca.donor_id}@give.freedomnow.example>"
    )

    send(str(LAST_YEAR), django_capture_on_commit_callbacks)
    assert YearEndStatement.objects.count() == 2


def test_a_canadian_statement_leaves_the_eligible_amount_to_each_official_receipt(
    organisation, give, mailoutbox, django_capture_on_commit_callbacks
):
    canada = CampaignFactory(currency="cad", receipting_entity=ReceiptingEntityFactory(canadian=True))
    CampaignBenefit.objects.create(campaign=canada, description="a gala dinner", value_minor=2000)
    give(canada, amount_minor=10000, when=datetime(LAST_YEAR, 5, 1, 12))
    mailoutbox.clear()

    send(str(LAST_YEAR), django_capture_on_commit_callbacks)

    facts = StatementFacts.from_record(YearEndStatement.objects.get().record)
    assert not facts.shows_deductible and facts.totals[0]["deductible"] == ""
    [message] = mailoutbox
    for document in (message.body, message.alternatives[0][0]):
        assert "deductible" not in document.lower()
        assert "The eligible amount of each gift is the one on its official receipt." in document


def test_a_calendar_year_run_leaves_entities_on_another_year_alone(
    organisation, campaign, uk_campaign, give, django_capture_on_commit_callbacks
):
    give(campaign, amount_minor=5000, when=datetime(LAST_YEAR, 6, 1, 12))
    give(uk_campaign, amount_minor=2200, when=datetime(LAST_YEAR, 6, 1, 12))

    send(str(LAST_YEAR), django_capture_on_commit_callbacks)

    [statement] = YearEndStatement.objects.all()
    assert statement.entity is None and statement.period == str(LAST_YEAR)


def test_a_refund_corrects_only_the_statement_of_the_gifts_entity(
    organisation, campaign, uk_campaign, give, refund, mailoutbox, django_capture_on_commit_callbacks
):
    give(campaign, amount_minor=5000, when=datetime(2025, 6, 1, 12))
    uk_gift = give(uk_campaign, amount_minor=2200, when=datetime(2025, 6, 1, 12))
    send("2025", django_capture_on_commit_callbacks)
    send("2025-26", django_capture_on_commit_callbacks)
    us, uk = YearEndStatement.objects.order_by("pk")
    mailoutbox.clear()

    refund(uk_gift, refunded_minor=200)

    corrected = YearEndStatement.objects.get(replaces__isnull=False)
    assert (corrected.replaces, corrected.entity, corrected.period) == (uk, uk.entity, "2025-26")
    assert not YearEndStatement.objects.filter(replaces=us).exists()
    assert StatementFacts.from_record(corrected.record).totals[0]["amount"] == "£20.00"
    [message] = [m for m in mailoutbox if "statement" in m.subject]
    assert message.subject == "Your corrected 2025-26 giving statement from Freedom Now UK"
    assert "This is a corrected statement" in message.body
    assert "tax-exempt" not in message.body.lower() and "deductible" not in message.body.lower()


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2025-27", "PERIOD: '2025-27' is not a year: 2025 is followed by 26"),
        ("25-26", "PERIOD: a period is YYYY or YYYY-YY (such as 2026 or 2025-26), not '25-26'"),
        ("2025/26", "PERIOD: a period is YYYY or YYYY-YY"),
        ("2025-26", "No receipting entity's statement year starts on a day other than 1 January"),
    ],
)
def test_a_bad_period_exits_with_one_line_and_sends_nothing(organisation, period, message):
    with pytest.raises(CommandError) as refused:
        call_command("send_year_end_statements", period)

    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)
    assert not YearEndStatement.objects.exists()


def test_a_uk_year_not_yet_ended_is_refused(organisation, uk_campaign):
    this_tax_year = f"{LAST_YEAR + 1}-{(LAST_YEAR + 2) % 100:02d}"

    with pytest.raises(CommandError, match=f"^{this_tax_year} has not ended yet"):
        call_command("send_year_end_statements", this_tax_year)


def test_a_calendar_year_is_refused_when_no_entity_counts_calendar_years(settings, organisation):
    settings.ORG_STATEMENT_YEAR_START = "04-06"

    with pytest.raises(CommandError, match=r"^No receipting entity's statement year starts on 1 January"):
        call_command("send_year_end_statements", str(LAST_YEAR))

    call_command("send_year_end_statements", f"{LAST_YEAR - 1}-{LAST_YEAR % 100:02d}", "--dry-run")


def test_a_statement_frozen_before_statement_years_still_renders(organisation, make_gift):
    gift = make_gift()
    statement = YearEndStatement.objects.create(
        donor=gift.donor,
        year=2025,
        period="2025",
        record={
            "year": 2025,
            "org_name": "Freedom Now",
            "org_address": "1 Hope Way",
            "org_tax_id": "12-3456789",
            "exemption_statement": "Freedom Now is a tax-exempt charitable organization. Tax ID (EIN): 12-3456789",
            "donor_name": "Ada Lee",
            "donor_address_lines": [],
            "donor_email": "ada@example.org",
            "lines": [
                {
                    "date": "March 1, 2025",
                    "campaign": "Dressember 2026",
                    "fund": "Aftercare",
                    "given": "$50.00",
                    "refunded": "",
                    "counts": "$50.00",
                    "receipt_number": "2025-000001",
                }
            ],
            "totals": [{"currency": "USD", "amount": "$50.00"}],
        },
    )

    message = emails.statement_message(statement)

    assert message.subject == "Your 2025 giving statement from Freedom Now"
    assert "Total for 2025 (USD): $50.00" in message.body and "Deductible" not in message.alternatives[0][0]


def test_beat_sends_nothing_when_no_entity_counts_calendar_years(settings, organisation):
    settings.ORG_STATEMENT_YEAR_START = "04-06"

    assert tasks.send_last_years_statements.delay().get() == 0


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (date(2026, 4, 19), []),
        (date(2026, 4, 20), ["2025-26"]),
        (date(2026, 4, 26), ["2025-26"]),
        (date(2026, 4, 27), []),
        (date(2026, 1, 15), []),  # the calendar years' run, not this one
    ],
)
def test_a_uk_years_statements_are_due_20_to_26_april(organisation, uk_campaign, today, due):
    years = statements.other_statement_years_due(today=today)

    assert [(item.entity, item.year.label) for item in years] == [
        (uk_campaign.receipting_entity, label) for label in due
    ]


def test_the_daily_run_sends_the_uk_years_statements_when_due(
    settings, organisation, uk_campaign, give, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    give(uk_campaign, amount_minor=2200, when=datetime(2025, 6, 1, 12))
    entry = settings.CELERY_BEAT_SCHEDULE["send-other-years-statements"]
    assert entry["task"] == tasks.send_other_years_statements.name
    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2026, 4, 21))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_other_years_statements.delay().get() == 1

    assert YearEndStatement.objects.get().period == "2025-26"
