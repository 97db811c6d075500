"""A fake of Postmark's send API (POST /email, as far as anymail's Postmark
backend uses it) on 127.0.0.1, for tests that send real HTTP through
anymail: each request gets the next answer of a script, then `then`.

Point a process at it with EMAIL_BACKEND=anymail.backends.postmark.EmailBackend,
ANYMAIL_POSTMARK_SERVER_TOKEN=<anything> and ANYMAIL_POSTMARK_API_URL=<fake.url>.
The answers are Postmark's own: a 500, a 422 with ErrorCode 406 (inactive
recipient) or 300 (invalid address), and two ways of never answering in time.
With `mail_dir`, every message it takes is also written there, as Django's
file backend would, for the reliability suite's audit to count."""

import enum
import itertools
import json
import os
import select
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class Answer(enum.Enum):
    ACCEPT = "accept"
    # Temporary: anymail raises AnymailRequestsAPIError(status_code=500).
    SERVER_ERROR = "500"
    # Permanent, HTTP 422: Postmark's "Inactive recipient" (ErrorCode 406, a
    # hard bounce or complaint before) and "Invalid email request" for the To
    # address (ErrorCode 300); anymail raises AnymailRecipientsRefused.
    INACTIVE_RECIPIENT = "422/406"
    INVALID_RECIPIENT = "422/300"
    # No answer until the client goes away (its timeout, or its worker
    # killed); the message is never taken.
    HOLD_AND_DROP = "hold and drop"
    # No answer until the client goes away, and then the message is taken
    # all the same: a provider slower than our timeout, which we cannot
    # tell from one that dropped it.
    HOLD_THEN_ACCEPT = "hold then accept"


@dataclass(frozen=True)
class Request:
    at: float  # time.monotonic() in this process, as it arrived
    answer: Answer
    message: dict


class FakePostmark(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *, script: list[Answer] = (), then: Answer = Answer.ACCEPT, mail_dir: Path | None = None):
        super().__init__(("127.0.0.1", 0), _PostmarkHandler)
        self.script = list(script)
        self.then = then
        self.mail_dir = mail_dir
        self.requests: list[Request] = []
        # The messages Postmark took (and would deliver), in order.
        self.delivered: list[dict] = []
        # The messages held until their client left, and not taken.
        self.abandoned: list[dict] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    @property
    def environment(self) -> dict[str, str]:
        """What a process needs to send through this provider."""
        return {
            "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
            "ANYMAIL_POSTMARK_SERVER_TOKEN": "postmark-test-token",
            "ANYMAIL_POSTMARK_API_URL": self.url,
        }

    def hold_next(self) -> None:
        """The next send is held until its client leaves, and not taken."""
        with self.lock:
            self.script.insert(0, Answer.HOLD_AND_DROP)

    def held(self) -> list[dict]:
        """The messages being held (or held so far) unanswered."""
        with self.lock:
            return [request.message for request in self.requests if request.answer is Answer.HOLD_AND_DROP]

    def start(self) -> "FakePostmark":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def gaps(self) -> list[float]:
        """Seconds between one request's arrival and the next's."""
        arrivals = [request.at for request in self.requests]
        return [later - earlier for earlier, later in itertools.pairwise(arrivals)]

    def take(self, message: dict) -> None:
        with self.lock:
            self.delivered.append(message)
        if self.mail_dir is not None:
            self._write_to_mailbox(message)

    def _write_to_mailbox(self, message: dict) -> None:
        """Whole or not at all (the audit reads the mailbox meanwhile):
        written beside it, then moved in."""
        mail = EmailMessage()
        for name in ("From", "To", "Subject"):
            mail[name] = message[name]
        for header in message.get("Headers", []):
            mail[header["Name"]] = header["Value"]
        mail.set_content(message.get("TextBody") or "")
        staged = self.mail_dir.parent / f"postmark-{uuid.uuid4().hex}.eml"
        staged.write_text(mail.as_string())
        os.replace(staged, self.mail_dir / staged.name)

    def _next_answer(self, message: dict) -> Answer:
        with self.lock:
            answer = self.script.pop(0) if self.script else self.then
            self.requests.append(Request(at=time.monotonic(), answer=answer, message=message))
            return answer


class _PostmarkHandler(BaseHTTPRequestHandler):
    server: FakePostmark

    def do_POST(self):
        message = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer = self.server._next_answer(message)
        if answer in (Answer.HOLD_AND_DROP, Answer.HOLD_THEN_ACCEPT):
            self._wait_for_the_client_to_leave()
            if answer is Answer.HOLD_THEN_ACCEPT:
                self.server.take(message)
            else:
                with self.server.lock:
                    self.server.abandoned.append(message)
            return
        if answer is Answer.ACCEPT:
            self.server.take(message)
            self._answer(
                200,
                {
                    "To": message["To"],
                    "SubmittedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "MessageID": str(uuid.uuid4()),
                    "ErrorCode": 0,
                    "Message": "OK",
                },
            )
        elif answer is Answer.SERVER_ERROR:
            self._answer(500, {"ErrorCode": 0, "Message": "Internal server error"})
        # Postmark names the bare address in its errors (the inactive ones lowercased).
        elif answer is Answer.INACTIVE_RECIPIENT:
            self._answer(
                422,
                {
                    "ErrorCode": 406,
                    "Message": "You tried to send to a recipient that has been marked as inactive.\n"
                    f"Found inactive addresses: {parseaddr(message['To'])[1].lower()}.\n"
                    "Inactive recipients are ones that have generated a hard bounce or a spam complaint. ",
                },
            )
        elif answer is Answer.INVALID_RECIPIENT:
            self._answer(422, {"ErrorCode": 300, "Message": f"Invalid 'To' address: '{parseaddr(message['To'])[1]}'."})

    def _answer(self, status: int, body: dict) -> None:
        content = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _wait_for_the_client_to_leave(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            readable, _, _ = select.select([self.connection], [], [], 0.1)
            try:
                if readable and self.connection.recv(1, socket.MSG_PEEK) == b"":
                    return
            except ConnectionResetError:  # a client killed outright
                return

    def log_message(self, *args):
        pass
