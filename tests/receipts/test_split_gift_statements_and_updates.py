"""A split gift on the donor's year-end statement (a line per part, each with
its share of refunds, adding up to the gift) and in the audiences of impact
updates to a fund's donors (every fund one of its parts gives to)."""

from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.years import Year
from donations.models import Donation
from receipts import emails, selectors
from receipts.documents import StatementFacts, statement_facts_at_issue
from receipts.models import ImpactUpdate, YearEndStatement

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.localdate().year - 1


@pytest.fixture
def split_gift(make_gift, funds):
    def make(**fields):
        return make_gift(allocations=[(funds["rescue"], 6000), (funds["aftercare"], 4000)], **fields)

    return make


def last_year(donation: Donation) -> None:
    Donation.objects.filter(pk=donation.pk).update(succeeded_at=datetime(LAST_YEAR, 6, 1, 12, tzinfo=UTC))


def test_a_split_gift_is_a_statement_line_per_part_with_refunds_per_part_and_totals_unchanged(
    organisation, split_gift, make_gift, refund
):
    split = refund(split_gift(), refunded_minor=3000)
    single = make_gift(amount_minor=2500)
    last_year(split), last_year(single)

    _gifts, lines, totals = selectors.statement_lines(donor_id=split.donor_id, period=Year(LAST_YEAR))

    assert [(line.fund, line.charged_minor, line.refunded_minor, line.net_minor, line.part) for line in lines] == [
        ("Rescue", 6000, 1800, 4200, "part 1 of 2 of one gift"),
        ("Aftercare", 4000, 1200, 2800, "part 2 of 2 of one gift"),
        ("Aftercare", 2500, 0, 2500, ""),
    ]
    assert lines[0].receipt_number == lines[1].receipt_number == split.receipt_number
    assert [(total.currency, total.net_minor) for total in totals] == [("usd", 9500)]


def test_the_statement_email_names_each_part_of_a_split_gift(
    organisation, split_gift, refund, mailoutbox, django_capture_on_commit_callbacks
):
    split = split_gift()
    refund(split, refunded_minor=3000)
    last_year(split)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_year_end_statements", str(LAST_YEAR))

    [message] = mailoutbox
    for document in (message.body, message.alternatives[0][0]):
        assert "Dressember 2026 (Rescue, part 1 of 2 of one gift)" in document
        assert "Dressember 2026 (Aftercare, part 2 of 2 of one gift)" in document
        for amount in ("$60.00", "$18.00", "$42.00", "$40.00", "$12.00", "$28.00", "$70.00"):
            assert amount in document, amount


def test_a_statement_frozen_before_gifts_had_parts_still_renders(organisation, make_gift, mailoutbox):
    gift = make_gift(amount_minor=2500)
    last_year(gift)
    statement = YearEndStatement.objects.create(donor=gift.donor, year=LAST_YEAR, period=str(LAST_YEAR))
    gifts, lines, totals = selectors.statement_lines(donor_id=gift.donor_id, period=Year(LAST_YEAR))
    record = statement_facts_at_issue(
        period=Year(LAST_YEAR), gifts=gifts, lines=lines, totals=totals, issued_on=timezone.localdate()
    ).as_record()
    for line in record["lines"]:
        del line["part"]
    statement.record = record
    statement.save()

    message = emails.statement_message(statement)

    assert "Dressember 2026 (Aftercare)" in message.body
    assert StatementFacts.from_record(record).lines[0]["counts"] == "$25.00"


def fund_update(fund) -> ImpactUpdate:
    return ImpactUpdate.objects.create(title="News", body="x", audience=ImpactUpdate.Audience.FUND, fund=fund)


def audience(update: ImpactUpdate) -> list[str]:
    return [email for _pk, email in selectors.update_audience_page(update, after_donor_id=0, limit=100)]


def test_a_split_gifts_donor_hears_the_updates_of_every_fund_it_gives_to(split_gift, make_gift, funds):
    split_gift()
    make_gift(fund="general", donor__email="other@example.org")

    assert audience(fund_update(funds["rescue"])) == ["ada@example.org"]
    assert audience(fund_update(funds["aftercare"])) == ["ada@example.org"]
    assert audience(fund_update(funds["general"])) == ["other@example.org"]


def test_a_donor_whose_part_for_a_fund_was_refunded_in_full_no_longer_hears_that_fund(split_gift, funds):
    gift = split_gift()
    gift.allocations.filter(fund=funds["rescue"]).update(refunded_minor=6000)

    assert audience(fund_update(funds["rescue"])) == []
    assert audience(fund_update(funds["aftercare"])) == ["ada@example.org"]


def test_an_audience_page_of_a_fund_is_one_query_and_follows_the_keyset(split_gift, funds, django_assert_num_queries):
    donors = [split_gift(donor__email=f"d{n}@example.org").donor for n in range(3)]
    update = fund_update(funds["aftercare"])

    with django_assert_num_queries(1):
        page = selectors.update_audience_page(update, after_donor_id=donors[0].pk, limit=1)

    assert page == [(donors[1].pk, "d1@example.org")]
