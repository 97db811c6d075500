"""A chargeback the charity lost: the donor's bank took the gift back, so
its receipt no longer stands, exactly as after a full refund."""

import pytest

from donations.models import Donation
from receipts.models import Receipt, VoidNotice
from tests.stripe_events import dispute_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_gift(organisation, make_gift):
    return make_gift(amount_minor=5000)


def test_a_lost_dispute_voids_the_receipt_and_tells_the_donor_their_bank_took_the_gift_back(
    sent_gift, deliver_events, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver_events(
            dispute_event("charge.dispute.created", sent_gift, status="needs_response"),
            dispute_event("charge.dispute.closed", sent_gift, status="lost"),
        )

    sent_gift.refresh_from_db()
    receipt = Receipt.objects.get()
    assert sent_gift.status == Donation.Status.DISPUTE_LOST
    assert (receipt.status, sent_gift.receipt_number) == (Receipt.Status.VOID, "")
    notice = VoidNotice.objects.get(receipt=receipt)
    assert notice.status == VoidNotice.Status.SENT
    body = mailoutbox[-1].body
    assert f"Receipt {receipt.number} for that gift is therefore void" in body
    assert "taken back by your card issuer" in body and "refunded" not in body


def test_a_won_dispute_leaves_the_receipt_standing(sent_gift, deliver_events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        deliver_events(
            dispute_event("charge.dispute.created", sent_gift, status="needs_response"),
            dispute_event("charge.dispute.closed", sent_gift, status="won"),
        )

    assert Receipt.objects.get().status == Receipt.Status.SENT
    assert not VoidNotice.objects.exists()
