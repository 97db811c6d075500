"""Many things at once on the real stack: a threaded live server,
PostgreSQL's row locks, localstripe. Totals must equal the ledger, one
key must mean one charge, one event must mean one gift."""

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command

from donations.models import Donation, RecurringPlan
from donations.selectors import counter_tallies, counters_out_of_step
from receipts.models import Receipt
from tests.gifts import gift_body
from tests.localstripe import intents_for
from tests.stripe_events import invoice_event, sign

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def post(url: str, body: bytes, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def at_once(calls, workers=8):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_fifty_concurrent_gifts_to_one_team_leave_every_total_equal_to_the_ledger(live_server, fundraiser):
    team = fundraiser.team
    bodies = [
        gift_body(
            amount_minor=1000 + n,
            # Ten donors give five times each: donor counts race too.
            donor__email=f"donor{n % 10}@example.org",
            **({"fundraiser": fundraiser.slug} if n % 2 else {"team": team.slug}),
        )
        for n in range(50)
    ]

    answers = at_once([lambda b=b: post(f"{live_server.url}/api/donations/", json.dumps(b).encode()) for b in bodies])

    assert [status for status, _ in answers] == [201] * 50
    assert Donation.objects.filter(status="succeeded").count() == 50
    assert counters_out_of_step() == {}
    tallies = counter_tallies(campaign_id=team.campaign_id)
    expected = sum(1000 + n for n in range(50))
    assert tallies[(team.campaign_id, None, None)].raised_minor == expected
    assert tallies[(team.campaign_id, team.pk, None)].raised_minor == expected
    assert tallies[(team.campaign_id, team.pk, None)].donor_count == 10
    assert tallies[(team.campaign_id, None, fundraiser.pk)].raised_minor == sum(1000 + n for n in range(1, 50, 2))
    assert tallies[(team.campaign_id, None, fundraiser.pk)].donor_count == 5
    numbers = sorted(Receipt.objects.values_list("sequence", flat=True))
    assert numbers == list(range(1, 51))  # unique and without gaps
    call_command("reconcile_totals")  # exits 0


def test_racing_requests_with_one_idempotency_key_make_one_payment_intent(live_server, campaign):
    body = json.dumps(gift_body()).encode()
    headers = {"Idempotency-Key": "one-gift-many-clicks"}

    answers = at_once([lambda: post(f"{live_server.url}/api/donations/", body, headers) for _ in range(6)], workers=6)

    assert {status for status, _ in answers} == {201}
    assert len({answer["id"] for _, answer in answers}) == 1
    donation = Donation.objects.get()
    assert donation.status == "succeeded"
    assert len(intents_for(donation.public_id)) == 1
    call_command("reconcile_totals")


def test_one_renewal_event_delivered_three_times_at_once_makes_one_gift(live_server, campaign):
    status, _answer = post(f"{live_server.url}/api/donations/", json.dumps(gift_body(frequency="monthly")).encode())
    assert status == 201
    plan = RecurringPlan.objects.get()
    renewal = json.dumps(
        invoice_event("invoice.paid", subscription_id=plan.stripe_subscription_id, amount=5000)
    ).encode()
    signature = sign(renewal)

    answers = at_once(
        [lambda: post(f"{live_server.url}/stripe/webhook/", renewal, {"Stripe-Signature": signature})] * 3, workers=3
    )

    assert [status for status, _ in answers] == [200, 200, 200]
    assert Donation.objects.filter(recurring_plan=plan).count() == 2
    assert Receipt.objects.count() == 2
    call_command("reconcile_totals")
