"""A Postmark API on 127.0.0.1 for the stack (anymail's Postmark backend),
that can hold a send: the way to catch a worker mid-send. Each message it
accepts is written into the stack's mailbox, so the audit counts it as
it counts the file backend's mail.

Not the integration tests' FakePostmark (failures by status, in-memory
delivery): this one writes into the mailbox the audit reads and holds a
send only when asked to."""

import json
import os
import select
import socket
import threading
import time
import uuid
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.utils import timezone

# A held send is given up on after this (the test has failed by then).
HOLD_AT_MOST_SECONDS = 120


class MailboxPostmark(ThreadingHTTPServer):
    """`hold_next()`: the next send is held, unanswered, until its client
    goes away (`held`, then `abandoned` once it has), so that message is
    never accepted. Every other send is accepted (`accepted`)."""

    daemon_threads = True

    def __init__(self, mail_dir: Path):
        super().__init__(("127.0.0.1", 0), _PostmarkHandler)
        self.mail_dir = mail_dir
        self.lock = threading.Lock()
        self.hold = False
        self.held: list[dict] = []
        self.abandoned: list[dict] = []
        self.accepted: list[dict] = []

    def hold_next(self) -> None:
        with self.lock:
            self.hold = True

    @property
    def environment(self) -> dict[str, str]:
        """What the stack's processes need to send through this provider."""
        return {
            "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
            "ANYMAIL_POSTMARK_SERVER_TOKEN": "postmark-test-token",
            "ANYMAIL_POSTMARK_API_URL": f"http://127.0.0.1:{self.server_address[1]}/",
        }

    def deliver(self, message: dict) -> None:
        """Into the mailbox, whole or not at all (the audit reads it while
        this runs): written beside it, then moved in."""
        mail = EmailMessage()
        for name in ("From", "To", "Subject"):
            mail[name] = message[name]
        for header in message.get("Headers", []):
            mail[header["Name"]] = header["Value"]
        mail.set_content(message.get("TextBody") or "")
        self.mail_dir.mkdir(exist_ok=True)
        staged = self.mail_dir.parent / f"postmark-{uuid.uuid4().hex}.eml"
        staged.write_text(mail.as_string())
        os.replace(staged, self.mail_dir / staged.name)
        self.accepted.append(message)


class _PostmarkHandler(BaseHTTPRequestHandler):
    server: MailboxPostmark

    def do_POST(self):
        message = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            hold, self.server.hold = self.server.hold, False
        if hold:
            self.server.held.append(message)
            self._wait_for_the_client_to_leave()
            self.server.abandoned.append(message)
            return
        self.server.deliver(message)
        body = json.dumps(
            {
                "To": message["To"],
                "SubmittedAt": timezone.now().isoformat(),
                "MessageID": str(uuid.uuid4()),
                "ErrorCode": 0,
                "Message": "OK",
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _wait_for_the_client_to_leave(self) -> None:
        deadline = time.monotonic() + HOLD_AT_MOST_SECONDS
        while time.monotonic() < deadline:
            readable, _, _ = select.select([self.connection], [], [], 0.2)
            try:
                if readable and self.connection.recv(1, socket.MSG_PEEK) == b"":
                    return
            except ConnectionResetError:
                return

    def log_message(self, *args):
        pass
