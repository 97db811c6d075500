"""POST /api/donations/ under generated hostile bodies: a valid gift with
its fields replaced by any JSON value, removed, or joined by others; any
bytes at all; any content type. Whatever arrives, the answer is deliberate:
never a 5xx; a refusal says why in JSON and writes nothing; a 201 is one
gift. The hand-picked cases (one per rule) are in
tests/donations/test_gift_validation.py and test_hostile_events.py."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from donations.models import Donation
from donations.selectors import counters_out_of_step
from tests.gifts import DECLINING_PAYMENT_METHOD, THREE_D_SECURE_PAYMENT_METHOD, gift_body
from tests.reliability.hostile import (
    HOSTILE_TEXT,
    JSON_VALUES,
    PROPERTY,
    error_message_of,
    json_bytes,
    one_example,
    row_counts,
    rows_written,
)

pytestmark = pytest.mark.django_db

GIFT_FIELDS = [
    *(key for key in gift_body() if key != "donor"),
    "donor",
    "donor.email",
    "donor.first_name",
    "donor.last_name",
    "donor.address",
    *(f"donor.address.{key}" for key in gift_body()["donor"]["address"]),
]

# Values the rules know, so that generated bodies also reach the charge, the
# monthly plan, the decline and 3-D Secure paths and not only the validators.
PAYMENT_METHODS = st.sampled_from(
    ["pm_card_visa", DECLINING_PAYMENT_METHOD, THREE_D_SECURE_PAYMENT_METHOD, "pm_nobody_knows", "pm_"]
)
MEANINGFUL = {
    "frequency": st.sampled_from(["one_time", "monthly", "weekly", ""]),
    "amount_minor": st.sampled_from([499, 500, 5000, 5_000_000, 5_000_001]),
    "team": st.sampled_from(["freedom-threads", "no-such-team"]),
    "fundraiser": st.sampled_from(["ada-lee", "nobody"]),
    "fund": st.sampled_from(["rescue", "general", "yachts"]),
    "currency": st.sampled_from(["usd", "USD", "eur", "xyz"]),
}


def set_path(body: dict, path: str, value, *, remove: bool = False) -> None:
    *parents, name = path.split(".")
    target = body
    for parent in parents:
        if not isinstance(target.get(parent), dict):
            return  # an earlier mutation replaced the parent: nothing left to change
        target = target[parent]
    if remove:
        target.pop(name, None)
    else:
        target[name] = value


@st.composite
def mutated_gift_bodies(draw) -> dict:
    body = gift_body(team="freedom-threads", fundraiser="ada-lee", payment_method=draw(PAYMENT_METHODS))
    for name in draw(st.lists(st.sampled_from(sorted(MEANINGFUL)), max_size=2, unique=True)):
        body[name] = draw(MEANINGFUL[name])
    for path in draw(st.lists(st.sampled_from(GIFT_FIELDS), max_size=3, unique=True)):
        if draw(st.booleans()):
            set_path(body, path, None, remove=True)
        else:
            set_path(body, path, draw(JSON_VALUES))
    for extra in draw(st.lists(HOSTILE_TEXT, max_size=2)):
        body.setdefault(extra, draw(JSON_VALUES))
    return body


def post_gift(client, raw: bytes, content_type: str = "application/json", **headers):
    return client.post("/api/donations/", data=raw, content_type=content_type, **headers)


def assert_deliberate(response, before: dict[str, int]) -> None:
    """The property every answer of the gift API keeps."""
    assert response.status_code < 500, response.content[:500]
    written = rows_written(before)
    if response.status_code in (201, 402):
        # One gift (a declined card's too: that record is the point), with
        # its effects (donor, plan, counters, receipt); counters still the ledger's.
        assert written.get("donations.Donation") == 1, written
        assert written.get("donations.Donor", 0) <= 1 and written.get("donations.RecurringPlan", 0) <= 1, written
        assert counters_out_of_step() == {}
        if response.status_code == 402:
            assert Donation.objects.order_by("-pk").first().status == Donation.Status.FAILED
            assert response.json()["error"]["message"]
        else:
            assert response.json()["id"]
    else:
        assert 400 <= response.status_code < 500, response.status_code
        assert written == {}, (response.status_code, written)
        assert error_message_of(response)


@PROPERTY
@given(body=mutated_gift_bodies(), idempotency_key=st.one_of(st.none(), HOSTILE_TEXT))
def test_any_mutation_of_a_gift_body_is_answered_deliberately_and_a_refusal_writes_nothing(
    client, fundraiser, body, idempotency_key
):
    headers = {} if idempotency_key is None else {"HTTP_IDEMPOTENCY_KEY": idempotency_key}
    with one_example():
        before = row_counts()
        try:
            response = post_gift(client, json_bytes(body), **headers)
        except UnicodeEncodeError:
            # The test client itself cannot put a lone surrogate in a header:
            # no such request reaches a server.
            return
        assert_deliberate(response, before)


@PROPERTY
@given(
    raw=st.one_of(
        st.binary(max_size=200),
        st.builds(json_bytes, JSON_VALUES),
        st.builds(lambda value: json.dumps(value).encode("utf-16"), st.builds(gift_body)),
        st.builds(lambda value: b"\xef\xbb\xbf" + json_bytes(value), st.builds(gift_body)),
        st.sampled_from([b"", b"{", b"[]", b"null", b"{}", b'{"campaign": NaN}', b"1e999999"]),
    ),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""]
    ),
)
def test_any_bytes_under_any_content_type_are_answered_deliberately_and_write_nothing_unless_a_gift(
    client, fundraiser, raw, content_type
):
    with one_example():
        before = row_counts()
        response = post_gift(client, raw, content_type)
        assert_deliberate(response, before)


# --- Oversized and deeply nested ----------------------------------------------------------
# Over DATA_UPLOAD_MAX_MEMORY_SIZE: test_gift_validation.py's
# test_oversized_body_is_refused_without_a_500 (413).


def nested_in(field: str, depth: int) -> bytes:
    body = gift_body()
    set_path(body, field, "NESTED")
    return json_bytes(body).replace(b'"NESTED"', b'{"a": ' * depth + b"1" + b"}" * depth)


@pytest.mark.parametrize("depth", [64, 900, 5000], ids=lambda depth: f"{depth}-deep")
@pytest.mark.parametrize("field", ["message", "donor", "donor.address.city", "amount_minor"])
def test_gift_field_nested_deep_is_a_400_and_writes_nothing(client, fundraiser, field, depth):
    before = row_counts()
    response = post_gift(client, nested_in(field, depth))

    assert response.status_code == 400
    assert error_message_of(response)
    assert rows_written(before) == {}


def test_unknown_field_nested_5000_deep_is_a_400_saying_so_not_a_recursion_error(client, fundraiser):
    before = row_counts()
    response = post_gift(client, nested_in("an_extra_field", 5000))

    assert response.status_code == 400
    assert response.json()["errors"]["__all__"] == ["The request body is nested too deeply."]
    assert rows_written(before) == {}


def test_gift_body_just_under_the_memory_limit_of_junk_fields_is_refused_cheaply(client, fundraiser, settings):
    # Thousands of unknown keys fit under the size limit: they are ignored,
    # and the gift itself is judged on its own fields.
    body = gift_body(amount_minor="five")
    body.update({f"junk{number}": number for number in range(settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 20)})
    raw = json_bytes(body)
    assert len(raw) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    before = row_counts()
    response = post_gift(client, raw)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["amount_minor"]
    assert rows_written(before) == {}


@PROPERTY
@given(body=mutated_gift_bodies())
def test_any_mutation_of_the_card_forms_body_is_answered_deliberately_and_writes_nothing(client, fundraiser, body):
    # The card form's first step (POST /api/setup-intents/) reads the same
    # gift, but records nothing, whatever it answers.
    body.pop("payment_method", None)
    with one_example():
        before = row_counts()
        response = client.post("/api/setup-intents/", data=json_bytes(body), content_type="application/json")

        assert response.status_code < 500, response.content[:500]
        assert rows_written(before) == {}
        if response.status_code == 201:
            assert response.json()["client_secret"]
        else:
            assert 400 <= response.status_code < 500
            assert error_message_of(response)
