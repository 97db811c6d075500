"""The portal's home and the donor's JSON: every gift of the signed-in
donor (one-time, monthly, offline, split, refunded, disputed) with its
receipts, statements, monthly gifts and organisations; never another
donor's, not even by changing an id in a URL; in a bounded number of
queries however many gifts there are."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from donations.models import Allocation, Donation
from receipts.models import Receipt, YearEndStatement
from tests import factories
from tests.api_schema import assert_described
from tests.auth import sign_in_donor

pytestmark = pytest.mark.django_db


@pytest.fixture
def gifts(make_gift, campaign, funds, donor):
    """Ada's gifts, oldest first, and Bo's one gift and plan."""
    days_ago = lambda n: timezone.now() - timedelta(days=n)  # noqa: E731
    one_time = make_gift(created_at=days_ago(9))
    split = make_gift(created_at=days_ago(8), allocations=[(funds["rescue"], 3000), (funds["aftercare"], 2000)])
    partly_refunded = make_gift(created_at=days_ago(7), refunded_minor=1000)
    refunded = make_gift(created_at=days_ago(6), status="refunded", refunded_minor=5000)
    plan = factories.RecurringPlanFactory(donor=donor, campaign=campaign, fund=funds["general"], amount_minor=2500)
    renewal = factories.DonationFactory(
        succeeded=True,
        through_services=True,
        donor=donor,
        campaign=campaign,
        fund=funds["general"],
        frequency="monthly",
        recurring_plan=plan,
        amount_minor=2500,
        created_at=days_ago(5),
    )
    offline = factories.DonationFactory(
        offline=True, donor=donor, campaign=campaign, fund=funds["general"], created_at=days_ago(4)
    )
    disputed = factories.DonationFactory(
        succeeded=True, status="disputed", donor=donor, campaign=campaign, created_at=days_ago(3)
    )
    church = factories.OrganizationFactory(name="St Mary's Church")
    as_church = make_gift(created_at=days_ago(2), organization=church, organization_name="St Mary's Church")
    declined = factories.DonationFactory(declined=True, donor=donor, campaign=campaign, created_at=days_ago(1))
    bo = factories.DonorFactory(email="bo@example.org", with_address=True)
    bos_gift = make_gift(donor__email="bo@example.org", amount_minor=7700)
    bos_plan = factories.RecurringPlanFactory(donor=bo, campaign=campaign, fund=funds["general"])
    return locals()


def ids_on(page: str) -> list[str]:
    return re.findall(r'data-gift="([0-9a-f-]+)"', page)


def test_the_donor_sees_every_gift_of_theirs_newest_first_and_no_one_elses(client, donor, gifts):
    sign_in_donor(client, donor)

    page = client.get("/donor/").content.decode()

    shown = ["as_church", "disputed", "offline", "renewal", "refunded", "partly_refunded", "split", "one_time"]
    assert ids_on(page) == [str(gifts[name].public_id) for name in shown]
    assert str(gifts["declined"].public_id) not in page
    assert str(gifts["bos_gift"].public_id) not in page and "$77.00" not in page
    assert gifts["bos_gift"].receipt_number not in page
    assert str(gifts["bos_plan"].public_id) not in page


def row_of(page: str, gift: Donation) -> str:
    start = page.index(f'data-gift="{gift.public_id}"')
    return page[start : page.index("</tr>", start)]


def test_each_gift_shows_its_kind_fund_or_parts_status_and_receipts(client, donor, gifts):
    sign_in_donor(client, donor)

    page = client.get("/donor/").content.decode()

    split = row_of(page, gifts["split"])
    assert "Rescue: $30.00" in split and "Aftercare: $20.00" in split
    assert "Monthly gift" in row_of(page, gifts["renewal"])
    assert "Offline gift" in row_of(page, gifts["offline"])
    assert "Given as St Mary&#x27;s Church" in row_of(page, gifts["as_church"])
    assert "Disputed" in row_of(page, gifts["disputed"])
    one_time = row_of(page, gifts["one_time"])
    assert "Received" in one_time
    assert f'href="/donor/receipts/{gifts["one_time"].receipt_number}/pdf/"' in one_time

    [void] = Receipt.objects.filter(donation=gifts["refunded"])
    refunded = row_of(page, gifts["refunded"])
    assert "Refunded" in refunded and "$50.00 refunded" in refunded
    assert f"Receipt {void.number}" in refunded and "Void: refunded" in refunded

    original, corrected = Receipt.objects.filter(donation=gifts["partly_refunded"]).order_by("issued_at", "pk")
    assert corrected.replaces == original
    partly = row_of(page, gifts["partly_refunded"])
    assert "Partly refunded" in partly and "$10.00 refunded" in partly
    assert f"Void: replaced by {corrected.number}" in partly and "Void: refunded" not in partly
    assert f"Corrected receipt, replacing {original.number}" in partly


def test_statements_by_year_plans_and_organisations_are_listed(client, donor, gifts):
    first = YearEndStatement.objects.create(
        donor=donor, year=2025, period="2025", record={"totals": [{"currency": "usd", "amount": "$120.00"}]}
    )
    YearEndStatement.objects.create(
        donor=donor,
        year=2025,
        period="2025",
        replaces=first,
        record={"totals": [{"currency": "usd", "amount": "$90.00"}]},
    )
    YearEndStatement.objects.create(donor=gifts["bo"], year=2024, period="2024", record={})
    sign_in_donor(client, donor)

    page = client.get("/donor/").content.decode()

    statements = page[page.index('id="statements-heading"') :]
    assert "$120.00" in statements and "Replaced by a corrected statement" in statements
    assert "$90.00" in statements and "Corrected statement" in statements
    assert "2024" not in statements
    assert f'href="/donor/plans/{gifts["plan"].public_id}/"' in page
    assert "$25.00 a month to Dressember 2026" in page
    assert "Organisations you give for" in page and "St Mary&#x27;s Church" in page


def test_the_donor_downloads_their_own_receipt_and_never_anothers_by_its_number(client, donor, gifts):
    sign_in_donor(client, donor)

    own = client.get(f"/donor/receipts/{gifts['one_time'].receipt_number}/pdf/")
    others = client.get(f"/donor/receipts/{gifts['bos_gift'].receipt_number}/pdf/")

    assert own.status_code == 200 and own["Content-Type"] == "application/pdf"
    assert own.content.startswith(b"%PDF")
    assert "no-store" in own["Cache-Control"]
    assert others.status_code == 404
    assert client.get("/donor/receipts/2099-999999/pdf/").status_code == 404
    not_signed_in = Client().get(f"/donor/receipts/{gifts['one_time'].receipt_number}/pdf/")
    assert not_signed_in.status_code == 302 and not_signed_in["Location"].startswith("/donor/sign-in/?next=")


def test_another_donors_plan_is_not_found_under_the_donors_plans(client, donor, gifts):
    sign_in_donor(client, donor)

    assert client.get(f"/donor/plans/{gifts['bos_plan'].public_id}/").status_code == 404


def test_the_portal_needs_a_donor_session(client):
    response = client.get("/donor/")

    assert response.status_code == 302 and response["Location"] == "/donor/sign-in/?next=/donor/"


def test_a_donor_with_300_monthly_renewals_is_shown_a_page_in_a_bounded_number_of_queries(
    client, donor, gifts, django_assert_max_num_queries
):
    fund = gifts["funds"]["general"]
    renewals = Donation.objects.bulk_create(
        Donation(
            donor=donor,
            campaign=gifts["campaign"],
            fund=fund,
            status="succeeded",
            succeeded_at=timezone.now(),
            frequency="monthly",
            recurring_plan=gifts["plan"],
            invoice_id=f"in_many_{n}",
            amount_minor=2500,
            currency="usd",
        )
        for n in range(300)
    )
    Allocation.objects.bulk_create(Allocation(donation=gift, fund=fund, amount_minor=2500) for gift in renewals)
    sign_in_donor(client, donor)

    # The session and the donor; the count and the page of gifts, their
    # parts and receipts; the statements, plans and organisations.
    with django_assert_max_num_queries(9):
        first = client.get("/donor/")
    with django_assert_max_num_queries(9):
        last = client.get("/donor/?page=7")

    assert first.status_code == last.status_code == 200
    assert len(ids_on(first.content.decode())) == 50
    assert "Page 1 of 7" in first.content.decode()
    assert str(gifts["one_time"].public_id) in last.content.decode()


# --- GET /api/donors/me/ -------------------------------------------------------


def test_the_api_answers_401_without_a_donor_session(client, gifts):
    response = client.get("/api/donors/me/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_signed_in"
    assert_described(response)


def test_the_api_answers_the_contracts_shape_with_only_the_donors_rows(client, donor, gifts):
    sign_in_donor(client, donor)

    response = client.get("/api/donors/me/")

    assert response.status_code == 200
    assert_described(response)
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["email"] == "ada@example.org"
    shown = ["as_church", "disputed", "offline", "renewal", "refunded", "partly_refunded", "split", "one_time"]
    assert [gift["id"] for gift in body["gifts"]] == [str(gifts[name].public_id) for name in shown]
    for gift in body["gifts"]:
        assert {"id", "amount_minor", "currency", "status", "receipt_number"} <= set(gift)
    one_time = body["gifts"][-1]
    assert (one_time["amount_minor"], one_time["currency"], one_time["status"]) == (5000, "usd", "succeeded")
    assert one_time["receipt_number"] == gifts["one_time"].receipt_number
    partly = body["gifts"][-3]
    assert partly["receipt_number"] == Receipt.objects.get(replaces__donation=gifts["partly_refunded"]).number
    assert body["gifts"][4]["receipt_number"] is None  # refunded: its receipt is void
    assert body["plans"] == [
        {
            "id": str(gifts["plan"].public_id),
            "amount_minor": 2500,
            "currency": "usd",
            "status": "active",
            "campaign": "dressember-2026",
        }
    ]


def test_the_api_reads_the_donor_in_a_bounded_number_of_queries(client, donor, gifts, django_assert_max_num_queries):
    for n in range(30):
        factories.DonationFactory(donor=donor, campaign=gifts["campaign"], succeeded=True, invoice_id=f"in_{n}")
    sign_in_donor(client, donor)

    # The session, the donor, the gifts, the plans.
    with django_assert_max_num_queries(4):
        response = client.get("/api/donors/me/")

    assert len(response.json()["gifts"]) == 38


def test_asking_for_a_link_is_a_described_answer_known_unknown_invalid_or_limited(settings, ask_for_link, donor):
    settings.DONOR_SIGN_IN_CLIENT_RATE_LIMIT = "2/h"
    for answer in (ask_for_link(donor.email), ask_for_link("nobody@example.org"), ask_for_link("nope")):
        assert_described(answer)

    limited = ask_for_link(donor.email)

    assert limited.status_code == 429
    assert_described(limited)
