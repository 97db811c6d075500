"""The finance moves page lists every move of a gift, newest first, with
who, when, why, from where to where and the receipt before and after,
each linked to the gift's admin page; it runs the same queries however
many moves there are, and only finance may open it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from donations.services import moves
from tests import factories
from tests.auth import log_in

pytestmark = pytest.mark.django_db

URL = "/finance/moves/"


@pytest.fixture
def bo(campaign):
    other_team = factories.TeamFactory(campaign=campaign, slug="thread-bearers", name="Thread Bearers")
    return factories.FundraiserFactory(campaign=campaign, team=other_team, slug="bo-chen", name="Bo's page")


def test_a_move_is_listed_with_who_when_why_where_and_its_receipts_linked_to_the_gift(
    client, finance_user, make_gift, fundraiser, bo, funds
):
    gift = make_gift(fundraiser=fundraiser, fund="aftercare")
    before = gift.receipt_number
    move = moves.move_gift(
        donation_id=gift.pk, to_fundraiser=bo, to_fund=funds["rescue"], reason="Given at Bo's", moved_by=finance_user
    )
    assert move.receipt_after != before  # a new fund: a corrected receipt
    log_in(client, finance_user)

    response = client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    row = page.split("<tbody>")[1].split("</tr>")[0]
    assert f'href="/admin/donations/donation/{gift.pk}/change/"' in row and str(gift.public_id) in row
    assert "Ada&#x27;s Dressember" in row and "Team Freedom Threads" in row and "Fund Aftercare" in row
    assert "Bo&#x27;s page" in row and "Team Thread Bearers" in row and "Fund Rescue" in row
    assert "Given at Bo&#x27;s" in row and f"{finance_user.get_username()} (admin)" in row
    assert before in row and move.receipt_after in row
    assert "50.00 USD" in row


def test_moves_are_newest_first(client, finance_user, make_gift, fundraiser, bo):
    gift = make_gift(fundraiser=fundraiser)
    moves.move_gift(donation_id=gift.pk, to_fundraiser=bo, reason="First move", moved_by=finance_user)
    moves.move_gift(donation_id=gift.pk, to_fundraiser=fundraiser, reason="Second move", moved_by=finance_user)
    log_in(client, finance_user)

    page = client.get(URL).content.decode()

    assert page.index("Second move") < page.index("First move")


def test_the_page_says_when_no_gift_was_moved(client, finance_user):
    log_in(client, finance_user)

    assert "No gift has been moved." in client.get(URL).content.decode()


def test_the_page_runs_as_many_queries_for_six_moves_as_for_two(client, finance_user, make_gift, fundraiser, bo):
    log_in(client, finance_user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    def move_one_back_and_forth():
        gift = make_gift(fundraiser=fundraiser)
        moves.move_gift(donation_id=gift.pk, to_fundraiser=bo, reason="There", moved_by=finance_user)
        moves.move_gift(donation_id=gift.pk, to_fundraiser=fundraiser, reason="Back", moved_by=finance_user)

    move_one_back_and_forth()
    few = queries()
    move_one_back_and_forth()
    move_one_back_and_forth()

    assert queries() == few
