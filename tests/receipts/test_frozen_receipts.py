"""Receipts frozen at issue: what a receipt, void notice or statement says
is stored when it is issued, and its email, PDF and every later download
are drawn from that record, whatever happens later to the donor's record,
the gift or the charity's settings. The download link's token is stored
only as a hash."""

import hashlib
from dataclasses import replace
from io import BytesIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from campaigns.models import Campaign, Fund
from donations.models import Donation, Donor
from receipts import emails, outbox, selectors
from receipts.models import Receipt, YearEndStatement
from receipts.services import receipts as receipt_services
from tests.gifts import DECLINING_PAYMENT_METHOD, gift_body, give
from tests.receipts.pdf_links import PDF_LINK, pdf_path_in, pdf_token_in

pytestmark = pytest.mark.django_db


def everything_in(message) -> tuple:
    return (message.subject, message.body, message.alternatives, message.attachments, message.to)


def change_everything_live(settings) -> None:
    """The donor's record, the gift's fund and campaign, and the charity's
    identity all change after the receipt was issued."""
    Donor.objects.update(first_name="Mallory", last_name="Forged", address_line1="666 Fake St", email="m@evil.example")
    Donation.objects.update(donor_first_name="Mallory", donor_address_line1="666 Fake St")
    Fund.objects.update(name="Renamed fund")
    Campaign.objects.update(title="Renamed campaign")
    settings.ORG_NAME = "Someone Else"
    settings.ORG_TAX_ID = "99-9999999"
    settings.ORG_ADDRESS = "9 Elsewhere Rd"


def test_a_stored_receipt_re_renders_byte_identical_email_text_and_pdf_after_the_donors_record_and_org_settings_change(
    organisation, make_gift, mailoutbox, client, settings
):
    make_gift()
    [sent] = mailoutbox
    link = PDF_LINK.search(sent.body).group(0)
    receipt = Receipt.objects.get()

    change_everything_live(settings)
    again = emails.receipt_message(selectors.receipt_with_gift(receipt.pk), pdf_url=link)
    download = client.get(pdf_path_in(sent))

    assert everything_in(again) == everything_in(sent)
    assert download.content == sent.attachments[0][1]
    assert "Ada Lee" in sent.body and "Freedom Now" in sent.body and "Mallory" not in again.body


def test_the_pdf_is_dated_when_the_receipt_was_issued(organisation, make_gift, mailoutbox):
    make_gift()
    receipt = Receipt.objects.get()

    created = PdfReader(BytesIO(mailoutbox[0].attachments[0][1])).metadata.creation_date

    assert created.replace(microsecond=0) == receipt.issued_at.replace(microsecond=0)


def test_a_declined_gift_with_a_known_donors_email_changes_nothing_on_that_donors_record_or_receipts(
    organisation, make_gift, mailoutbox, client
):
    make_gift()
    [sent] = mailoutbox
    donor_before = Donor.objects.values().get()
    receipt_before = Receipt.objects.values("record", "pdf_token_hash", "status").get()

    response = give(
        client,
        gift_body(
            donor__first_name="Mallory",
            donor__last_name="Forged",
            donor__address={"line1": "666 Fake St", "city": "Nowhere", "postal_code": "00000", "country": "CA"},
            payment_method=DECLINING_PAYMENT_METHOD,
        ),
    )

    assert response.status_code == 402
    assert Donor.objects.values().get() == donor_before
    assert Receipt.objects.values("record", "pdf_token_hash", "status").get() == receipt_before
    assert client.get(pdf_path_in(sent)).content == sent.attachments[0][1]
    assert len(mailoutbox) == 1


def test_a_void_notice_is_drawn_from_the_voided_receipts_record(organisation, make_gift, refund, mailoutbox, settings):
    donation = make_gift()
    change_everything_live(settings)

    refund(donation, refunded_minor=donation.charged_minor)

    notice = mailoutbox[-1]
    assert notice.subject == f"Receipt {Receipt.objects.get().number} from Freedom Now is void"
    assert "Dear Ada Lee" in notice.body and "12-3456789" in notice.body
    assert notice.to == ["ada@example.org"]
    assert "Mallory" not in notice.body and "Someone Else" not in notice.body


def test_a_year_end_statement_says_what_it_said_when_issued(
    organisation, make_gift, mailoutbox, settings, django_capture_on_commit_callbacks
):
    from datetime import UTC, datetime

    last_year = timezone.localdate().year - 1
    gift = make_gift(amount_minor=5000)
    Donation.objects.filter(pk=gift.pk).update(succeeded_at=datetime(last_year, 3, 1, 12, tzinfo=UTC))
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_year_end_statements", str(last_year))
    [sent] = mailoutbox
    statement = YearEndStatement.objects.get()

    change_everything_live(settings)
    Donation.objects.update(amount_minor=1)
    again = emails.statement_message(selectors.statement_by_id(statement.pk))

    assert everything_in(again) == everything_in(sent)
    assert "Ada Lee" in sent.body and "$50.00" in sent.body and "Freedom Now" in sent.subject


