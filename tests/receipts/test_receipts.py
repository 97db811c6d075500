"""One receipt per gift, numbered without gaps, with what a US donor needs
for a tax deduction, sent exactly once."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.money import format_money
from donations.models import Donation
from donations.services.gifts import covered_fee
from receipts import outbox, tasks
from receipts.models import Receipt, ReceiptSequence
from receipts.services import receipts as receipt_services
from tests.factories import DonationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def receipted_gift(make_gift, settings):
    settings.ORG_NAME = "Freedom Now"
    settings.ORG_TAX_ID = "12-3456789"
    settings.ORG_ADDRESS = "1 Hope Way, Portland, OR 97201"
    return make_gift(amount_minor=5000, fund="aftercare")


def test_receipt_has_every_fact_a_us_tax_deduction_needs(receipted_gift, mailoutbox):
    receipt = Receipt.objects.get()
    message = mailoutbox[0]
    html = message.alternatives[0][0]
    today = timezone.localdate().strftime("%B %-d, %Y")

    for text in (message.body, html):
        assert "Freedom Now" in text
        assert "12-3456789" in text
        assert "1 Hope Way, Portland, OR 97201" in text
        assert receipt.number in text
        assert "$50.00" in text
        assert today in text
        assert "Aftercare" in text
        assert "Ada Lee" in text
        assert "1 Main St" in text
        assert "No goods or services were provided in exchange for this contribution." in text
    assert message.to == ["ada@example.org"]


def test_a_receipt_points_the_donor_to_their_portal_for_every_gift_and_receipt(receipted_gift, mailoutbox, settings):
    message = mailoutbox[0]
    portal = f"{settings.SITE_URL}/donor/"

    assert portal in message.body
    assert f'<a href="{portal}">All your gifts and receipts</a>' in message.alternatives[0][0]


def test_a_receipt_shows_the_fee_the_donor_added_within_the_amount(make_gift, mailoutbox):
    fee = covered_fee(7500)
    make_gift(amount_minor=7500, cover_fees=True)
    message = mailoutbox[0]

    for text in (message.body, message.alternatives[0][0]):
        flat = re.sub(r"<[^>]+>", " ", text)
        assert re.search(rf"Amount:?\s+{re.escape(format_money(7500 + fee, 'usd'))}", flat)
        assert re.search(rf"Of which, to cover card fees:?\s+{re.escape(format_money(fee, 'usd'))}", flat)


def test_a_receipt_of_a_gift_without_fee_cover_names_no_fee(receipted_gift, mailoutbox):
    assert "cover card fees" not in mailoutbox[0].body


def test_receipt_numbers_are_sequential_within_the_year(make_gift):
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        make_gift(donor__email=email)

    year = timezone.localdate().year
    assert sorted(Receipt.objects.values_list("number", flat=True)) == [
        f"{year}-000001",
        f"{year}-000002",
        f"{year}-000003",
    ]


def test_a_receipt_takes_its_number_in_one_statement_the_years_first_included(make_gift):
    for email in ("a@example.org", "b@example.org"):
        with CaptureQueriesContext(connection) as queries:
            make_gift(donor__email=email)

        on_the_sequence = [query["sql"] for query in queries if '"receipts_receiptsequence"' in query["sql"]]
        assert len(on_the_sequence) == 1
    assert ReceiptSequence.objects.get().last_number == 2


def test_receipt_email_has_a_message_id_derived_from_the_receipt(receipted_gift, mailoutbox, settings):
    receipt = Receipt.objects.get()

    assert mailoutbox[0].extra_headers["Message-ID"] == f"<receipt-{receipt.number}@127.0.0.1>"


def test_sending_a_receipt_again_sends_nothing(receipted_gift, mailoutbox):
    receipt = Receipt.objects.get()

    outbox.send_email(kind="receipt", pk=receipt.pk)
    tasks.send_email.delay("receipt", receipt.pk)

    assert len(mailoutbox) == 1
    assert Receipt.objects.get().status == Receipt.Status.SENT


class FailsOnceBackend:
    """An email provider that is down for the first attempt."""

    calls = 0

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        FailsOnceBackend.calls += 1
        if FailsOnceBackend.calls == 1:
            raise ConnectionError("provider unavailable")
        mail.outbox.extend(messages)
        return len(messages)


def test_provider_error_leaves_the_receipt_pending_and_the_retry_sends_it_once(
    campaign, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.FailsOnceBackend"
    FailsOnceBackend.calls = 0
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        DonationFactory(succeeded=True, through_services=True, campaign=campaign)
    receipt = Receipt.objects.get()

    with pytest.raises(ConnectionError):
        outbox.send_email(kind="receipt", pk=receipt.pk)
    receipt.refresh_from_db()
    assert receipt.status == Receipt.Status.PENDING
    assert "provider unavailable" in receipt.last_error

    outbox.send_email(kind="receipt", pk=receipt.pk)
    receipt.refresh_from_db()
    assert receipt.status == Receipt.Status.SENT
    assert receipt.attempts == 2
    assert len(mailoutbox) == 1
    assert callbacks  # the send had been queued on commit


def test_sweep_sends_receipts_whose_task_was_lost(make_gift, mailoutbox):
    make_gift(send_receipt=False)  # the on-commit enqueue never runs: as if the broker was down
    Receipt.objects.update(issued_at=timezone.now() - timedelta(minutes=5))

    assert tasks.resend_stalled_emails.delay().get() == 1
    assert Receipt.objects.get().status == Receipt.Status.SENT
    assert len(mailoutbox) == 1


def test_sweep_leaves_fresh_receipts_to_their_own_task(make_gift):
    make_gift(send_receipt=False)

    assert tasks.resend_stalled_emails.delay().get() == 0


def test_last_failed_retry_marks_the_receipt_failed(make_gift, settings):
    settings.EMAIL_BACKEND = f"{__name__}.AlwaysFailsBackend"
    make_gift(send_receipt=False)
    receipt = Receipt.objects.get()

    tasks.send_email.apply(args=["receipt", receipt.pk], retries=settings.EMAIL_SEND_RETRIES)

    receipt.refresh_from_db()
    assert receipt.status == Receipt.Status.FAILED
    assert "provider down for good" in receipt.last_error


class AlwaysFailsBackend(FailsOnceBackend):
    def send_messages(self, messages):
        raise ConnectionError("provider down for good")


def test_receipt_year_follows_the_organisations_calendar(make_gift, settings, django_capture_on_commit_callbacks):
    """A gift at 8 pm on 31 December in California is that year's gift,
    though it is already 1 January in UTC."""
    settings.TIME_ZONE = "America/Los_Angeles"
    donation = make_gift()
    new_years_eve = datetime(2027, 1, 1, 4, 0, tzinfo=UTC)
    Donation.objects.filter(pk=donation.pk).update(succeeded_at=new_years_eve)
    Receipt.objects.all().delete()
    donation.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        receipt = receipt_services.issue_receipt(donation=donation)

    assert receipt.number.startswith("2026-")
    assert "December 31, 2026" in mail.outbox[-1].body
