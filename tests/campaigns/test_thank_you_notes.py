"""Thanking a donor from a dashboard: the page's owner, or a captain for
gifts to the team and its pages, sends one note per gift; the page, its
HTML and the answer never show the donor's address, nor who an anonymous
donor is; a second send is refused with a clear message and sends
nothing; nobody else may send, and a gift from another page is not
found."""

import pytest

from receipts.models import ThankYouNote
from tests.factories import DonationFactory

pytestmark = pytest.mark.django_db

TEAM_DASHBOARD = "/campaigns/dressember-2026/teams/freedom-threads/manage/"
FUNDRAISER_DASHBOARD = "/campaigns/dressember-2026/fundraisers/ada-lee/manage/"


def thank_url(dashboard: str, gift) -> str:
    return f"{dashboard}gifts/{gift.pk}/thank/"


@pytest.fixture
def gift(fundraiser, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return DonationFactory(
            succeeded=True,
            through_services=True,
            fundraiser=fundraiser,
            amount_minor=5000,
            donor__email="secret.donor@example.org",
            donor__first_name="Dora",
            donor__last_name="Giver",
        )


@pytest.fixture
def anonymous_gift(fundraiser, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return DonationFactory(
            succeeded=True,
            through_services=True,
            fundraiser=fundraiser,
            anonymous=True,
            donor__email="hidden.donor@example.org",
            donor__first_name="Hester",
            donor__last_name="Unseen",
        )


def send(client, url: str, capture, text: str = "Thank you, it means a lot!"):
    with capture(execute=True):
        return client.post(url, {"note": text}, follow=True)


def notes_to(mailoutbox, email: str) -> list:
    return [message for message in mailoutbox if message.to == [email] and "thank-you" in message.subject]


def test_the_owner_thanks_a_donor_who_gets_one_email_and_the_gift_shows_thanked(
    client, member, gift, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(member)

    response = send(client, thank_url(FUNDRAISER_DASHBOARD, gift), django_capture_on_commit_callbacks)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Your thank-you note is on its way to the donor." in page
    gifts = page.split('id="gifts-heading"')[1].split("</section>")[0]
    assert "Thanked on" in gifts and "Send a thank-you note" not in gifts
    [email] = notes_to(mailoutbox, "secret.donor@example.org")
    assert "Thank you, it means a lot!" in email.body
    assert email.subject == "A thank-you from Ada for your gift to Ada's Dressember"
    assert ThankYouNote.objects.get().sender == member


def test_the_dashboard_its_form_and_its_answers_never_show_the_donors_address_or_key(
    client, member, gift, django_capture_on_commit_callbacks
):
    client.force_login(member)

    before = client.get(FUNDRAISER_DASHBOARD).content.decode()
    invalid = client.post(thank_url(FUNDRAISER_DASHBOARD, gift), {"note": ""})
    sent = send(client, thank_url(FUNDRAISER_DASHBOARD, gift), django_capture_on_commit_callbacks)
    again = client.post(thank_url(FUNDRAISER_DASHBOARD, gift), {"note": "Once more"})

    assert "Send a thank-you note" in before and "Dora Giver" in before
    for response in (before, invalid.content.decode(), sent.content.decode(), again.content.decode()):
        assert "secret.donor" not in response and "example.org" not in response
        # The public id reads the gift's status and receipt number: the donor's alone.
        assert str(gift.public_id) not in response


def test_an_anonymous_gift_can_be_thanked_without_the_page_saying_who_it_reached(
    client, member, anonymous_gift, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(member)

    before = client.get(FUNDRAISER_DASHBOARD).content.decode()
    response = send(client, thank_url(FUNDRAISER_DASHBOARD, anonymous_gift), django_capture_on_commit_callbacks)

    assert "Anonymous" in before and "to this anonymous donor" in before
    page = response.content.decode()
    for shown in (before, page):
        assert "Hester" not in shown and "Unseen" not in shown and "hidden.donor" not in shown
    assert "Your thank-you note is on its way to the donor." in page
    assert len(notes_to(mailoutbox, "hidden.donor@example.org")) == 1


def test_a_captain_thanks_the_donor_of_a_gift_to_a_members_page_signed_as_the_teams(
    client, captain, gift, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(captain)

    page = client.get(TEAM_DASHBOARD).content.decode()
    send(client, thank_url(TEAM_DASHBOARD, gift), django_capture_on_commit_callbacks)

    assert "Send a thank-you note" in page
    [email] = notes_to(mailoutbox, "secret.donor@example.org")
    assert email.subject == "A thank-you from Casey, captain of Freedom Threads for your gift to Ada's Dressember"


def test_a_gift_thanked_by_its_owner_cannot_be_thanked_again_by_a_captain(
    client, member, captain, gift, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(member)
    send(client, thank_url(FUNDRAISER_DASHBOARD, gift), django_capture_on_commit_callbacks)
    mailoutbox.clear()
    client.force_login(captain)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(thank_url(TEAM_DASHBOARD, gift), {"note": "And from the team!"})

    assert response.status_code == 409
    assert "already been thanked for this gift; nothing more was sent" in response.content.decode()
    assert "Thanked on" in response.content.decode()
    assert mailoutbox == []
    assert ThankYouNote.objects.get().text == "Thank you, it means a lot!"


def test_a_replayed_post_is_refused_and_sends_nothing(
    client, member, gift, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(member)
    url = thank_url(FUNDRAISER_DASHBOARD, gift)
    send(client, url, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        replayed = client.post(url, {"note": "Thank you, it means a lot!"})

    assert replayed.status_code == 409
    assert len(notes_to(mailoutbox, "secret.donor@example.org")) == 1


@pytest.mark.parametrize(
    ("text", "said"),
    [("", "Write a few words to the donor."), ("x" * 1001, "Keep the note to 1000 characters.")],
    ids=["empty", "too-long"],
)
def test_an_empty_or_overlong_note_is_400_with_the_reason_on_its_row(client, member, gift, text, said):
    client.force_login(member)

    response = client.post(thank_url(FUNDRAISER_DASHBOARD, gift), {"note": text})

    assert response.status_code == 400
    page = response.content.decode()
    assert said in page and 'aria-invalid="true"' in page and "<details open>" in page
    assert not ThankYouNote.objects.exists()


@pytest.mark.parametrize("who", ["other_captain", "donor_account", "staff", "captain"])
def test_nobody_but_the_pages_owner_may_thank_from_its_dashboard(client, request, gift, who, mailoutbox):
    client.force_login(request.getfixturevalue(who))

    response = client.post(thank_url(FUNDRAISER_DASHBOARD, gift), {"note": "Hi"})

    assert response.status_code == 403
    assert not ThankYouNote.objects.exists()


@pytest.mark.parametrize("who", ["other_captain", "donor_account", "staff", "member"])
def test_nobody_but_the_teams_captains_may_thank_from_its_dashboard(client, request, gift, who):
    client.force_login(request.getfixturevalue(who))

    response = client.post(thank_url(TEAM_DASHBOARD, gift), {"note": "Hi"})

    assert response.status_code == 403
    assert not ThankYouNote.objects.exists()


def test_a_visitor_is_sent_to_log_in(client, gift):
    response = client.post(thank_url(FUNDRAISER_DASHBOARD, gift), {"note": "Hi"})

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not ThankYouNote.objects.exists()


def test_a_gift_to_another_page_or_no_gift_at_all_is_404(
    client, member, other_fundraiser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        elsewhere = DonationFactory(succeeded=True, through_services=True, fundraiser=other_fundraiser)
    client.force_login(member)

    for gift_id in (elsewhere.pk, elsewhere.pk + 1000):
        response = client.post(f"{FUNDRAISER_DASHBOARD}gifts/{gift_id}/thank/", {"note": "Hi"})
        assert response.status_code == 404
    assert not ThankYouNote.objects.exists()


def test_a_captain_cannot_thank_a_gift_to_another_team_through_their_own_dashboard(
    client, captain, other_fundraiser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        elsewhere = DonationFactory(succeeded=True, through_services=True, fundraiser=other_fundraiser)
    client.force_login(captain)

    response = client.post(thank_url(TEAM_DASHBOARD, elsewhere), {"note": "Hi"})

    assert response.status_code == 404


def test_a_gift_not_paid_is_404(client, member, fundraiser):
    pending = DonationFactory(fundraiser=fundraiser)
    client.force_login(member)

    response = client.post(thank_url(FUNDRAISER_DASHBOARD, pending), {"note": "Hi"})

    assert response.status_code == 404


def test_the_form_is_a_post_that_needs_the_csrf_token(member, gift):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    assert client.get(thank_url(FUNDRAISER_DASHBOARD, gift)).status_code == 405
    assert client.post(thank_url(FUNDRAISER_DASHBOARD, gift), {"note": "Hi"}).status_code == 403
    assert not ThankYouNote.objects.exists()


def test_thanking_is_rate_limited_per_person(client, member, fundraiser, settings, django_capture_on_commit_callbacks):
    settings.THANK_YOU_NOTE_RATE_LIMIT = "2/h"
    with django_capture_on_commit_callbacks(execute=True):
        gifts = [DonationFactory(succeeded=True, through_services=True, fundraiser=fundraiser) for _ in range(3)]
    client.force_login(member)

    answers = [client.post(thank_url(FUNDRAISER_DASHBOARD, gift), {"note": "Thanks!"}).status_code for gift in gifts]

    assert answers == [302, 302, 429]
    assert ThankYouNote.objects.count() == 2


def test_a_note_sent_from_the_second_page_of_gifts_comes_back_to_that_page(
    client, member, fundraiser, gift, django_capture_on_commit_callbacks
):
    DonationFactory.create_batch(25, succeeded=True, fundraiser=fundraiser)
    client.force_login(member)
    second = client.get(FUNDRAISER_DASHBOARD + "?gifts_page=2").content.decode()
    url = thank_url(FUNDRAISER_DASHBOARD, gift) + "?gifts_page=2"
    assert f'action="{url}"' in second

    invalid = client.post(url, {"note": ""})
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(url, {"note": "Thanks!"})

    assert invalid.status_code == 400 and "Write a few words to the donor." in invalid.content.decode()
    assert sent.status_code == 302 and sent["Location"] == FUNDRAISER_DASHBOARD + "?gifts_page=2"
