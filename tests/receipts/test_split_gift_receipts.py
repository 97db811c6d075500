"""What the donor's receipt says of a split gift (donations.models.Allocation):
its parts, each with what it gives, in the email's text and HTML and in the
PDF; after a refund, what each part keeps; a gift not split still names its
one fund as before; records frozen before parts existed still render."""

from io import BytesIO

import pytest
from pypdf import PdfReader

from donations.models import Donation, Refund
from donations.services import moves
from receipts import emails
from receipts.documents import ReceiptFacts, receipt_pdf
from receipts.models import Receipt
from receipts.services import receipts as receipt_services

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def documents_of(message) -> list[str]:
    """The email's text, its HTML and its attached PDF's text."""
    return [message.body, message.alternatives[0][0], pdf_text(message.attachments[0][1])]


@pytest.fixture
def split_gift(make_gift, funds):
    def make(**fields):
        return make_gift(allocations=[(funds["rescue"], 6000), (funds["aftercare"], 4000)], **fields)

    return make


def test_a_split_gifts_receipt_lists_each_part_in_the_email_and_the_pdf(organisation, split_gift, mailoutbox):
    split_gift()
    [message] = mailoutbox

    for document in documents_of(message):
        assert "$100.00" in document
        assert "Rescue $60.00, Aftercare $40.00" in document
    assert Receipt.objects.get().record["parts"] == [
        {"fund": "Rescue", "amount": "$60.00"},
        {"fund": "Aftercare", "amount": "$40.00"},
    ]


def test_a_corrected_receipt_after_a_30_dollar_refund_lists_what_each_part_keeps(
    organisation, split_gift, refund, mailoutbox
):
    donation = split_gift()

    refund(donation, refunded_minor=3000)

    corrected = Receipt.objects.get(replaces__isnull=False)
    assert corrected.amount_minor == 7000
    for document in documents_of(mailoutbox[-1]):
        assert "$70.00" in document
        assert "Rescue $42.00, Aftercare $28.00" in document


def test_each_part_on_the_receipt_includes_its_share_of_the_fee_the_donor_covered(organisation, split_gift, mailoutbox):
    donation = split_gift(fee_covered_minor=300)
    [message] = mailoutbox

    assert donation.charged_minor == 10300
    for document in documents_of(message):
        assert "$103.00" in document
        assert "Of which, to cover card fees" in document and "$3.00" in document
        assert "Rescue $61.80, Aftercare $41.20" in document


def test_a_gift_not_split_names_its_one_fund_as_before(organisation, make_gift, mailoutbox):
    make_gift(amount_minor=5000, fund="aftercare")
    receipt = Receipt.objects.get()

    facts = ReceiptFacts.from_record(receipt.record)
    assert receipt.record["parts"] == []
    assert ("Fund", "Aftercare") in facts.rows
    assert "Funds" not in mailoutbox[0].body


def test_a_receipt_frozen_before_gifts_had_parts_still_renders(organisation, make_gift, mailoutbox):
    make_gift(amount_minor=5000, fund="aftercare")
    receipt = Receipt.objects.get()
    record = dict(receipt.record)
    del record["parts"]
    Receipt.objects.filter(pk=receipt.pk).update(record=record)
    receipt.refresh_from_db()

    message = emails.receipt_message(receipt, pdf_url="https://example.org/pdf")

    assert "Fund: Aftercare" in message.body
    assert "Aftercare" in pdf_text(receipt_pdf(ReceiptFacts.from_record(record), is_void=False))


def test_a_split_gift_moved_to_another_fundraiser_keeps_its_receipt(
    organisation, split_gift, fundraiser, finance_user, mailoutbox, django_capture_on_commit_callbacks
):
    gift = split_gift()
    [receipt] = Receipt.objects.all()

    with django_capture_on_commit_callbacks(execute=True):
        moves.move_gift(donation_id=gift.pk, reason="Asked", moved_by=finance_user, to_fundraiser=fundraiser)

    assert Receipt.objects.get() == receipt and receipt.status == Receipt.Status.SENT
    assert len(mailoutbox) == 1


def test_a_gift_not_split_moved_to_another_fund_still_gets_a_corrected_receipt_naming_it(
    organisation, make_gift, funds, finance_user, django_capture_on_commit_callbacks
):
    gift = make_gift(fund="aftercare")

    with django_capture_on_commit_callbacks(execute=True):
        moves.move_gift(donation_id=gift.pk, reason="Asked", moved_by=finance_user, to_fund=funds["rescue"])

    corrected = Receipt.objects.get(replaces__isnull=False)
    assert (corrected.record["fund"], corrected.record["parts"]) == ("Rescue", [])


def test_receipts_issued_in_bulk_list_each_split_gifts_parts(organisation, split_gift, make_gift, funds):
    split = split_gift(send_receipt=False)
    single = make_gift(amount_minor=2500, send_receipt=False, donor__email="b@example.org")
    Receipt.objects.all().delete()
    Donation.objects.update(receipt_number="")

    receipt_services.issue_receipts(donations=[split, single])

    records = {receipt.donation_id: receipt.record for receipt in Receipt.objects.all()}
    assert records[split.pk]["parts"] == [
        {"fund": "Rescue", "amount": "$60.00"},
        {"fund": "Aftercare", "amount": "$40.00"},
    ]
    assert records[single.pk]["parts"] == [] and records[single.pk]["fund"] == "Aftercare"


def test_a_refund_finance_took_out_of_one_fund_shows_on_the_corrected_receipt_as_that_part_keeping_less(
    organisation, split_gift, refund, funds, mailoutbox
):
    donation = split_gift()
    Refund.objects.create(donation=donation, amount_minor=3000, fund=funds["rescue"], status=Refund.Status.SUCCEEDED)

    refund(donation, refunded_minor=3000)

    for document in documents_of(mailoutbox[-1]):
        assert "Rescue $30.00, Aftercare $40.00" in document
