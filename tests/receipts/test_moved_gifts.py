"""Receipts after finance moves a gift (receipts.services.receipts.
correct_after_move, run by donations.services.moves under the gift's row
lock): a new fund is corrected on a new receipt that names the one it
replaces; a new page or team is on no receipt, so nothing is issued."""

from io import BytesIO

import pytest
from pypdf import PdfReader

from donations.models import GiftMove
from donations.services import moves
from receipts.models import Receipt
from tests import factories

pytestmark = pytest.mark.django_db


def move(gift, user, **to):
    return moves.move_gift(donation_id=gift.pk, reason="The donor asked for rescue", moved_by=user, **to)


def test_moving_the_fund_voids_the_receipt_and_issues_one_stating_the_new_fund(
    organisation, make_gift, funds, finance_user, mailoutbox, django_capture_on_commit_callbacks, client
):
    gift = make_gift(fund="aftercare", amount_minor=5000, cover_fees=True)
    original = Receipt.objects.get(donation=gift)

    with django_capture_on_commit_callbacks(execute=True):
        record = move(gift, finance_user, to_fund=funds["rescue"])

    original.refresh_from_db()
    corrected = Receipt.objects.get(donation=gift, replaces=original)
    assert original.status == Receipt.Status.VOID
    assert corrected.amount_minor == gift.charged_minor
    assert corrected.record["fund"] == "Rescue"
    assert corrected.record["replaces_number"] == original.number
    # The whole charge still stands, fee cover and all.
    assert corrected.record["fee_covered"]
    assert (record.receipt_before, record.receipt_after) == (original.number, corrected.number)
    message = mailoutbox[-1]
    assert message.subject == f"Your corrected tax receipt {corrected.number} from Freedom Now"
    for document in (message.body, PdfReader(BytesIO(message.attachments[0][1])).pages[0].extract_text()):
        assert "Rescue" in document
        assert f"{original.number} (now void)" in document
    assert client.get(f"/api/donations/{gift.public_id}/").json()["receipt_number"] == corrected.number


def test_a_partly_refunded_gift_moved_to_another_fund_keeps_its_corrected_amount(
    refund, make_gift, funds, finance_user
):
    gift = make_gift(fund="aftercare", amount_minor=5000)
    refund(gift, refunded_minor=2000)

    move(gift, finance_user, to_fund=funds["rescue"])

    *_, standing = Receipt.objects.filter(donation=gift).order_by("sequence")
    assert standing.amount_minor == 3000 and standing.record["fund"] == "Rescue"
    assert Receipt.objects.filter(donation=gift).exclude(pk=standing.pk).filter(status="void").count() == 2


def test_a_gift_without_a_receipt_gets_none_when_moved(campaign, funds, finance_user):
    gift = factories.DonationFactory(offline=True, campaign=campaign, fund=funds["aftercare"])

    move(gift, finance_user, to_fund=funds["rescue"])

    assert not Receipt.objects.filter(donation=gift).exists()
    assert GiftMove.objects.get().receipt_after == ""
