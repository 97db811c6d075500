"""A dedicated gift: the person its donor named gets one card once it is
paid (by the API's own charge, or by webhooks one by one or drained
together), naming the donor as the public page does and never the amount;
nothing for a failed gift, a repeated event or a monthly renewal; and the
receipt says in whose honour or memory the gift was given."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from pypdf import PdfReader

from donations.models import Donation, RecurringPlan
from donations.services import gift_status
from receipts import tasks
from receipts.models import DedicationCard, EmailSuppression
from receipts.outbox import SENDING_LEASE
from tests import factories
from tests.gifts import DECLINING_PAYMENT_METHOD, THREE_D_SECURE_PAYMENT_METHOD, gift_body, give
from tests.stripe_events import invoice_event, payment_intent_event

pytestmark = pytest.mark.django_db

IN_MEMORY = {"kind": "memory", "name": "Rosa Diaz", "notify_email": "luis@example.org"}


def cards(mailoutbox) -> list:
    return [message for message in mailoutbox if message.to == ["luis@example.org"]]


def receipts_of(mailoutbox) -> list:
    return [message for message in mailoutbox if message.to == ["ada@example.org"]]


def every_text(message) -> str:
    return message.subject + "\n" + message.body + "\n" + message.alternatives[0][0]


def assert_no_amount(message, *amounts: str) -> None:
    text = every_text(message)
    assert "$" not in text
    for amount in amounts:
        assert amount not in text


def test_a_paid_dedicated_gift_sends_one_card_naming_donor_campaign_and_person_but_not_the_amount(
    client, organisation, campaign, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = give(client, gift_body(amount_minor=7654, cover_fees=True, dedication=IN_MEMORY))
    assert response.status_code == 201, response.json()

    [card] = cards(mailoutbox)
    assert card.subject == "A gift in memory of Rosa Diaz"
    for text in (card.body, card.alternatives[0][0]):
        assert "Ada Lee" in text
        assert "Dressember 2026" in text
        assert "Freedom Now" in text
        assert "in memory of" in text and "Rosa Diaz" in text
        assert "ada@example.org" not in text
    assert_no_amount(card, "76.54", "7654", "76,54")
    donation = Donation.objects.get()
    assert card.extra_headers["Message-ID"] == f"<dedication-card-{donation.public_id}@give.freedomnow.example>"
    assert DedicationCard.objects.get().status == DedicationCard.Status.SENT


def test_an_anonymous_donor_is_someone_on_the_card(client, campaign, mailoutbox, django_capture_on_commit_callbacks):
    honour = {"kind": "honor", "name": "Mo", "notify_email": "luis@example.org"}
    with django_capture_on_commit_callbacks(execute=True):
        give(client, gift_body(anonymous=True, dedication=honour))

    [card] = cards(mailoutbox)
    assert card.subject == "A gift in honour of Mo"
    assert card.body.startswith("Hello,\n\nSomeone has given a gift to Dressember 2026")
    assert "Ada" not in every_text(card) and "Lee" not in every_text(card)


def test_no_card_without_an_address_to_tell_or_for_a_plain_string(
    client, campaign, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        give(client, gift_body(dedication={"kind": "honor", "name": "Mo", "notify_email": None}))
        give(client, gift_body(dedication="luis@example.org", payment_method="pm_card_mastercard"))

    assert DedicationCard.objects.count() == 0
    assert len(mailoutbox) == 2  # the two receipts


def test_a_declined_gift_sends_no_card(client, campaign, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = give(client, gift_body(dedication=IN_MEMORY, payment_method=DECLINING_PAYMENT_METHOD))

    assert response.status_code == 402
    assert DedicationCard.objects.count() == 0
    assert cards(mailoutbox) == []


def test_a_gift_paid_by_a_webhook_after_3d_secure_sends_its_card_once_however_often_the_event_comes(
    client, campaign, mailoutbox, deliver_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = give(client, gift_body(dedication=IN_MEMORY, payment_method=THREE_D_SECURE_PAYMENT_METHOD))
    assert response.json()["status"] == "requires_action"
    assert cards(mailoutbox) == []
    donation = Donation.objects.get()
    succeeded = payment_intent_event("payment_intent.succeeded", donation, status="succeeded")

    deliver_events(succeeded, succeeded)
    deliver_events(succeeded)

    assert Donation.objects.get().status == Donation.Status.SUCCEEDED
    assert len(cards(mailoutbox)) == 1
    assert DedicationCard.objects.count() == 1


def test_gifts_drained_together_each_send_their_card_once(
    campaign, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    from donations.models import StripeEvent
    from donations.services import stripe_events

    paid_together = []
    real = gift_status.succeed_together
    monkeypatch.setattr(gift_status, "succeed_together", lambda paid: paid_together.append(len(paid)) or real(paid))
    gifts = [
        factories.DonationFactory(
            campaign=campaign,
            payment_intent_id=f"pi_card_{n}",
            dedication="In memory of Rosa Diaz",
            dedication_kind="memory",
            dedication_name="Rosa Diaz",
            dedication_notify_email=email,
        )
        for n, email in enumerate(["luis@example.org", "", "luis@example.org"])
    ]
    for gift in gifts:
        payload = payment_intent_event("payment_intent.succeeded", gift, status="succeeded")
        StripeEvent.objects.create(event_id=payload["id"], type=payload["type"], payload=payload)

    with django_capture_on_commit_callbacks(execute=True):
        assert stripe_events.drain_stripe_events() == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert stripe_events.drain_stripe_events() == 0

    assert paid_together == [3]
    assert sorted(DedicationCard.objects.values_list("donation_id", flat=True)) == [gifts[0].pk, gifts[2].pk]
    sent = cards(mailoutbox)
    assert len(sent) == 2
    for card in sent:
        assert_no_amount(card, f"{gifts[0].amount_minor / 100:.2f}")


def test_monthly_renewals_send_no_card_the_first_month_sends_one(
    client, team, mailoutbox, deliver_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        give(
            client,
            gift_body(frequency="monthly", amount_minor=2500, team=team.slug, fund="rescue", dedication=IN_MEMORY),
        )
    plan = RecurringPlan.objects.get()
    subscription = plan.stripe_subscription_id

    deliver_events(
        invoice_event("invoice.paid", subscription_id=subscription, amount=2500),
        invoice_event("invoice.paid", subscription_id=subscription, amount=2500),
    )

    assert Donation.objects.filter(status=Donation.Status.SUCCEEDED).count() == 3
    assert len(cards(mailoutbox)) == 1
    # Each month's receipt still says in whose memory it was given.
    assert [("Dedication: In memory of Rosa Diaz" in receipt.body) for receipt in receipts_of(mailoutbox)] == [True] * 3


def test_a_suppressed_address_gets_no_card(client, campaign, mailoutbox, django_capture_on_commit_callbacks):
    EmailSuppression.objects.create(email="luis@example.org", reason=EmailSuppression.Reason.BOUNCED)

    with django_capture_on_commit_callbacks(execute=True):
        give(client, gift_body(dedication={**IN_MEMORY, "notify_email": "Luis@Example.org"}))

    assert cards(mailoutbox) == []
    assert DedicationCard.objects.get().status == DedicationCard.Status.SKIPPED


def test_a_card_whose_worker_died_mid_send_is_sent_by_the_sweep_once(
    client, campaign, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        give(client, gift_body(dedication=IN_MEMORY))
    DedicationCard.objects.update(
        status=DedicationCard.Status.SENDING,
        attempts=1,
        claimed_at=timezone.now() - SENDING_LEASE - timedelta(seconds=5),
        claimed_by="task-that-died",
        sent_at=None,
    )
    mailoutbox.clear()

    assert tasks.resend_stalled_emails.delay().get() == 1
    assert tasks.resend_stalled_emails.delay().get() == 0

    card = DedicationCard.objects.get()
    assert (card.status, card.attempts) == (DedicationCard.Status.SENT, 2)
    assert len(cards(mailoutbox)) == 1


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages).split())


@pytest.mark.parametrize(
    ("dedication", "line"),
    [
        pytest.param(IN_MEMORY, "In memory of Rosa Diaz", id="memory"),
        pytest.param(
            {"kind": "honor", "name": "Grandpa Joe", "notify_email": None}, "In honour of Grandpa Joe", id="honor"
        ),
        pytest.param("For my sister", "For my sister", id="plain-string"),
    ],
)
def test_the_receipt_email_and_pdf_say_in_whose_honour_or_memory(
    client, campaign, mailoutbox, django_capture_on_commit_callbacks, dedication, line
):
    with django_capture_on_commit_callbacks(execute=True):
        give(client, gift_body(dedication=dedication))

    [receipt] = receipts_of(mailoutbox)
    [(_name, pdf, _type)] = receipt.attachments
    assert f"Dedication: {line}" in receipt.body
    assert line in receipt.alternatives[0][0]
    assert f"Dedication {line}" in pdf_text(pdf)


def test_a_receipt_without_a_dedication_has_no_dedication_line(
    client, campaign, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        give(client, gift_body())

    [receipt] = receipts_of(mailoutbox)
    assert "Dedication" not in receipt.body
