"""A fundraiser's thank-you note reaches the donor once, from the charity:
one note per gift whoever writes it (under concurrent sends too, on
PostgreSQL), sent after commit through the outbox and again after a worker
died mid-send, not stopped by an unsubscribe from impact updates but
stopped by a bounced or complained address."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from donations.models import Donation
from receipts import outbox, tasks
from receipts.models import EmailSuppression, ThankYouNote
from receipts.services import thank_you_notes
from receipts.services.thank_you_notes import AlreadyThanked, NoteRefused, thank_donor
from tests import factories


@pytest.fixture
def nia(fundraiser):
    user = factories.UserFactory(email="nia@example.org", first_name="Nia")
    fundraiser.owner = user
    fundraiser.save()
    return user


@pytest.fixture
def gift(make_gift, fundraiser, nia):
    return make_gift(fundraiser=fundraiser, amount_minor=7500, donor__first_name="Ada", donor__email="ada@example.org")


def thank(gift, sender, *, text="Thank you so much, Ada!", capture=None):
    if capture is None:
        return thank_donor(donation=gift, sender=sender, text=text, thanked_from=gift.fundraiser)
    with capture(execute=True):
        return thank_donor(donation=gift, sender=sender, text=text, thanked_from=gift.fundraiser)


def notes_to(mailoutbox, email: str) -> list:
    return [message for message in mailoutbox if message.to == [email] and "thank-you" in message.subject]


@pytest.mark.django_db
def test_the_donor_gets_the_note_once_from_the_charity_naming_the_fundraiser_and_quoting_it(
    gift, nia, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()

    note = thank(
        gift,
        nia,
        text="  Thank you so much, Ada!\nSee you at the finish.  ",
        capture=django_capture_on_commit_callbacks,
    )

    [email] = mailoutbox
    assert email.to == ["ada@example.org"]
    assert email.from_email == settings.DEFAULT_FROM_EMAIL
    assert email.reply_to == []
    assert email.subject == "A thank-you from Nia for your gift to Ada's Dressember"
    html = email.alternatives[0][0]
    for body in (email.body, html):
        assert "Nia" in body and "$75.00" in body and "Freedom Now" in body
        assert "nia@example.org" not in body
    assert "Thank you so much, Ada!\nSee you at the finish." in email.body
    assert "Thank you so much, Ada!<br>See you at the finish." in html
    assert email.extra_headers["Message-ID"] == f"<thank-you-{gift.public_id}@give.freedomnow.example>"
    note.refresh_from_db()
    assert (note.status, note.text, note.sender) == (
        ThankYouNote.Status.SENT,
        "Thank you so much, Ada!\nSee you at the finish.",
        nia,
    )


@pytest.mark.django_db
def test_the_note_is_sent_only_after_its_transaction_commits(gift, nia, mailoutbox, django_capture_on_commit_callbacks):
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        thank(gift, nia)

    assert notes_to(mailoutbox, "ada@example.org") == []
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_a_second_note_for_the_same_gift_is_refused_and_sends_nothing(
    gift, nia, captain_of, mailoutbox, django_capture_on_commit_callbacks
):
    thank(gift, nia, capture=django_capture_on_commit_callbacks)
    mailoutbox.clear()

    with pytest.raises(AlreadyThanked), django_capture_on_commit_callbacks(execute=True):
        thank(gift, captain_of(gift.team), text="From the team too!")

    assert mailoutbox == []
    assert ThankYouNote.objects.get().text == "Thank you so much, Ada!"


@pytest.fixture
def captain_of(db):
    def make(team):
        user = factories.UserFactory(email="sam@example.org", first_name="Sam")
        team.captains.add(user)
        return user

    return make


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text", ["", "   \n ", "x" * (ThankYouNote.TEXT_MAX_LENGTH + 1)], ids=["empty", "blank", "long"]
)
def test_an_empty_or_overlong_note_is_refused_and_nothing_is_recorded(gift, nia, text):
    with pytest.raises(NoteRefused):
        thank(gift, nia, text=text)

    assert not ThankYouNote.objects.exists()


@pytest.mark.django_db
def test_a_gift_refunded_in_full_cannot_be_thanked(gift, nia):
    Donation.objects.filter(pk=gift.pk).update(status=Donation.Status.REFUNDED)
    gift.refresh_from_db()

    with pytest.raises(NoteRefused, match="paid gift"):
        thank(gift, nia)


@pytest.mark.django_db
def test_an_anonymous_donor_is_thanked_by_name_in_their_own_email(
    make_gift, fundraiser, nia, mailoutbox, django_capture_on_commit_callbacks
):
    gift = make_gift(fundraiser=fundraiser, anonymous=True, donor__first_name="Bea", donor__email="bea@example.org")
    mailoutbox.clear()

    thank(gift, nia, capture=django_capture_on_commit_callbacks)

    [email] = mailoutbox
    assert email.to == ["bea@example.org"]
    assert email.body.startswith("Hello Bea,")


@pytest.mark.django_db
def test_a_donor_who_unsubscribed_from_impact_updates_still_gets_the_note(
    gift, nia, mailoutbox, django_capture_on_commit_callbacks
):
    EmailSuppression.objects.create(email="ada@example.org", reason=EmailSuppression.Reason.UNSUBSCRIBED)
    mailoutbox.clear()

    note = thank(gift, nia, capture=django_capture_on_commit_callbacks)

    assert len(notes_to(mailoutbox, "ada@example.org")) == 1
    note.refresh_from_db()
    assert note.status == ThankYouNote.Status.SENT


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["bounced", "complained", "rejected"])
def test_a_bounced_or_complained_address_gets_no_note(
    gift, nia, mailoutbox, django_capture_on_commit_callbacks, reason
):
    EmailSuppression.objects.create(email="ada@example.org", reason=reason)
    mailoutbox.clear()

    note = thank(gift, nia, capture=django_capture_on_commit_callbacks)

    assert mailoutbox == []
    note.refresh_from_db()
    assert note.status == ThankYouNote.Status.SKIPPED


@pytest.mark.django_db
def test_a_note_whose_worker_died_mid_send_is_sent_by_the_sweep_after_the_lease(
    gift, nia, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        note = thank(gift, nia)
    ThankYouNote.objects.filter(pk=note.pk).update(
        status=ThankYouNote.Status.SENDING,
        attempts=1,
        claimed_at=timezone.now() - outbox.SENDING_LEASE - timedelta(seconds=5),
        claimed_by="task-that-died",
    )
    mailoutbox.clear()

    assert tasks.resend_stalled_emails.delay().get() == 1

    note.refresh_from_db()
    assert (note.status, note.attempts) == (ThankYouNote.Status.SENT, 2)
    assert len(notes_to(mailoutbox, "ada@example.org")) == 1
    assert tasks.resend_stalled_emails.delay().get() == 0


def test_thank_you_notes_are_a_registered_kind_of_email():
    assert outbox.registered_kind(thank_you_notes.THANK_YOU_EMAIL).model is ThankYouNote


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_sends_for_one_gift_record_one_note_and_send_one_email(gift, nia, captain_of, mailoutbox):
    """On PostgreSQL each insert after the first waits on the first's
    unique key, then fails: one note, one email, every other send told so."""
    senders = [nia, captain_of(gift.team)] * 4
    start = threading.Barrier(len(senders))
    outcomes = []
    mailoutbox.clear()

    def send(sender):
        try:
            start.wait(timeout=10)
            thank_donor(
                donation=gift, sender=sender, text=f"Thanks from {sender.first_name}", thanked_from=gift.fundraiser
            )
            outcomes.append("sent")
        except AlreadyThanked:
            outcomes.append("already thanked")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(sender,)) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["already thanked"] * 7 + ["sent"]
    assert ThankYouNote.objects.filter(donation=gift).count() == 1
    assert len(notes_to(mailoutbox, "ada@example.org")) == 1
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
def test_the_gift_notice_tells_the_owner_they_can_thank_the_donor_from_their_dashboard(
    make_gift, fundraiser, nia, organisation, mailoutbox
):
    make_gift(fundraiser=fundraiser, donor__first_name="Ada", donor__last_name="Lee")

    [notice] = [message for message in mailoutbox if message.to == ["nia@example.org"]]
    dashboard = "https://give.freedomnow.example/campaigns/dressember-2026/fundraisers/ada-lee/manage/"
    assert (
        f"where you can send Ada Lee a thank-you note by email (we send it; you never see their address): {dashboard}"
        in " ".join(notice.body.split())
    )
    assert (
        f'<a href="{dashboard}">your dashboard</a>, where you can send Ada Lee a thank-you note'
        in notice.alternatives[0][0]
    )


@pytest.mark.django_db
def test_a_captains_gift_notice_links_to_the_team_dashboard(
    make_gift, fundraiser, captain_of, organisation, mailoutbox
):
    captain_of(fundraiser.team)

    make_gift(fundraiser=fundraiser, anonymous=True)

    [notice] = [message for message in mailoutbox if message.to == ["sam@example.org"]]
    assert "https://give.freedomnow.example/campaigns/dressember-2026/teams/freedom-threads/manage/" in notice.body
    assert "send the donor a thank-you note" in notice.body
