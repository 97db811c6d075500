"""Receipts through anymail's Postmark backend to the fake Postmark API
(tests/fake_email_provider.py), sent by a real Celery worker process on
Redis: the worker dying mid-send. The provider's own faults are in
test_email_provider_faults.py."""

import pytest
from django.utils import timezone

from receipts import outbox, tasks
from receipts.models import Receipt
from tests.fake_email_provider import Answer
from tests.gifts import gift_body, give
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_while_the_provider_holds_the_send_delivers_one_receipt_after_restart(
    client, campaign, fake_postmark, postmark_worker
):
    provider = fake_postmark(script=[Answer.HOLD_AND_DROP])
    worker = postmark_worker(provider)
    assert give(client, gift_body()).status_code == 201
    wait_for(lambda: provider.requests, message="the send to reach the provider")

    worker.kill()

    wait_for(lambda: provider.abandoned, message="the provider to see the worker go")
    receipt = Receipt.objects.get()
    assert (receipt.status, provider.delivered) == (Receipt.Status.SENDING, [])

    postmark_worker(provider)
    # The lease passes (ten minutes in real life) and beat runs the sweep.
    Receipt.objects.filter(pk=receipt.pk).update(claimed_at=timezone.now() - outbox.SENDING_LEASE)
    tasks.resend_stalled_emails.delay()

    receipt = wait_for(lambda: Receipt.objects.filter(status="sent").first(), message="the receipt to be sent")
    assert receipt.attempts == 2
    assert len(provider.delivered) == 1
    assert provider.delivered[0]["Headers"] == provider.abandoned[0]["Headers"]  # the same Message-ID
