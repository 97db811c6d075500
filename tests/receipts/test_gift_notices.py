"""Fundraisers hear of each gift on their page: the page's owner and the
team's captains each get one email per gift, naming the donor as their
dashboard does (or "Anonymous"), with the amount and the message, and
never the donor's email address."""

from datetime import date

import pytest

from donations.models import Donation
from donations.services import offline
from donations.services.gifts import DonorDetails
from receipts.models import GiftNotice
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_people(fundraiser):
    """The page's owner, Nia, and two captains of its team, one of them Nia."""
    nia = factories.UserFactory(email="nia@example.org", first_name="Nia")
    sam = factories.UserFactory(email="sam@example.org", first_name="Sam")
    fundraiser.owner = nia
    fundraiser.save()
    fundraiser.team.captains.add(nia, sam)
    return nia, sam


def notices_to(mailoutbox, email: str) -> list:
    return [message for message in mailoutbox if message.to == [email]]


def test_the_owner_and_each_captain_hear_once_of_a_gift_on_the_page(make_gift, fundraiser, page_people, mailoutbox):
    make_gift(
        fundraiser=fundraiser, amount_minor=7500, message="Go Nia!", donor__first_name="Ada", donor__last_name="Lee"
    )

    [to_nia] = notices_to(mailoutbox, "nia@example.org")
    [to_sam] = notices_to(mailoutbox, "sam@example.org")
    for notice in (to_nia, to_sam):
        assert notice.subject == "Ada Lee gave $75.00 on Ada's Dressember"
        assert "Go Nia!" in notice.body
        assert "ada@example.org" not in notice.body + notice.alternatives[0][0]
        assert "/campaigns/dressember-2026/fundraisers/ada-lee/" in notice.body
    assert to_nia.extra_headers["Message-ID"] != to_sam.extra_headers["Message-ID"]


def test_an_anonymous_gift_is_told_as_anonymous(make_gift, fundraiser, page_people, mailoutbox):
    make_gift(fundraiser=fundraiser, anonymous=True, donor__first_name="Bea", donor__last_name="Quist")

    [notice] = notices_to(mailoutbox, "nia@example.org")
    assert notice.subject.startswith("Anonymous gave ")
    assert "Bea" not in notice.body and "Quist" not in notice.body


def test_a_gift_to_the_team_reaches_its_captains_and_one_to_the_campaign_reaches_nobody(
    make_gift, fundraiser, page_people, mailoutbox
):
    make_gift(team=fundraiser.team)
    make_gift()

    assert sorted(message.to[0] for message in mailoutbox if "gave" in message.subject) == [
        "nia@example.org",
        "sam@example.org",
    ]
    assert GiftNotice.objects.count() == 2


def test_a_captain_whose_account_was_closed_is_told_nothing(make_gift, fundraiser, page_people, mailoutbox):
    _nia, sam = page_people
    sam.is_active = False
    sam.save()

    make_gift(fundraiser=fundraiser)

    assert notices_to(mailoutbox, "sam@example.org") == []
    assert len(notices_to(mailoutbox, "nia@example.org")) == 1


def test_telling_of_the_same_gift_again_sends_nothing_more(
    make_gift, fundraiser, page_people, mailoutbox, django_capture_on_commit_callbacks
):
    from receipts.services import gift_notices

    donation = make_gift(fundraiser=fundraiser)
    with django_capture_on_commit_callbacks(execute=True):
        gift_notices.tell_page_people(donation=donation)

    assert len(notices_to(mailoutbox, "nia@example.org")) == 1
    assert GiftNotice.objects.filter(donation=donation).count() == 2


def a_cheque_on(fundraiser, funds) -> offline.OfflineGiftRequest:
    return offline.OfflineGiftRequest(
        campaign=fundraiser.campaign,
        team=fundraiser.team,
        fundraiser=fundraiser,
        fund=funds["rescue"],
        amount_minor=10_000,
        currency="usd",
        received_on=date(2026, 11, 30),
        donor=DonorDetails(email="cy@example.org", first_name="Cy", last_name="Okafor"),
        wants_receipt=False,
    )


def test_offline_gifts_recorded_together_are_told_when_finance_asks(
    fundraiser, funds, page_people, mailoutbox, django_capture_on_commit_callbacks
):
    gift = a_cheque_on(fundraiser, funds)

    with django_capture_on_commit_callbacks(execute=True):
        offline.record_offline_gifts(gifts=[gift, gift], tell_fundraisers=True)

    assert [message.subject for message in notices_to(mailoutbox, "sam@example.org")] == [
        "Cy Okafor gave $100.00 on Ada's Dressember"
    ] * 2


def test_offline_gifts_are_not_told_unless_finance_asks(
    fundraiser, funds, page_people, mailoutbox, django_capture_on_commit_callbacks
):
    gift = a_cheque_on(fundraiser, funds)

    with django_capture_on_commit_callbacks(execute=True):
        offline.record_offline_gifts(gifts=[gift, gift])
        offline.record_offline_gift(gift=gift)

    assert Donation.objects.count() == 3
    assert not GiftNotice.objects.exists()
    assert not notices_to(mailoutbox, "sam@example.org")


def test_one_offline_gift_is_told_when_finance_asks(
    fundraiser, funds, page_people, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offline.record_offline_gift(gift=a_cheque_on(fundraiser, funds), tell_fundraisers=True)

    assert [message.subject for message in notices_to(mailoutbox, "nia@example.org")] == [
        "Cy Okafor gave $100.00 on Ada's Dressember"
    ]
