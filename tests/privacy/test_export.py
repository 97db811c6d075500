"""export_donor_data: JSON of everything held on one donor (every gift,
receipt, plan, consent and message of theirs), nothing of another donor
who shares their campaign, team, fundraiser and fund; recorded; an
unknown email exits 1 with one line."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from donations.models import Donation, UpdateConsent
from privacy.models import DataExport
from receipts.models import Receipt
from tests.privacy.conftest import MARIGOLD, MARIGOLD_DETAILS, ZEB, ZEB_DEDICATION, ZEB_MESSAGE

pytestmark = pytest.mark.django_db


def export(email: str, *options) -> str:
    out = io.StringIO()
    call_command("export_donor_data", email, *options, stdout=out)
    return out.getvalue()


def test_the_export_holds_every_gift_receipt_plan_consent_and_message_of_the_donor(world):
    text = export(ZEB["email"])
    data = json.loads(text)

    assert data["donor"]["email"] == ZEB["email"] and data["donor"]["first_name"] == "Zebulon"
    assert sorted(gift["public_id"] for gift in data["gifts"]) == sorted(str(g.public_id) for g in world.zeb_gifts)
    numbers = [receipt["number"] for gift in data["gifts"] for receipt in gift["receipts"]]
    assert sorted(numbers) == sorted(Receipt.objects.filter(donation__donor=world.zeb).values_list("number", flat=True))
    assert numbers
    assert [plan["public_id"] for plan in data["monthly_plans"]] == [str(world.plan.public_id)]
    consents = sorted(c["wording"] for c in data["update_consents"])
    assert consents == sorted(UpdateConsent.objects.filter(donor=world.zeb).values_list("wording", flat=True))
    assert "Email me how my gift helps" in consents
    [dedicated] = [gift for gift in data["gifts"] if gift["message"]]
    assert dedicated["message"] == ZEB_MESSAGE and dedicated["dedication_name"] == ZEB_DEDICATION["name"]
    assert dedicated["dedication_card"]["email"] == ZEB_DEDICATION["notify_email"]
    assert dedicated["thank_you_note"]["text"] == "Dear Zebulon, thank you!"
    assert dedicated["refunds"][0]["amount_minor"] == 100
    assert dedicated["allocations"][0]["amount_minor"] == dedicated["amount_minor"]
    assert data["gift_aid_declarations"][0]["postcode"] == "80302"
    assert data["year_end_statements"][0]["record"]["donor_name"] == "Zebulon Quixley"
    assert data["email_suppressions"][0]["reason"] == "unsubscribed"
    assert data["email_provider_events"][0]["recipient"] == ZEB["email"]
    assert data["team_invites"][0]["email"] == ZEB["email"]
    assert {event["type"] for event in data["stripe_events"]} >= {"customer.created", "charge.updated"}
    [offline_file] = data["offline_gift_files"]
    assert [line["cells"]["email"] for line in offline_file["your_lines"]] == [ZEB["email"]]


def test_money_is_integer_minor_units_with_its_currency_and_times_are_iso_8601(world):
    data = json.loads(export(ZEB["email"]))

    gift = data["gifts"][0]
    assert isinstance(gift["amount_minor"], int) and gift["currency"] == "usd"
    assert gift["created_at"].startswith("20") and "T" in gift["created_at"]


def test_nothing_of_the_other_donor_is_in_the_export(world):
    text = export(ZEB["email"])

    for needle in [*MARIGOLD_DETAILS, MARIGOLD["address"]["postal_code"]]:
        assert needle.lower() not in text.lower(), needle
    for gift in world.marigold_gifts:
        assert str(gift.public_id) not in text
        assert gift.payment_intent_id not in text
        for number in Receipt.objects.filter(donation=gift).values_list("number", flat=True):
            assert f'"{number}"' not in text


def test_no_link_token_is_in_the_export(world):
    text = export(ZEB["email"])

    assert "pdf_token_hash" not in text and "unsubscribe_token" not in text and "token_hash" not in text


def test_each_export_is_recorded(world):
    export(ZEB["email"])

    entry = DataExport.objects.get()
    assert (entry.donor_id, entry.channel, entry.user) == (world.zeb.pk, "command", None)
    assert entry.actor.endswith("(command line)")


def test_the_export_can_go_to_a_file(world, tmp_path):
    path = tmp_path / "zeb.json"

    assert export(ZEB["email"], "--output", str(path)) == ""

    assert json.loads(path.read_text())["donor"]["email"] == ZEB["email"]


def test_the_email_is_found_whatever_its_case(world):
    assert json.loads(export("  ZEB.Quixley@Example.org "))["donor"]["id"] == world.zeb.pk


def test_an_unknown_email_exits_1_with_one_line_and_records_nothing(world):
    with pytest.raises(CommandError) as caught:
        export("nobody@example.org")

    assert caught.value.returncode == 1
    assert str(caught.value) == "No donor has the email address 'nobody@example.org'."
    assert not DataExport.objects.exists()


def test_after_erasure_the_export_holds_only_placeholders(world):
    call_command("erase_donor", ZEB["email"], "--reason", "Asked", stdout=io.StringIO())
    placeholder = f"erased-{world.zeb.pk}@erased.invalid"

    text = export(placeholder)

    assert ZEB["email"] not in text and "Zebulon" not in text and ZEB_MESSAGE not in text
    assert len(json.loads(text)["gifts"]) == Donation.objects.filter(donor=world.zeb).count()
