"""Donors and Stripe, as the stack sees them: gifts posted to gunicorn
from several threads at once, and signed events."""

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tests.gifts import gift_body
from tests.stripe_events import sign


@dataclass
class Answer:
    status: int
    body: dict | str
    headers: dict

    @property
    def is_json(self) -> bool:
        return isinstance(self.body, dict)


def request(url: str, *, data: bytes | None = None, headers: dict | None = None, timeout: float = 30) -> Answer:
    call = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(call, timeout=timeout) as response:
            status, raw, answer_headers = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        status, raw, answer_headers = error.code, error.read(), dict(error.headers)
    try:
        body = json.loads(raw)
    except ValueError:
        body = raw.decode(errors="replace")
    return Answer(status, body, answer_headers)


def give(base_url: str, number: int, **overrides) -> Answer:
    """Gift `number`, from its own donor (`overrides` as for gift_body)."""
    body = gift_body(**{"donor__email": f"donor-{number}@example.org", "amount_minor": 1000 + number, **overrides})
    return request(
        f"{base_url}/api/donations/",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )


def give_many(base_url: str, count: int, *, concurrency: int = 5) -> list[Answer]:
    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(lambda number: give(base_url, number), range(count)))


def send_event(base_url: str, stripe_event: dict) -> Answer:
    body = json.dumps(stripe_event).encode()
    return request(
        f"{base_url}/stripe/webhook/",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(body)},
    )
