"""Stripe payloads nobody here wrote, for the tests that send them to the
webhook: the 70 events of dj-stripe's test suite
(tests/fixtures/djstripe-events, MIT) and Stripe's own example objects
(tests/fixtures/stripe, MIT), each object also paired with every event
type we handle that carries its kind."""

import json
from collections.abc import Iterator
from pathlib import Path

from donations.services.stripe_events import EVENT_HANDLERS
from tests.stripe_events import FIXTURES

DJSTRIPE_EVENTS = {
    path.stem: json.loads(path.read_text())
    for path in sorted((Path(__file__).parent / "fixtures" / "djstripe-events").glob("*.json"))
}


def object_kind(event_type: str) -> str:
    """The kind of object an event of this type carries."""
    for prefix, kind in (("charge.dispute.", "dispute"), ("customer.subscription.", "subscription")):
        if event_type.startswith(prefix):
            return kind
    return event_type.split(".")[0]


def handled_types() -> list[str]:
    """Every type with a handler, those apps above donations register
    (finance's payouts) included: call it once the apps are ready."""
    return sorted(EVENT_HANDLERS)


# Every example object, by where it came from.
EXAMPLE_OBJECTS = {
    **{f"djstripe:{name}": stripe_event["data"]["object"] for name, stripe_event in DJSTRIPE_EVENTS.items()},
    **{f"stripe:{kind}": obj for kind, obj in FIXTURES.items() if kind != "event"},
}


def as_handled_events() -> Iterator[tuple[str, str, dict]]:
    """(event type, where the object came from, the object): each example
    object as every handled type that carries its kind."""
    for source, obj in EXAMPLE_OBJECTS.items():
        for event_type in handled_types():
            if object_kind(event_type) == obj.get("object"):
                yield event_type, source, obj
