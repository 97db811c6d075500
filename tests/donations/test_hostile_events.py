"""Input PostgreSQL cannot store (NUL, lone surrogates, over-long ids) and
JSON no event has (nesting thousands deep, NaN): a deliberate 400 or a
safe copy, never a 500 that Stripe or a donor would meet again and again,
and never a half-written row."""

import json
import logging

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from donations.models import Donation, Donor, StripeEvent
from finance.imports import reader
from finance.models import GiftImport
from finance.services.permissions import FINANCE_GROUP
from tests.auth import log_in
from tests.factories import UserFactory
from tests.finance.import_files import csv_bytes, gift_row
from tests.gifts import THREE_D_SECURE_PAYMENT_METHOD, gift_body, give
from tests.stripe_events import event, payment_intent_event, post_event, sign, stripe_object

pytestmark = pytest.mark.django_db

UNSTORABLE = [
    pytest.param("\x00", id="nul"),
    pytest.param("\ud800", id="lone-high-surrogate"),
    pytest.param("\udfff", id="lone-low-surrogate"),
]


@pytest.fixture
def gift_awaiting_3ds(client, campaign):
    give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD))
    return Donation.objects.get()


def post_body(client, body: bytes):
    return client.post("/stripe/webhook/", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body))


# --- Webhook: characters PostgreSQL cannot store -----------------------------------------


@pytest.mark.parametrize("character", UNSTORABLE)
def test_success_event_with_an_unstorable_character_in_free_text_is_stored_replaced_and_completes_the_gift(
    client, gift_awaiting_3ds, character, django_capture_on_commit_callbacks
):
    succeeded = payment_intent_event("payment_intent.succeeded", gift_awaiting_3ds, status="succeeded")
    intent = succeeded["data"]["object"]
    intent["description"] = f"Gift from Ad{character}a"
    intent["shipping"] = {"name": character, f"note{character}": [character]}

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, succeeded)

    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.status == StripeEvent.Status.PROCESSED
    stored_intent = stored.payload["data"]["object"]
    assert stored_intent["description"] == "Gift from Ad\ufffda"
    assert stored_intent["shipping"] == {"name": "\ufffd", "note\ufffd": ["\ufffd"]}
    gift_awaiting_3ds.refresh_from_db()
    assert gift_awaiting_3ds.status == Donation.Status.SUCCEEDED


def long_event(**fields) -> dict:
    return {**event("plan.created", stripe_object("plan")), **fields}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"id": "evt_" + "x" * 252}, "the event's id is longer than 255 characters", id="id-256"),
        pytest.param({"type": "plan." + "x" * 96}, "the event's type is longer than 100 characters", id="type-101"),
        pytest.param({"id": "evt_\x00"}, "the event's id holds a NUL or an unpaired surrogate", id="id-nul"),
        pytest.param({"id": "evt_\ud800"}, "the event's id holds a NUL or an unpaired surrogate", id="id-surrogate"),
        pytest.param({"type": "plan.\x00"}, "the event's type holds a NUL", id="type-nul"),
        pytest.param({"type": "plan.\udc00"}, "the event's type holds a NUL", id="type-surrogate"),
        pytest.param({"id": ""}, "the event's id is empty", id="id-empty"),
    ],
)
def test_signed_event_whose_id_or_type_cannot_be_stored_is_a_logged_400_and_stores_nothing(
    client, db, fields, message, caplog
):
    unstorable = long_event(**fields)

    with caplog.at_level(logging.WARNING, logger="donations.views"):
        answers = [post_event(client, unstorable) for _ in range(2)]  # Stripe's retry: the same answer

    for response in answers:
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "unstorable_event"
        assert message in response.json()["error"]["message"]
    assert "refused a signed Stripe event we cannot store" in caplog.text
    assert not StripeEvent.objects.exists()


def test_event_id_and_type_at_the_columns_lengths_are_stored(client, db):
    longest = long_event(id="evt_" + "x" * 251, type="plan." + "x" * 95)

    assert post_event(client, longest).status_code == 200
    assert StripeEvent.objects.get().event_id == longest["id"]


# --- Webhook: JSON no Stripe event is -----------------------------------------------------


@pytest.mark.parametrize("depth", [65, 900, 5000], ids=lambda depth: f"{depth}-deep")
def test_signed_event_nested_deeper_than_stripe_nests_is_400_and_stores_nothing(client, db, depth):
    nested = long_event()
    nested["data"]["object"]["metadata"] = "NESTED"
    body = json.dumps(nested).encode().replace(b'"NESTED"', b"[" * depth + b"]" * depth)

    response = post_body(client, body)

    assert response.status_code == 400
    assert "nested more than 64 levels deep" in response.json()["error"]["message"]
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_signed_event_with_a_number_json_and_postgresql_do_not_have_is_400(client, db, number):
    body = json.dumps(long_event(pending_webhooks="NUMBER")).encode().replace(b'"NUMBER"', number)

    response = post_body(client, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_webhook"
    assert not StripeEvent.objects.exists()


# --- POST /api/donations/ and the offline import ----------------------------------------


def with_value(path: str, value: str) -> dict:
    body = gift_body()
    *parents, name = path.split(".")
    target = body
    for parent in parents:
        target = target.setdefault(parent, {})
    target[name] = value
    return body


@pytest.mark.parametrize("character", UNSTORABLE)
@pytest.mark.parametrize(
    "field",
    ["donor.first_name", "donor.last_name", "donor.email", "donor.address.city", "message", "dedication", "campaign"],
)
def test_gift_with_an_unstorable_character_in_a_text_field_is_400_naming_it_and_writes_nothing(
    client, campaign, fake_stripe, field, character
):
    body = with_value(field, f"Ada{character}" if field != "donor.email" else f"ada{character}@example.org")

    response = give(client, body)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        field: ["Contains a character we cannot store (a NUL or an unpaired surrogate such as \\ud800)."]
    }
    assert not Donation.objects.exists()
    assert not Donor.objects.exists()


def test_gift_with_a_nul_in_its_idempotency_key_is_400_naming_the_header(client, campaign):
    response = client.post(
        "/api/donations/",
        data=json.dumps(gift_body()),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key\x00",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Idempotency-Key"]
    assert not Donation.objects.exists()


def test_import_file_with_a_nul_is_refused_naming_its_line_and_column_before_anything_is_stored(fundraiser):
    raw = csv_bytes([gift_row(1), gift_row(2, last_name="Don\x00or")])

    with pytest.raises(reader.ImportFileError, match="Line 3: last_name holds a NUL character") as refused:
        reader.read_import_file(raw)

    assert refused.value.line == 3
    assert not GiftImport.objects.exists()


def test_import_page_answers_400_for_a_file_with_a_nul(client, fundraiser):
    finance_user = UserFactory(is_staff=True)
    finance_user.groups.add(Group.objects.get(name=FINANCE_GROUP))
    upload = SimpleUploadedFile("gifts.csv", csv_bytes([gift_row(1, message="\x00")]), content_type="text/csv")

    response = log_in(client, finance_user).post(reverse("finance:imports"), {"file": upload})

    assert response.status_code == 400
    assert "Line 2: message holds a NUL character" in response.content.decode()
    assert not GiftImport.objects.exists()
