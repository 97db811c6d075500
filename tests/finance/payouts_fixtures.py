"""Stripe's payout reads, served by a fake Stripe API this test process
runs on 127.0.0.1 (localstripe has no payouts), so the real gateway code
(the stripe SDK, paging, parsing) runs. Payloads are Stripe's own example
objects (tests/fixtures/stripe) with the ids and amounts a test needs."""

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.stripe_events import stripe_object

DAY = 24 * 3600


class FakeStripe(ThreadingHTTPServer):
    """GET /v1/payouts, /v1/payouts/<id> and /v1/balance_transactions?payout=.
    Lists answer at most `page_size` objects a page (and `has_more`), so any
    real list is paged. The first requests are answered with the statuses
    in `failures`."""

    daemon_threads = True

    def __init__(self, *, page_size: int = 2):
        super().__init__(("127.0.0.1", 0), _StripeHandler)
        self.page_size = page_size
        self.payouts: dict[str, dict] = {}
        self.transactions: dict[str, list[dict]] = {}
        self.failures: list[int] = []
        self.requests: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def add_payout(self, payout: dict, transactions: list[dict]) -> None:
        """A payout and what it settled; its own `payout` transaction is
        added as Stripe adds it."""
        self.payouts[payout["id"]] = payout
        own = balance_transaction(
            "payout", f"txn_{payout['id']}", payout["id"], -payout["amount"], created=payout["created"]
        )
        self.transactions[payout["id"]] = [*transactions, own]

    def requests_for(self, path: str) -> list[str]:
        return [request for request in self.requests if urllib.parse.urlsplit(request).path == path]


class _StripeHandler(BaseHTTPRequestHandler):
    server: FakeStripe

    def do_GET(self):
        with self.server.lock:
            self.server.requests.append(self.path)
            failure = self.server.failures.pop(0) if self.server.failures else None
        if failure:
            return self._error(failure, "api_error", None, "Stripe is having a bad day.")
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/v1/payouts":
            since = int(query.get("created[gte]", 0))
            payouts = sorted(
                (p for p in self.server.payouts.values() if p["created"] >= since), key=lambda p: -p["created"]
            )
            return self._list(url.path, payouts, query)
        if url.path.startswith("/v1/payouts/"):
            payout = self.server.payouts.get(url.path.removeprefix("/v1/payouts/"))
            if payout is None:
                return self._error(404, "invalid_request_error", "resource_missing", "No such payout")
            return self._answer(200, payout)
        if url.path == "/v1/balance_transactions" and query.get("payout") in self.server.transactions:
            assert query.get("expand[0]") == "data.source"
            return self._list(url.path, self.server.transactions[query["payout"]], query)
        return self._error(404, "invalid_request_error", "resource_missing", f"No such thing: {url.path}")

    def _list(self, path: str, objects: list[dict], query: dict) -> None:
        start = 0
        if "starting_after" in query:
            start = next(i for i, obj in enumerate(objects) if obj["id"] == query["starting_after"]) + 1
        size = min(int(query.get("limit", 10)), self.server.page_size)
        page = objects[start : start + size]
        self._answer(200, {"object": "list", "url": path, "has_more": start + size < len(objects), "data": page})

    def _error(self, status: int, kind: str, code: str | None, message: str) -> None:
        # Stripe-Should-Retry: false keeps the SDK's own retries out of the
        # way: these tests are about Celery's.
        self._answer(
            status,
            {"error": {"type": kind, "code": code, "message": message}},
            headers={"Stripe-Should-Retry": "false"},
        )

    def _answer(self, status: int, body: dict, headers: dict | None = None) -> None:
        content = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_stripe():
    """Started here; a test points settings.STRIPE_API_BASE at `.url` once
    it no longer needs localstripe (which makes its gifts)."""
    server = FakeStripe()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


# --- Recorded payloads ----------------------------------------------------


def payout_object(
    payout_id: str, *, amount: int, status: str = "in_transit", days_ago: int = 1, automatic: bool = True
) -> dict:
    created = int(time.time()) - days_ago * DAY
    return stripe_object(
        "payout",
        id=payout_id,
        amount=amount,
        currency="usd",
        status=status,
        automatic=automatic,
        created=created,
        arrival_date=(created // DAY + 2) * DAY,
        balance_transaction=f"txn_{payout_id}",
        reconciliation_status="completed" if status == "paid" else "in_progress",
    )


def balance_transaction(
    type_: str,
    txn_id: str,
    source,
    amount: int,
    *,
    fee: int = 0,
    created: int | None = None,
    description: str = "",
    reporting_category: str | None = None,
) -> dict:
    return stripe_object(
        "balance_transaction",
        id=txn_id,
        type=type_,
        source=source,
        amount=amount,
        fee=fee,
        net=amount - fee,
        currency="usd",
        created=created or int(time.time()) - 3 * DAY,
        description=description,
        reporting_category=reporting_category or type_,
        fee_details=[],
    )


def charge_line(txn_id: str, *, charge_id: str, payment_intent_id: str | None, amount: int, fee: int) -> dict:
    charge = stripe_object("charge", id=charge_id, payment_intent=payment_intent_id, amount=amount, currency="usd")
    return balance_transaction("charge", txn_id, charge, amount, fee=fee, description="Gift")


def refund_line(txn_id: str, *, refund_id: str, charge_id: str, amount: int) -> dict:
    refund = stripe_object("refund", id=refund_id, charge=charge_id, amount=amount, currency="usd")
    return balance_transaction("refund", txn_id, refund, -amount, description="REFUND FOR CHARGE (Gift)")


def dispute_line(txn_id: str, *, dispute_id: str, charge_id: str, amount: int, fee: int = 1500) -> dict:
    dispute = stripe_object("dispute", id=dispute_id, charge=charge_id, amount=amount, currency="usd")
    return balance_transaction(
        "adjustment",
        txn_id,
        dispute,
        -amount,
        fee=fee,
        description=f"Chargeback withdrawal for {charge_id}",
        reporting_category="dispute",
    )


def stripe_fee_line(txn_id: str, *, amount: int) -> dict:
    return balance_transaction(
        "stripe_fee",
        txn_id,
        None,
        -amount,
        description="Radar (2026-11-30): Radar for Fraud Teams",
        reporting_category="fee",
    )


# --- The ledger's side ----------------------------------------------------


def paid_gifts(campaign, count: int, *, amount: int = 5000) -> list:
    """Succeeded gifts with Stripe ids, written straight to the ledger: the
    pages' tests need many, and how a gift is paid is tested elsewhere."""
    from django.utils import timezone

    from campaigns.models import Fund
    from donations.models import Donation, Donor

    donor, _ = Donor.objects.get_or_create(
        email="grace@example.org", defaults={"first_name": "Grace", "last_name": "Hopper"}
    )
    fund = Fund.objects.get(slug="general")
    start = Donation.objects.count()
    return Donation.objects.bulk_create(
        Donation(
            donor=donor,
            campaign=campaign,
            fund=fund,
            amount_minor=amount,
            currency="usd",
            status="succeeded",
            succeeded_at=timezone.now(),
            charge_id=f"ch_test_{start + n}",
            payment_intent_id=f"pi_test_{start + n}",
        )
        for n in range(count)
    )


def record_from_payloads(payout: dict, transactions: list[dict]):
    """Record a payout from recorded payloads without any HTTP."""
    from finance.services.payouts import record_payout
    from payments.stripe import BalanceTransactionState, PayoutState

    return record_payout(
        payout=PayoutState.from_stripe(payout),
        transactions=[BalanceTransactionState.from_stripe(t) for t in transactions],
    )
