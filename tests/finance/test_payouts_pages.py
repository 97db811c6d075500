"""The payout pages: who may open them, 404 for an unknown payout, the
report with its unmatched lines and gift links, a fixed number of queries
however many lines, and the button that fetches payouts now."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from finance.models import Payout
from finance.services import payouts
from tests.auth import log_in
from tests.factories import DonationFactory, UserFactory
from tests.fakes.stripe import charge_line, stripe_fee_line

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(team, finance_user):
    captain = UserFactory(email="casey@example.org")
    team.captains.add(captain)
    return {
        "visitor": None,
        "captain": captain,
        "finance": finance_user,
        "staff": UserFactory(email="stella@example.org", is_staff=True),
    }


def payout_with_lines(fake_stripe, campaign, payout_id: str, gift_count: int) -> Payout:
    """A payout of `gift_count` matched gifts, a Stripe fee and a charge
    that is not ours."""
    gifts = DonationFactory.create_batch(gift_count, succeeded=True, campaign=campaign)
    lines = [
        charge_line(f"txn_{payout_id}_{n}", charge_id=gift.charge_id, payment_intent_id=None, amount=5000, fee=175)
        for n, gift in enumerate(gifts)
    ]
    lines += [
        stripe_fee_line(f"txn_{payout_id}_radar", amount=200),
        charge_line(f"txn_{payout_id}_stranger", charge_id="ch_not_ours", payment_intent_id=None, amount=2000, fee=88),
    ]
    fake_stripe.add_payout(payout_id, amount=gift_count * 4825 - 200 + 1912, lines=lines)
    return payouts.fetch_payout(stripe_payout_id=payout_id)


@pytest.fixture
def payout(fake_stripe, campaign):
    return payout_with_lines(fake_stripe, campaign, "po_test_page", 2)


@pytest.mark.parametrize("name", ["payouts", "payout-detail"])
@pytest.mark.parametrize("role, expected", [("visitor", 302), ("captain", 403), ("staff", 403), ("finance", 200)])
def test_only_finance_staff_may_see_payouts(client, people, payout, name, role, expected):
    if people[role]:
        log_in(client, people[role])
    url = reverse(f"finance:{name}", args=[payout.stripe_payout_id] if name == "payout-detail" else [])

    response = client.get(url)

    assert response.status_code == expected
    if role == "visitor":
        assert response["Location"].startswith(reverse("login"))


def test_an_unknown_payout_is_404(client, finance_user):
    log_in(client, finance_user)

    assert client.get(reverse("finance:payout-detail", args=["po_nope"])).status_code == 404


def test_the_list_shows_each_payout_with_its_matched_and_unmatched_counts(client, finance_user, payout):
    log_in(client, finance_user)

    page = client.get(reverse("finance:payouts")).content.decode()

    assert "po_test_page" in page and "113.62 USD" in page
    assert '<td class="amount">2</td>\n    <td class="amount">2</td>' in page


def test_the_report_highlights_the_unmatched_lines_and_links_each_gift_to_the_admin(client, finance_user, payout):
    log_in(client, finance_user)

    response = client.get(reverse("finance:payout-detail", args=["po_test_page"]))

    page = response.content.decode()
    unmatched = page[page.index('id="unmatched"') : page.index('id="lines"')]
    assert "Unmatched lines (2)" in unmatched
    assert "txn_po_test_page_radar" in unmatched and "txn_po_test_page_stranger" in unmatched
    assert "txn_po_test_page_0" not in unmatched
    for line in payout.lines.filter(donation__isnull=False):
        assert reverse("admin:donations_donation_change", args=[line.donation_id]) in page
    assert "-2.00" in page and "113.62" in page
    assert "do not add up" not in page


def test_the_report_warns_when_the_lines_do_not_add_up(client, finance_user, payout):
    Payout.objects.filter(pk=payout.pk).update(amount_minor=payout.amount_minor + 1)
    log_in(client, finance_user)

    page = client.get(reverse("finance:payout-detail", args=["po_test_page"])).content.decode()

    assert "These lines do not add up to the payout." in page
    assert "a difference of 0.01 USD" in page


def test_the_report_and_list_run_the_same_number_of_queries_for_5_and_100_lines(
    client, finance_user, campaign, fake_stripe
):
    log_in(client, finance_user)

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    payout_with_lines(fake_stripe, campaign, "po_small", 5)
    list_with_one = queries(reverse("finance:payouts"))
    payout_with_lines(fake_stripe, campaign, "po_large", 100)

    assert queries(reverse("finance:payout-detail", args=["po_small"])) == queries(
        reverse("finance:payout-detail", args=["po_large"])
    )
    assert queries(reverse("finance:payouts")) == list_with_one


def test_fetch_now_enqueues_the_fetch_of_recent_payouts(client, finance_user, fake_stripe):
    fake_stripe.add_payout("po_test_button", amount=0, status="paid")
    log_in(client, finance_user)

    response = client.post(reverse("finance:payouts-fetch"))

    assert response.status_code == 302 and response["Location"] == reverse("finance:payouts")
    assert Payout.objects.filter(stripe_payout_id="po_test_button").exists()


@pytest.mark.parametrize("role, expected", [("visitor", 302), ("captain", 403), ("staff", 403)])
def test_fetch_now_is_refused_to_others_and_fetches_nothing(client, people, fake_stripe, role, expected):
    if people[role]:
        log_in(client, people[role])

    assert client.post(reverse("finance:payouts-fetch")).status_code == expected
    assert fake_stripe.calls == []


def test_fetch_now_needs_a_post_with_the_csrf_token(finance_user, fake_stripe):
    client = Client(enforce_csrf_checks=True)
    log_in(client, finance_user)

    assert client.get(reverse("finance:payouts-fetch")).status_code == 405
    assert client.post(reverse("finance:payouts-fetch")).status_code == 403
    assert fake_stripe.calls == []


def test_the_admin_shows_a_payout_with_its_lines_and_cannot_add_or_change_them(client, payout):
    log_in(client, UserFactory(email="root@example.org", is_staff=True, is_superuser=True))

    change_page = client.get(reverse("admin:finance_payout_change", args=[payout.pk]))

    assert change_page.status_code == 200
    assert "txn_po_test_page_radar" in change_page.content.decode()
    assert client.get(reverse("admin:finance_payout_add")).status_code == 403
    client.post(reverse("admin:finance_payout_change", args=[payout.pk]), {"status": "paid", "amount_minor": 1})
    assert Payout.objects.values_list("status", "amount_minor").get() == ("in_transit", payout.amount_minor)
