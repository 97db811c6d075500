"""A split gift on the real stack: charged once by localstripe (its
webhook processed by a Celery worker), refunded in part through
localstripe, and its parts, totals and receipt still in step. (localstripe
sends no charge.refunded: the refund is recorded from its answer.)"""

import json
import urllib.request

import pytest
from django.core.management import call_command

from donations.models import Donation
from donations.services import refunds
from receipts.models import Receipt
from tests.gifts import gift_body
from tests.integration.conftest import wait_for
from tests.integration.test_gift_with_real_worker import post_json

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_split_gift_refunded_by_30_through_localstripe_keeps_42_and_28(
    live_server, fundraiser, celery_worker_process
):
    body = gift_body(
        fundraiser=fundraiser.slug,
        allocations=[{"fund": "rescue", "amount_minor": 6000}, {"fund": "aftercare", "amount_minor": 4000}],
    )
    del body["fund"], body["amount_minor"]
    status, answer = post_json(f"{live_server.url}/api/donations/", body)
    assert (status, answer["status"]) == (201, "succeeded"), answer
    gift = Donation.objects.get()
    wait_for(lambda: Receipt.objects.filter(donation=gift).exists(), message="the receipt")

    refunds.request_refund(donation_id=gift.pk, amount_minor=3000, reason="requested_by_customer")
    with urllib.request.urlopen(f"{live_server.url}/api/donations/{gift.public_id}/", timeout=20) as response:
        detail = json.load(response)
    assert detail["refunded_minor"] == 3000
    assert [(part["fund"], part["amount_minor"] - part["refunded_minor"]) for part in detail["allocations"]] == [
        ("rescue", 4200),
        ("aftercare", 2800),
    ]
    assert Receipt.objects.exclude(status=Receipt.Status.VOID).get().amount_minor == 7000
    call_command("reconcile_totals")
