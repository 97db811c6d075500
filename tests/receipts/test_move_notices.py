"""When finance moves a gift to another page, the people it now counts for
(the new page's owner and its team's captains who did not have it already)
hear of it once per move, naming the donor as the public page does and
never giving the donor's address or finance's reason; the old page's
people hear nothing."""

import pytest

from donations.services import moves
from receipts import outbox
from receipts.models import MoveNotice
from receipts.services import gift_notices
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def bo_page(campaign):
    """Bo's page on another team, Thread Bearers, whose captain is Cy."""
    bo = factories.UserFactory(email="bo@example.org", first_name="Bo")
    cy = factories.UserFactory(email="cy@example.org", first_name="Cy")
    team = factories.TeamFactory(campaign=campaign, slug="thread-bearers", name="Thread Bearers")
    team.captains.add(cy)
    return factories.FundraiserFactory(campaign=campaign, team=team, owner=bo, slug="bo-chen", name="Bo's page")


@pytest.fixture
def ada_page_people(fundraiser):
    """The gift's first page's owner, Nia, and its team's captain, Sam."""
    nia = factories.UserFactory(email="nia@example.org", first_name="Nia")
    sam = factories.UserFactory(email="sam@example.org", first_name="Sam")
    fundraiser.owner = nia
    fundraiser.save()
    fundraiser.team.captains.add(sam)
    return nia, sam


def _move(gift, django_capture_on_commit_callbacks, **to):
    with django_capture_on_commit_callbacks(execute=True):
        return moves.move_gift(donation_id=gift.pk, reason="Ada asked for Bo's page; ada@example.org", **to)


def _told(mailoutbox) -> dict[str, list]:
    by_person: dict[str, list] = {}
    for message in mailoutbox:
        if "now counts for" in message.subject:
            by_person.setdefault(message.to[0], []).append(message)
    return by_person


def test_the_new_pages_owner_and_captain_are_told_once_and_the_old_pages_people_are_not(
    make_gift, fundraiser, ada_page_people, bo_page, mailoutbox, django_capture_on_commit_callbacks
):
    gift = make_gift(fundraiser=fundraiser, amount_minor=7_500, donor__first_name="Ada", donor__last_name="Lee")
    mailoutbox.clear()

    _move(gift, django_capture_on_commit_callbacks, to_fundraiser=bo_page)

    told = _told(mailoutbox)
    assert sorted(told) == ["bo@example.org", "cy@example.org"]
    for [message] in told.values():
        assert message.subject == "A gift of $75.00 from Ada Lee now counts for Bo's page"
        html = message.alternatives[0][0]
        assert "ada@example.org" not in message.body + html
        assert "Ada asked" not in message.body + html  # finance's reason is finance's
        assert "/campaigns/dressember-2026/fundraisers/bo-chen/" in message.body
    # Each to their own dashboard of the page: the owner's page, the captain's team.
    assert "/campaigns/dressember-2026/fundraisers/bo-chen/manage/" in told["bo@example.org"][0].body
    assert "/campaigns/dressember-2026/teams/thread-bearers/manage/" in told["cy@example.org"][0].body
    assert MoveNotice.objects.count() == 2


def test_an_anonymous_gift_is_told_of_as_anonymous(
    make_gift, fundraiser, bo_page, mailoutbox, django_capture_on_commit_callbacks
):
    gift = make_gift(fundraiser=fundraiser, anonymous=True, donor__first_name="Bea", donor__last_name="Quist")

    _move(gift, django_capture_on_commit_callbacks, to_fundraiser=bo_page)

    [message] = _told(mailoutbox)["bo@example.org"]
    assert "from Anonymous now counts" in message.subject
    assert "Bea" not in message.body + message.alternatives[0][0]
    assert "Quist" not in message.body + message.alternatives[0][0]


def test_a_move_within_a_team_tells_the_new_pages_owner_but_not_the_captains_who_had_it_already(
    make_gift, fundraiser, ada_page_people, mailoutbox, django_capture_on_commit_callbacks
):
    dee = factories.UserFactory(email="dee@example.org")
    deepage = factories.FundraiserFactory(
        campaign=fundraiser.campaign, team=fundraiser.team, owner=dee, slug="dee", name="Dee's page"
    )
    gift = make_gift(fundraiser=fundraiser)

    _move(gift, django_capture_on_commit_callbacks, to_fundraiser=deepage)

    assert sorted(_told(mailoutbox)) == ["dee@example.org"]


def test_a_move_of_fund_only_or_to_the_campaign_alone_tells_nobody(
    make_gift, fundraiser, ada_page_people, funds, mailoutbox, django_capture_on_commit_callbacks
):
    gift = make_gift(fundraiser=fundraiser)

    _move(gift, django_capture_on_commit_callbacks, to_fund=funds["rescue"])
    _move(gift, django_capture_on_commit_callbacks, to_fundraiser=None, to_team=None)

    assert _told(mailoutbox) == {}
    assert not MoveNotice.objects.exists()


def test_each_move_is_told_exactly_once_even_if_its_send_or_hook_runs_again(
    make_gift, fundraiser, bo_page, mailoutbox, django_capture_on_commit_callbacks
):
    gift = make_gift(fundraiser=fundraiser)
    move = _move(gift, django_capture_on_commit_callbacks, to_fundraiser=bo_page)
    notices = list(MoveNotice.objects.filter(move=move))

    with django_capture_on_commit_callbacks(execute=True):
        gift.refresh_from_db()
        gift_notices.tell_page_people_of_move(donation=gift, move=move)
    for notice in notices:
        outbox.send_email(kind=gift_notices.MOVE_NOTICE_EMAIL, pk=notice.pk)

    assert len(_told(mailoutbox)["bo@example.org"]) == 1
    assert MoveNotice.objects.filter(move=move).count() == len(notices) == 2
    # Moved away and back: a new move, so Bo hears of it again, once.
    _move(gift, django_capture_on_commit_callbacks, to_fundraiser=fundraiser)
    _move(gift, django_capture_on_commit_callbacks, to_fundraiser=bo_page)
    assert len(_told(mailoutbox)["bo@example.org"]) == 2


def test_a_notice_of_a_gift_moved_on_before_it_went_is_skipped(
    make_gift, fundraiser, bo_page, mailoutbox, django_capture_on_commit_callbacks
):
    gift = make_gift(fundraiser=fundraiser)
    with django_capture_on_commit_callbacks(execute=False):
        move = moves.move_gift(donation_id=gift.pk, to_fundraiser=bo_page, reason="Bo's")
    moves.move_gift(donation_id=gift.pk, to_fundraiser=fundraiser, reason="Back to Ada's")

    for notice in MoveNotice.objects.filter(move=move):
        outbox.send_email(kind=gift_notices.MOVE_NOTICE_EMAIL, pk=notice.pk)

    assert _told(mailoutbox) == {}
    assert set(MoveNotice.objects.filter(move=move).values_list("status", flat=True)) == {"skipped"}
