"""The finance overview page: the period form, what it shows, and bad
input answered 400 with the reason."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from donations.models import Donation
from receipts.models import Receipt
from tests.auth import log_in
from tests.factories import DonationFactory, local_time

pytestmark = pytest.mark.django_db

URL = "/finance/"


@pytest.fixture
def staff_client(client, finance_user):
    log_in(client, finance_user)
    return client


def test_the_overview_is_named_for_the_lead_to_link():
    assert reverse("finance:overview") == URL


def test_by_default_the_page_reports_this_calendar_year(staff_client, campaign, funds):
    year = timezone.localdate().year
    DonationFactory(
        status="succeeded", campaign=campaign, fund=funds["rescue"], amount_minor=123_450, succeeded_at=timezone.now()
    )
    DonationFactory(
        status="succeeded",
        campaign=campaign,
        fund=funds["rescue"],
        amount_minor=999,
        succeeded_at=local_time(year - 1, 12, 31, 23, 59),
    )

    response = staff_client.get(URL)

    assert response.status_code == 200
    overview = response.context["overview"]
    assert (overview.start, overview.end) == (date(year, 1, 1), date(year, 12, 31))
    assert [line.figures.gross_minor for line in overview.by_currency] == [123_450]
    page = response.content.decode()
    assert f'value="{year}-01-01"' in page and f'value="{year}-12-31"' in page


def test_amounts_are_plain_decimals_with_a_dot_and_currencies_stay_apart(staff_client, campaign, funds):
    DonationFactory(
        status="succeeded",
        campaign=campaign,
        fund=funds["rescue"],
        amount_minor=123_450,
        succeeded_at=local_time(2026, 5, 1),
        stripe_fee_minor=3_610,
    )
    DonationFactory(
        status="succeeded",
        campaign=campaign,
        fund=funds["rescue"],
        amount_minor=700,
        succeeded_at=local_time(2026, 5, 2),
        currency="eur",
        source=Donation.Source.OFFLINE_IMPORT,
    )

    page = staff_client.get(URL, {"from": "2026-05-01", "to": "2026-05-31"}).content.decode()

    assert "1234.50" in page and "1,234.50" not in page
    assert "1198.40" in page  # net: 1234.50 - 36.10
    assert "7.00" in page and "1241.50" not in page  # never usd + eur
    assert "<strong>net</strong> = gross − refunds − Stripe fees" in page  # noqa: RUF001 (the page prints minus signs)


def test_every_totals_table_shows_gross_fee_covered_refunds_stripe_fees_and_net_and_funds_show_the_parts(
    staff_client, campaign, funds
):
    DonationFactory(
        status="partially_refunded",
        campaign=campaign,
        allocations=[(funds["rescue"], 6_000), (funds["aftercare"], 4_000)],
        fee_covered_minor=330,
        refunded_minor=3_000,
        stripe_fee_minor=331,
        succeeded_at=local_time(2026, 5, 2),
    )

    page = staff_client.get(URL, {"from": "2026-05-01", "to": "2026-05-31"}).content.decode()

    headings = '<th scope="col">Gifts</th><th scope="col">Gross</th><th scope="col">Fee covered</th>'
    assert page.count(headings) == 4  # by currency, fund, campaign and month
    assert page.count('<th scope="col">Stripe fees</th><th scope="col">Net</th>') == 4
    fund_table = page.split('id="fund-heading"')[1].split("</table>")[0]
    # Rescue: 60.00 + 1.98 covered, 18.00 of the refund, 1.98 of the fee.
    assert "61.98" in fund_table and "18.00" in fund_table and "42.00" in fund_table
    assert "103.30" not in fund_table and "103.30" in page  # the whole gift is in the other tables only


def test_the_page_draws_a_chart_per_measure_with_its_figures_in_a_table(staff_client, campaign, funds):
    DonationFactory(
        status="succeeded",
        campaign=campaign,
        fund=funds["rescue"],
        amount_minor=5_000,
        succeeded_at=local_time(2026, 5, 2),
    )

    response = staff_client.get(URL, {"from": "2026-05-01", "to": "2026-05-03"})
    page = response.content.decode()

    assert page.count("<svg") == 2  # gifts per day, gross per day in USD
    assert 'aria-labelledby="gifts-per-day-title gifts-per-day-desc"' in page
    assert "<details>" in page and '<th scope="col">Gross USD</th>' in page
    assert response.context["day_rows"] == [
        (date(2026, 5, 1), 0, [Decimal("0.00")]),
        (date(2026, 5, 2), 1, [Decimal("50.00")]),
        (date(2026, 5, 3), 0, [Decimal("0.00")]),
    ]


@pytest.mark.parametrize(
    "query, message",
    [
        ({"from": "2026-13-01"}, "Enter a valid date."),
        ({"to": "yesterday"}, "Enter a valid date."),
        ({"from": "2026-03-01", "to": "2026-02-28"}, "The start date must be on or before the end date."),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "Choose a period of at most 366 days; this one has 367."),
        ({"from": "9999-12-31", "to": "9999-12-31"}, "Dates must be between 1900-01-01 and 9998-12-31."),
    ],
)
def test_a_bad_period_is_a_400_naming_the_problem_and_shows_no_figures(staff_client, query, message):
    response = staff_client.get(URL, query)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "overview" not in response.context


def test_a_leap_year_fits_in_the_period(staff_client):
    assert staff_client.get(URL, {"from": "2028-01-01", "to": "2028-12-31"}).status_code == 200


def test_the_page_answers_only_get(staff_client):
    assert staff_client.post(URL).status_code == 405


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, {"from": "2026-01-01", "to": "2026-12-31"}).status_code == 200
    return len(queries)


def test_the_page_runs_as_many_queries_for_200_gifts_as_for_5(staff_client, campaign, funds):
    def add_gifts(count):
        for n in range(count):
            DonationFactory(
                status="succeeded",
                campaign=campaign,
                fund=funds["aftercare"],
                amount_minor=500 + n,
                succeeded_at=local_time(2026, 1 + n % 12, 1 + n % 28),
                currency=("usd", "cad")[n % 2],
            )

    add_gifts(5)
    few = _page_queries(staff_client)
    add_gifts(195)

    assert _page_queries(staff_client) == few


def test_the_overview_counts_failed_emails_and_links_to_the_admins_list_of_them(staff_client, make_gift):
    make_gift(send_receipt=False)
    make_gift(send_receipt=False)
    Receipt.objects.update(status=Receipt.Status.FAILED, last_error="AnymailRecipientsRefused: inactive")

    page = staff_client.get(URL).content.decode()

    assert "Emails that failed" in page
    assert '<a href="/admin/receipts/receipt/?status__exact=failed">2 receipts</a>' in page
    listing = staff_client.get("/admin/receipts/receipt/?status__exact=failed").content.decode()
    for receipt in Receipt.objects.all():
        assert receipt.number in listing
    assert "AnymailRecipientsRefused: inactive" in listing


def test_the_overview_says_nothing_of_failed_emails_when_none_failed(staff_client, make_gift):
    make_gift(send_receipt=False)  # pending: not failed (yet)

    assert "Emails that failed" not in staff_client.get(URL).content.decode()