def test_the_receipt_token_is_stored_hashed_and_the_pdf_link_from_the_email_works(
    organisation, make_gift, mailoutbox, client
):
    make_gift()
    token = pdf_token_in(mailoutbox[0])
    receipt = Receipt.objects.get()

    assert receipt.pdf_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Receipt.objects.values().get())
    response = client.get(pdf_path_in(mailoutbox[0]))
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    # The stored hash is not a key that opens the link.
    assert client.get(f"/receipts/{receipt.pdf_token_hash}/pdf/").status_code == 404


def test_sending_a_receipt_again_rotates_its_link_and_the_old_one_stops_working(
    organisation, make_gift, mailoutbox, client, django_capture_on_commit_callbacks
):
    make_gift()
    receipt = Receipt.objects.get()
    Receipt.objects.filter(pk=receipt.pk).update(status=Receipt.Status.FAILED)

    with django_capture_on_commit_callbacks(execute=True):
        outbox.send_again(kind=receipt_services.RECEIPT_EMAIL, pks=[receipt.pk])

    first, second = mailoutbox
    assert pdf_token_in(first) != pdf_token_in(second)
    assert client.get(pdf_path_in(first)).status_code == 404
    assert client.get(pdf_path_in(second)).content == second.attachments[0][1]


def test_two_workers_building_the_same_delivery_build_the_same_link(organisation, make_gift):
    make_gift(send_receipt=False)
    receipt = selectors.receipt_with_gift(Receipt.objects.get().pk)

    # The outbox builds before it claims: the worker that loses the claim
    # must not break the link in the email the winner sent.
    winner = receipt_services.compose_receipt_email(receipt)
    loser = receipt_services.compose_receipt_email(receipt)

    assert pdf_token_in(winner) == pdf_token_in(loser)
    assert Receipt.objects.get().pdf_token_hash == hashlib.sha256(pdf_token_in(winner).encode()).hexdigest()


def test_a_worker_that_loaded_the_receipt_before_another_attempt_sends_nothing_and_breaks_no_link(
    organisation, make_gift, mailoutbox, client, monkeypatch
):
    make_gift(send_receipt=False)
    pk = Receipt.objects.get().pk
    loaded_early = selectors.receipt_with_gift(pk)
    # Meanwhile another worker claimed it and the provider failed for now.
    Receipt.objects.filter(pk=pk).update(attempts=1)
    spec = outbox.registered_kind(receipt_services.RECEIPT_EMAIL)

    with monkeypatch.context() as patch:
        patch.setitem(outbox._KINDS, receipt_services.RECEIPT_EMAIL, replace(spec, load=lambda _pk: loaded_early))
        outbox.send_email(kind=receipt_services.RECEIPT_EMAIL, pk=pk)
    assert mailoutbox == []
    outbox.send_email(kind=receipt_services.RECEIPT_EMAIL, pk=pk)

    [sent] = mailoutbox
    assert client.get(pdf_path_in(sent)).content == sent.attachments[0][1]


def test_a_send_resumed_after_its_worker_died_keeps_the_link_of_the_email_that_may_have_gone_out(
    organisation, make_gift, mailoutbox, client
):
    make_gift(send_receipt=False)
    pk = Receipt.objects.get().pk
    # A worker built the email, claimed it, handed it to the provider and
    # died before recording that it was sent.
    maybe_delivered = receipt_services.compose_receipt_email(selectors.receipt_with_gift(pk))
    Receipt.objects.filter(pk=pk).update(
        status=Receipt.Status.SENDING, attempts=1, claimed_at=timezone.now() - 2 * outbox.SENDING_LEASE
    )

    outbox.send_email(kind=receipt_services.RECEIPT_EMAIL, pk=pk)

    [resent] = mailoutbox
    assert pdf_token_in(resent) == pdf_token_in(maybe_delivered)
    assert client.get(pdf_path_in(maybe_delivered)).status_code == 200


def test_staff_download_the_pdf_from_the_admin_without_the_donors_link(
    organisation, make_gift, mailoutbox, admin_client
):
    make_gift()
    receipt = Receipt.objects.get()

    response = admin_client.get(f"/admin/receipts/receipt/{receipt.pk}/pdf/")

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert response.content == mailoutbox[0].attachments[0][1]
    assert Receipt.objects.get().pdf_token_hash == receipt.pdf_token_hash
