"""The admin's "Move this gift" page: finance staff choose where the gift
counts and why, confirm, and see it done; bad input is a form error with
nothing changed; staff without donations.move_donation are refused."""

import pytest
from django.contrib.messages import get_messages

from donations.models import Donation, GiftMove
from tests import factories
from tests.auth import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def bo(campaign):
    other_team = factories.TeamFactory(campaign=campaign, slug="thread-bearers", name="Thread Bearers")
    return factories.FundraiserFactory(campaign=campaign, team=other_team, slug="bo-chen", name="Bo's page")


def move_url(gift) -> str:
    return f"/admin/donations/donation/{gift.pk}/move/"


def test_finance_moves_a_gift_after_confirming_it(client, finance_user, make_gift, fundraiser, bo, funds):
    gift = make_gift(fundraiser=fundraiser, fund="aftercare")
    log_in(client, finance_user)
    change_page = client.get(f"/admin/donations/donation/{gift.pk}/change/")
    assert "Move this gift" in change_page.content.decode()
    # The team is left as it was: Bo's page brings its own team.
    body = {"fundraiser": bo.pk, "team": fundraiser.team_id, "fund": funds["rescue"].pk, "reason": "Given at Bo's"}

    checked = client.post(move_url(gift), body)

    assert checked.status_code == 200
    assert "Confirm the move" in checked.content.decode()
    assert not GiftMove.objects.exists()

    done = client.post(move_url(gift), {**body, "confirm": "Move the gift"})

    assert done.status_code == 302 and done["Location"].endswith(f"/donation/{gift.pk}/change/")
    assert [str(m) for m in get_messages(done.wsgi_request)] == ["The gift was moved; its totals moved with it."]
    gift.refresh_from_db()
    assert (gift.fundraiser, gift.team, gift.fund) == (bo, bo.team, funds["rescue"])
    record = GiftMove.objects.get()
    assert (record.moved_by, record.reason, record.channel) == (finance_user, "Given at Bo's", "admin")
    history = client.get(f"/admin/donations/donation/{gift.pk}/change/").content.decode()
    assert "Given at Bo&#x27;s" in history


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"reason": ""}, "This field is required."),
        ({"fundraiser": "same"}, "already counts there"),
        ({"fundraiser": "elsewhere"}, "Select a valid choice."),
        ({"team": "bo-team"}, "is not on the team"),
    ],
)
def test_bad_input_is_a_form_error_and_moves_nothing(
    client, finance_user, make_gift, fundraiser, bo, funds, change, error
):
    gift = make_gift(fundraiser=fundraiser, fund="aftercare")
    far = factories.FundraiserFactory(slug="far-page", name="Far page")
    values = {"same": fundraiser.pk, "elsewhere": far.pk, "bo-team": bo.team_id}
    body = {"fundraiser": fundraiser.pk, "team": fundraiser.team_id, "fund": funds["aftercare"].pk, "reason": "Why"}
    body |= {name: values.get(value, value) for name, value in change.items()}
    log_in(client, finance_user)

    response = client.post(move_url(gift), {**body, "confirm": "Move the gift"})

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not GiftMove.objects.exists()
    assert Donation.objects.get(pk=gift.pk).fundraiser == fundraiser


def test_staff_without_the_move_permission_are_refused(client, make_gift, fundraiser, bo, funds):
    gift = make_gift(fundraiser=fundraiser)
    staff = factories.UserFactory(is_staff=True)
    log_in(client, staff)

    response = client.post(
        move_url(gift),
        {"fundraiser": bo.pk, "fund": funds["aftercare"].pk, "reason": "Why", "confirm": "Move the gift"},
    )

    assert response.status_code == 403
    assert not GiftMove.objects.exists()
