"""Receipt numbers stay unique and gap-free when many gifts succeed at once:
200 signed payment_intent.succeeded webhooks, 20 at a time, into the live
server, each gift taking its number under the year's sequence row lock."""

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.utils import timezone

from donations.models import Donation, Donor, StripeEvent
from receipts.models import Receipt, ReceiptSequence
from tests.stripe_events import payment_intent_event, sign

pytestmark = pytest.mark.django_db(transaction=True)

GIFTS = 200


def pending_gifts(campaign, fund) -> list[Donation]:
    donors = Donor.objects.bulk_create(
        Donor(email=f"donor{n}@example.org", first_name="Donor", last_name=str(n)) for n in range(GIFTS)
    )
    return Donation.objects.bulk_create(
        Donation(
            donor=donor,
            campaign=campaign,
            fund=fund,
            amount_minor=1000 + n,
            currency="usd",
            payment_intent_id=f"pi_concurrent_{n}",
        )
        for n, donor in enumerate(donors)
    )


def deliver(url: str, donation: Donation) -> int:
    body = json.dumps(payment_intent_event("payment_intent.succeeded", donation, status="succeeded")).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", "Stripe-Signature": sign(body)}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


def test_200_gifts_succeeding_at_once_get_200_unique_gap_free_numbers(live_server, campaign, funds, mailoutbox):
    gifts = pending_gifts(campaign, funds["rescue"])

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda gift: deliver(f"{live_server.url}/stripe/webhook/", gift), gifts))

    assert statuses == [200] * GIFTS
    assert StripeEvent.objects.filter(status="processed").count() == GIFTS
    year = timezone.localdate().year
    numbers = sorted(Receipt.objects.values_list("sequence", flat=True))
    assert numbers == list(range(1, GIFTS + 1))
    assert Receipt.objects.values("donation").distinct().count() == GIFTS
    assert ReceiptSequence.objects.get(year=year).last_number == GIFTS
    assert len(mailoutbox) == GIFTS
