"""Receipts through anymail's Postmark backend to a fake Postmark API this
test runs on 127.0.0.1, sent by a real Celery worker process on Redis: the
provider failing, and the worker dying mid-send."""

import json
import select
import socket
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from hopefund.celery import app as celery_app
from receipts import outbox, tasks
from receipts.models import Receipt
from tests.gifts import gift_body, give
from tests.integration.conftest import wait_for
from tests.integration.workers import CeleryWorker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


class FakePostmark(ThreadingHTTPServer):
    """Postmark's send API, as far as anymail uses it. It answers the first
    requests with the statuses in `failures`, then accepts. With
    `hold_first`, it holds the first request without answering until the
    client goes away, so that message is never accepted."""

    daemon_threads = True

    def __init__(self, *, failures: list[int] = (), hold_first: bool = False):
        super().__init__(("127.0.0.1", 0), _PostmarkHandler)
        self.failures = list(failures)
        self.hold_first = hold_first
        self.requests = 0
        self.delivered: list[dict] = []
        self.abandoned: list[dict] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _PostmarkHandler(BaseHTTPRequestHandler):
    server: FakePostmark

    def do_POST(self):
        message = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.requests += 1
            number = self.server.requests
            status = self.server.failures.pop(0) if self.server.failures else 200
        if number == 1 and self.server.hold_first:
            self._wait_for_the_client_to_leave()
            self.server.abandoned.append(message)
            return
        if status == 200:
            self.server.delivered.append(message)
            body = {
                "To": message["To"],
                "SubmittedAt": timezone.now().isoformat(),
                "MessageID": str(uuid.uuid4()),
                "ErrorCode": 0,
                "Message": "OK",
            }
        else:
            body = {"ErrorCode": 0, "Message": "Internal server error"}
        content = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _wait_for_the_client_to_leave(self, timeout: float = 60) -> None:
        deadline = timezone.now() + timedelta(seconds=timeout)
        while timezone.now() < deadline:
            readable, _, _ = select.select([self.connection], [], [], 0.2)
            if readable and self.connection.recv(1, socket.MSG_PEEK) == b"":
                return

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_postmark():
    servers = []

    def start(**behaviour) -> FakePostmark:
        server = FakePostmark(**behaviour)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def postmark_worker(localstripe_url, tmp_path):
    """Start a worker for a fake Postmark; this process sends its tasks
    through the broker instead of running them eagerly."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    celery_app.conf.task_always_eager = False
    workers = []

    def start(api_url: str) -> CeleryWorker:
        worker = CeleryWorker(
            log_path=tmp_path / "worker.log",
            localstripe_url=localstripe_url,
            EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
            ANYMAIL_POSTMARK_SERVER_TOKEN="postmark-test-token",
            ANYMAIL_POSTMARK_API_URL=api_url,
        )
        worker.start()
        workers.append(worker)
        return worker

    yield start
    celery_app.conf.task_always_eager = True
    for worker in workers:
        worker.stop()


def test_provider_failing_twice_then_accepting_delivers_one_receipt(client, campaign, fake_postmark, postmark_worker):
    provider = fake_postmark(failures=[500, 500])
    postmark_worker(provider.url)

    assert give(client, gift_body()).status_code == 201

    receipt = wait_for(lambda: Receipt.objects.filter(status="sent").first(), message="the receipt to be sent")
    assert (receipt.attempts, receipt.last_error) == (3, "")
    assert provider.requests == 3
    [message] = provider.delivered
    assert message["To"] == "ada@example.org"
    assert {"Name": "Message-ID", "Value": f"<receipt-{receipt.number}@127.0.0.1>"} in message["Headers"]
    assert message["Attachments"][0]["Name"] == f"receipt-{receipt.number}.pdf"


def test_a_worker_killed_while_the_provider_holds_the_send_delivers_one_receipt_after_restart(
    client, campaign, fake_postmark, postmark_worker
):
    provider = fake_postmark(hold_first=True)
    worker = postmark_worker(provider.url)
    assert give(client, gift_body()).status_code == 201
    wait_for(lambda: provider.requests == 1, message="the send to reach the provider")

    worker.kill()

    wait_for(lambda: provider.abandoned, message="the provider to see the worker go")
    receipt = Receipt.objects.get()
    assert (receipt.status, provider.delivered) == (Receipt.Status.SENDING, [])

    postmark_worker(provider.url)
    # The lease passes (ten minutes in real life) and beat runs the sweep.
    Receipt.objects.filter(pk=receipt.pk).update(claimed_at=timezone.now() - outbox.SENDING_LEASE)
    tasks.resend_stalled_emails.delay()

    receipt = wait_for(lambda: Receipt.objects.filter(status="sent").first(), message="the receipt to be sent")
    assert receipt.attempts == 2
    assert len(provider.delivered) == 1
    assert provider.delivered[0]["Headers"] == provider.abandoned[0]["Headers"]  # the same Message-ID
