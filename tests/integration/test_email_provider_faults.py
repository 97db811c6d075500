"""Receipts sent by a real Celery worker through anymail's Postmark backend
to the fake Postmark API (tests/fake_email_provider.py) while it answers
500, times out, or refuses the recipient with a 422: retried with growing
waits and sent once (or, when the provider took a send it never answered
in time, twice as one message), or failed for good and listed for finance
staff, never left `sending`.

The workers get short waits through the settings production reads
(EMAIL_RETRY_BACKOFF_SECONDS, ANYMAIL_REQUESTS_TIMEOUT), nothing else."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import Truncator

from receipts.models import Receipt
from tests.auth import log_in
from tests.fake_email_provider import Answer
from tests.gifts import gift_body, give
from tests.integration.conftest import wait_for, workers_are_idle

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def receipt_in(status: str) -> Receipt:
    return wait_for(lambda: Receipt.objects.filter(status=status).first(), message=f"the receipt to be {status}")


def message_id(message: dict) -> str:
    [value] = [header["Value"] for header in message["Headers"] if header["Name"] == "Message-ID"]
    return value


def finance_staff_find(client, finance_user, receipt: Receipt) -> None:
    """The overview counts the failed receipt and links to the admin's list
    of failed receipts, which shows it with the provider's error."""
    log_in(client, finance_user)
    overview = client.get(reverse("finance:overview")).content.decode()
    failed_list = "/admin/receipts/receipt/?status__exact=failed"
    assert f'<a href="{failed_list}">1 receipt</a>' in overview
    listing = client.get(failed_list).content.decode()
    assert receipt.number in listing
    assert escape(Truncator(receipt.last_error).chars(120)) in listing


def test_provider_500s_are_retried_after_growing_waits_and_one_receipt_is_delivered(
    client, campaign, fake_postmark, postmark_worker
):
    provider = fake_postmark(script=[Answer.SERVER_ERROR] * 3)
    postmark_worker(provider, EMAIL_RETRY_BACKOFF_SECONDS="0.5")

    assert give(client, gift_body()).status_code == 201

    receipt = receipt_in("sent")
    assert (receipt.attempts, receipt.last_error) == (4, "")
    assert [request.answer for request in provider.requests] == [Answer.SERVER_ERROR] * 3 + [Answer.ACCEPT]
    # Each try waits at least its countdown (0.5, 1 and 2 s), each longer than the last.
    gaps = provider.gaps()
    assert all(gap >= countdown for gap, countdown in zip(gaps, [0.5, 1, 2], strict=True)), gaps
    assert gaps == sorted(gaps)
    [message] = provider.delivered
    assert message["To"] == "ada@example.org"
    assert message_id(message) == f"<receipt-{receipt.number}@127.0.0.1>"
    assert message["Attachments"][0]["Name"] == f"receipt-{receipt.number}.pdf"


def test_a_send_the_provider_never_answered_in_time_nor_took_is_sent_again_and_delivered_once(
    client, campaign, fake_postmark, postmark_worker
):
    provider = fake_postmark(script=[Answer.HOLD_AND_DROP])
    postmark_worker(provider, ANYMAIL_REQUESTS_TIMEOUT="1", EMAIL_RETRY_BACKOFF_SECONDS="0.1")

    assert give(client, gift_body()).status_code == 201

    receipt = receipt_in("sent")
    assert receipt.attempts == 2
    # The worker gave up on the first send after its one-second timeout.
    [gap] = provider.gaps()
    assert gap >= 1
    wait_for(lambda: provider.abandoned, message="the provider to see the client go")
    [message] = provider.delivered
    assert message_id(message) == message_id(provider.abandoned[0])


def test_a_send_the_provider_took_after_our_timeout_is_delivered_twice_with_one_message_id(
    client, campaign, fake_postmark, postmark_worker
):
    """What no client of an API without idempotency keys can prevent: a
    timed-out send may have been taken. The retry carries the same
    Message-ID, so the donor's mail client shows one message."""
    provider = fake_postmark(script=[Answer.HOLD_THEN_ACCEPT])
    postmark_worker(provider, ANYMAIL_REQUESTS_TIMEOUT="1", EMAIL_RETRY_BACKOFF_SECONDS="0.1")

    assert give(client, gift_body()).status_code == 201

    receipt = receipt_in("sent")
    assert receipt.attempts == 2
    wait_for(lambda: len(provider.delivered) == 2, message="the provider to take the held send too")
    late, retried = provider.delivered
    assert message_id(late) == message_id(retried) == f"<receipt-{receipt.number}@127.0.0.1>"
    wait_for(workers_are_idle, message="the workers to finish")
    assert len(provider.delivered) == 2


@pytest.mark.parametrize("refusal", [Answer.INACTIVE_RECIPIENT, Answer.INVALID_RECIPIENT])
def test_a_recipient_the_provider_refuses_fails_the_receipt_at_once_with_no_retry_and_finance_staff_see_it(
    client, campaign, fake_postmark, postmark_worker, finance_user, refusal
):
    provider = fake_postmark(script=[refusal])
    postmark_worker(provider, EMAIL_RETRY_BACKOFF_SECONDS="0.1")

    assert give(client, gift_body()).status_code == 201

    receipt = receipt_in("failed")
    assert receipt.attempts == 1
    assert receipt.last_error.startswith("AnymailRecipientsRefused: ")
    wait_for(workers_are_idle, message="the workers to finish")
    assert (len(provider.requests), provider.delivered) == (1, [])
    finance_staff_find(client, finance_user, receipt)


def test_a_provider_down_for_good_fails_the_receipt_after_its_last_retry_and_finance_staff_see_it(
    client, campaign, fake_postmark, postmark_worker, finance_user
):
    provider = fake_postmark(then=Answer.SERVER_ERROR)
    postmark_worker(provider, EMAIL_RETRY_BACKOFF_SECONDS="0.05")

    assert give(client, gift_body()).status_code == 201

    receipt = receipt_in("failed")
    tries = settings.EMAIL_SEND_RETRIES + 1
    assert receipt.attempts == tries
    assert "AnymailRequestsAPIError" in receipt.last_error and "500" in receipt.last_error
    wait_for(workers_are_idle, message="the workers to finish")
    assert (len(provider.requests), provider.delivered) == (tries, [])
    assert Receipt.objects.get().status == Receipt.Status.FAILED
    finance_staff_find(client, finance_user, receipt)
