"""Receipts after a refund (receipts.services.receipts.reissue_after_refund, called
by donations.services under the gift's row lock): void notices for a full
refund, corrected receipts with new numbers for a partial one."""

from io import BytesIO

import pytest
from django.core import mail
from django.db import transaction
from pypdf import PdfReader

from donations.models import Donation
from receipts import outbox
from receipts.models import Receipt, VoidNotice
from receipts.services import receipts as receipt_services
from tests.receipts.pdf_links import pdf_path_in

pytestmark = pytest.mark.django_db


def receipts_in_order() -> list[Receipt]:
    return list(Receipt.objects.order_by("sequence"))


def test_a_full_refund_voids_the_receipt_and_tells_the_donor(organisation, make_gift, refund, mailoutbox, client):
    donation = make_gift(amount_minor=5000)
    [original] = receipts_in_order()

    refund(donation, refunded_minor=5000)

    original.refresh_from_db()
    assert original.status == Receipt.Status.VOID and original.voided_at is not None
    notice = VoidNotice.objects.get(receipt=original)
    assert notice.status == VoidNotice.Status.SENT
    [_, sent_notice] = mailoutbox
    assert sent_notice.subject == f"Receipt {original.number} from Freedom Now is void"
    assert "refunded in full" in sent_notice.body and "$50.00" in sent_notice.body
    assert sent_notice.extra_headers["Message-ID"] == f"<void-{original.number}@give.freedomnow.example>"
    assert client.get(f"/api/donations/{donation.public_id}/").json()["receipt_number"] is None


def test_the_void_receipts_pdf_says_it_is_void(make_gift, refund, client, mailoutbox):
    donation = make_gift()
    refund(donation, refunded_minor=donation.charged_minor)
    receipt = Receipt.objects.get()

    pdf = client.get(pdf_path_in(mailoutbox[0])).content

    assert f"VOID: receipt {receipt.number} no longer stands." in PdfReader(BytesIO(pdf)).pages[0].extract_text()


def test_a_partial_refund_issues_a_corrected_receipt_with_a_new_number(
    organisation, make_gift, refund, mailoutbox, client
):
    donation = make_gift(amount_minor=5000)
    make_gift(donor__email="someone@example.org")  # takes the next number in between
    original = Receipt.objects.get(donation=donation)

    refund(donation, refunded_minor=2000)

    original.refresh_from_db()
    corrected = Receipt.objects.get(donation=donation, replaces=original)
    assert original.status == Receipt.Status.VOID
    assert corrected.sequence == 3 and corrected.number.endswith("-000003")
    assert (corrected.amount_minor, corrected.status) == (3000, Receipt.Status.SENT)
    message = mailoutbox[-1]
    assert message.subject == f"Your corrected tax receipt {corrected.number} from Freedom Now"
    for document in (message.body, PdfReader(BytesIO(message.attachments[0][1])).pages[0].extract_text()):
        assert "$30.00" in document
        assert f"{original.number} (now void)" in document
    assert not VoidNotice.objects.exists()  # the corrected receipt says it
    assert client.get(f"/api/donations/{donation.public_id}/").json()["receipt_number"] == corrected.number


def test_calling_it_again_with_nothing_new_changes_and_sends_nothing(make_gift, refund, mailoutbox):
    partly = make_gift(amount_minor=5000)
    fully = make_gift(amount_minor=5000, donor__email="b@example.org")
    refund(partly, refunded_minor=1000)
    refund(fully, refunded_minor=5000)
    before = [(r.number, r.status, r.amount_minor) for r in receipts_in_order()]
    sent = len(mailoutbox)

    refund(partly, refunded_minor=1000)
    refund(fully, refunded_minor=5000)

    assert [(r.number, r.status, r.amount_minor) for r in receipts_in_order()] == before
    assert VoidNotice.objects.count() == 1
    assert len(mailoutbox) == sent


def test_a_second_partial_refund_corrects_the_corrected_receipt(make_gift, refund):
    donation = make_gift(amount_minor=5000)

    refund(donation, refunded_minor=1000)
    refund(donation, refunded_minor=2500)

    original, first_correction, second_correction = receipts_in_order()
    assert first_correction.replaces == original and second_correction.replaces == first_correction
    assert [r.status for r in (original, first_correction, second_correction)] == ["void", "void", "sent"]
    assert second_correction.amount_minor == 2500


def test_a_full_refund_after_a_partial_one_voids_the_corrected_receipt(make_gift, refund, mailoutbox):
    donation = make_gift(amount_minor=5000)
    refund(donation, refunded_minor=1000)

    refund(donation, refunded_minor=5000)

    original, corrected = receipts_in_order()
    assert (original.status, corrected.status) == ("void", "void")
    [notice] = VoidNotice.objects.all()
    assert notice.receipt == corrected
    assert corrected.number in mailoutbox[-1].subject


def test_a_receipt_never_sent_is_voided_without_a_notice(make_gift, refund, mailoutbox):
    donation = make_gift(send_receipt=False)

    refund(donation, refunded_minor=donation.charged_minor)

    assert Receipt.objects.get().status == Receipt.Status.VOID
    assert not VoidNotice.objects.exists()
    assert mailoutbox == []


def test_nothing_is_sent_before_the_refunds_transaction_commits(
    make_gift, mailoutbox, django_capture_on_commit_callbacks
):
    donation = make_gift(amount_minor=5000)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        locked = Donation.objects.select_for_update().get(pk=donation.pk)
        locked.refunded_minor, locked.status = 1000, Donation.Status.PARTIALLY_REFUNDED
        locked.save()
        receipt_services.reissue_after_refund(donation=locked)
        assert mailoutbox == []

    assert len(callbacks) == 1
    assert mailoutbox == []


class RefundedWhileSendingProvider:
    """The donor's receipt is on its way to the provider when the refund lands."""

    donation_pk = None

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        if not mail.outbox:
            with transaction.atomic():
                locked = Donation.objects.select_for_update().get(pk=self.donation_pk)
                locked.refunded_minor, locked.status = locked.charged_minor, Donation.Status.REFUNDED
                locked.save()
                receipt_services.reissue_after_refund(donation=locked)
        mail.outbox.extend(messages)
        return len(messages)


def test_a_receipt_voided_while_it_was_being_sent_stays_void_and_the_donor_is_told(
    settings, make_gift, mailoutbox, django_capture_on_commit_callbacks
):
    donation = make_gift(send_receipt=False)
    settings.EMAIL_BACKEND = f"{__name__}.RefundedWhileSendingProvider"
    RefundedWhileSendingProvider.donation_pk = donation.pk
    receipt = Receipt.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        outbox.send_email(kind="receipt", pk=receipt.pk)

    receipt.refresh_from_db()
    assert receipt.status == Receipt.Status.VOID and receipt.sent_at is not None
    assert VoidNotice.objects.get(receipt=receipt).status == VoidNotice.Status.SENT
    assert [m.subject.split()[0] for m in mailoutbox] == ["Your", "Receipt"]
