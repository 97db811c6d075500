"""erase_donor: after it no column of any table holds the donor's name,
email, address, message or dedication; the books (amounts, receipt
numbers, totals) still stand; their plan is stopped and their Stripe
customer deleted; the erasure is recorded without the values; another
donor is untouched."""

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, models, transaction
from django.utils import timezone

from donations.models import Donation, Donor, RecurringPlan
from privacy.models import DataRequest, Erasure
from privacy.services import erasure
from privacy.stripe_events import forget_erased_customer
from receipts.models import EmailSuppression, Receipt
from tests import factories
from tests.locks import wait_for_lock_waiters
from tests.privacy.conftest import MARIGOLD, MARIGOLD_DETAILS, ZEB, ZEB_DETAILS, claim_gift_aid_on_first_gift

pytestmark = pytest.mark.django_db

TEXT_TYPES = ("char", "varchar", "text", "jsonb", "json")


def tables_holding(needle: str) -> list[str]:
    """Every "table.column" whose value, as text, contains `needle` (any case)."""
    found = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            for field in model._meta.concrete_fields:
                db_type = (field.db_type(connection) or "").lower()
                if not db_type.startswith(TEXT_TYPES) and not isinstance(field, models.JSONField):
                    continue
                table, column = model._meta.db_table, field.column
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s',
                    [f"%{needle}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column}")
    return found


def erase(email: str, reason: str = "The donor's request of 4 December 2026") -> str:
    out = io.StringIO()
    call_command("erase_donor", email, "--reason", reason, stdout=out)
    return out.getvalue()


def test_the_world_really_holds_the_donors_details_where_the_erasure_must_reach(world):
    """The search below is only worth something if it finds them first."""
    assert set(tables_holding(ZEB["email"])) >= {
        "donations_donor.email",
        "donations_stripeevent.payload",
        "receipts_receipt.record",
        "receipts_yearendstatement.record",
        "receipts_emailsuppression.email",
        "receipts_providerevent.recipient",
        "campaigns_teaminvite.email",
        "finance_giftimport.content",
        "finance_auditlogentry.filters",
    }
    assert "donations_stripeevent.payload" in tables_holding(ZEB["address"]["line1"])


def test_after_erasure_no_column_of_any_table_holds_the_donors_details(world):
    erase(ZEB["email"])

    assert {needle: tables_holding(needle) for needle in ZEB_DETAILS} == {needle: [] for needle in ZEB_DETAILS}


def test_the_other_donor_who_shares_the_campaign_team_and_fund_is_untouched(world):
    before = list(Donation.objects.filter(donor=world.marigold).values())

    erase(ZEB["email"])

    assert list(Donation.objects.filter(donor=world.marigold).values()) == before
    assert Donor.objects.get(pk=world.marigold.pk).email == MARIGOLD["email"]
    for needle in MARIGOLD_DETAILS:
        assert tables_holding(needle), needle
    # Their line of the shared import file is as it was.
    assert (
        f"{MARIGOLD['email']},Marigold,Featherstone,3 Heron Lane"
        in world.zeb_gifts[-1].offline_gift.gift_import.content
    )


def test_the_books_keep_amounts_dates_funds_gift_ids_and_receipt_numbers(world):
    receipts_before = list(
        Receipt.objects.filter(donation__donor=world.zeb).values_list("number", "amount_minor", "currency", "status")
    )
    amounts_before = {
        key: value
        for key, value in Receipt.objects.get(number=receipts_before[0][0]).record.items()
        if key in ("number", "amount", "gift_date", "fund", "campaign")
    }
    gifts_before = list(
        Donation.objects.filter(donor=world.zeb).values_list(
            "pk", "public_id", "amount_minor", "refunded_minor", "currency", "fund_id", "created_at", "receipt_number"
        )
    )
    assert receipts_before

    erase(ZEB["email"])

    assert (
        list(
            Receipt.objects.filter(donation__donor=world.zeb).values_list(
                "number", "amount_minor", "currency", "status"
            )
        )
        == receipts_before
    )
    record = Receipt.objects.get(number=receipts_before[0][0]).record
    assert {key: record[key] for key in amounts_before} == amounts_before
    assert record["donor_name"] == "Erased donor"
    assert (
        list(
            Donation.objects.filter(donor=world.zeb).values_list(
                "pk",
                "public_id",
                "amount_minor",
                "refunded_minor",
                "currency",
                "fund_id",
                "created_at",
                "receipt_number",
            )
        )
        == gifts_before
    )


def test_reconcile_totals_still_passes_after_the_erasure(world):
    call_command("reconcile_totals", stdout=io.StringIO())  # and before it

    erase(ZEB["email"])

    out = io.StringIO()
    call_command("reconcile_totals", stdout=out)
    assert out.getvalue().strip() == "Totals match the ledger."


def test_the_donors_plan_is_stopped_and_their_stripe_customer_deleted(world, fake_stripe):
    assert world.customer_id in fake_stripe.objects

    erase(ZEB["email"])

    assert RecurringPlan.objects.get(pk=world.plan.pk).status == RecurringPlan.Status.CANCELED
    assert world.customer_id not in fake_stripe.objects
    assert [args for args, _ in fake_stripe.calls_to("delete_customer")] == [(world.customer_id,)]
    assert Erasure.objects.get().stripe_customers == [{"id": world.customer_id, "deleted": True}]


def test_a_stripe_customer_stripe_no_longer_has_is_not_an_error(world, fake_stripe):
    del fake_stripe.objects[world.customer_id]

    erase(ZEB["email"])

    assert Erasure.objects.get().stripe_customers == [{"id": world.customer_id, "deleted": False}]
    assert Donor.objects.get(pk=world.zeb.pk).erased_at is not None


def test_stripe_unreachable_erases_nothing(world, fake_stripe):
    fake_stripe.fail_next(5)

    with pytest.raises(CommandError):
        erase(ZEB["email"])

    assert Donor.objects.get(pk=world.zeb.pk).email == ZEB["email"]
    assert not Erasure.objects.exists()


def test_the_donor_row_keeps_a_unique_placeholder_and_the_erasure_is_recorded_without_the_values(world):
    out = erase(ZEB["email"])

    donor = Donor.objects.get(pk=world.zeb.pk)
    assert (donor.email, donor.full_name, donor.address_line1, donor.erased_at is not None) == (
        f"erased-{donor.pk}@erased.invalid",
        "Erased donor",
        "",
        True,
    )
    record = Erasure.objects.get()
    assert record.donor_id == donor.pk and record.reason == "The donor's request of 4 December 2026"
    assert record.actor.endswith("(command line)") and record.channel == "command"
    assert record.changed["donations.donation"] == len(world.zeb_gifts)
    assert record.changed["receipts.receipt"] >= 1 and record.changed["donations.stripeevent"] >= 1
    assert f"Donor {donor.pk} erased" in out
    # The suppression holds on, under the placeholder.
    assert EmailSuppression.objects.filter(email=donor.email).exists()


def test_erasing_twice_is_a_no_op_that_says_so(world):
    erase(ZEB["email"])
    placeholder = Donor.objects.get(pk=world.zeb.pk).email

    out = erase(placeholder)

    assert "was erased on" in out and "nothing more to do" in out
    assert Erasure.objects.count() == 1
    with pytest.raises(erasure.AlreadyErased):
        erasure.erase_donor(donor=world.zeb, reason="again", actor=None)


def test_the_erasure_closes_the_donors_open_request(world):
    request = DataRequest.objects.create(donor=world.zeb)

    erase(ZEB["email"])

    request.refresh_from_db()
    assert request.status == DataRequest.Status.DONE and request.handled_at is not None


@pytest.mark.parametrize("arguments", [["nobody@example.org", "--reason", "x"], ["", "--reason", "x"]])
def test_an_unknown_email_exits_1_with_one_line_and_erases_nothing(world, arguments):
    with pytest.raises(CommandError) as caught:
        call_command("erase_donor", *arguments, stdout=io.StringIO())

    assert caught.value.returncode == 1
    assert "\n" not in str(caught.value) and "No donor has the email address" in str(caught.value)
    assert not Erasure.objects.exists()


def test_a_blank_reason_is_refused(world):
    with pytest.raises(CommandError) as caught:
        call_command("erase_donor", ZEB["email"], "--reason", "  ", stdout=io.StringIO())

    assert "reason" in str(caught.value)
    assert Donor.objects.get(pk=world.zeb.pk).erased_at is None


def test_the_file_email_backend_loses_the_messages_to_the_donor(world, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    from django.core.mail import EmailMessage, get_connection

    # One connection writes one file, its messages one after another.
    get_connection().send_messages(
        [
            EmailMessage("Your receipt", "Thank you Zebulon", "hi@hopefund.test", [ZEB["email"]]),
            EmailMessage("Your receipt", "Thank you", "hi@hopefund.test", [MARIGOLD["email"]]),
        ]
    )
    get_connection().send_messages([EmailMessage("Hello", "Only for Zeb", "hi@hopefund.test", [ZEB["email"]])])

    erase(ZEB["email"])

    [kept] = [path.read_text() for path in tmp_path.iterdir()]
    assert MARIGOLD["email"] in kept and ZEB["email"] not in kept and "Zebulon" not in kept


def test_stripes_customer_deleted_event_for_the_erased_donor_is_stored_without_their_details(
    world, fake_stripe, deliver_events
):
    erase(ZEB["email"])
    [deleted] = fake_stripe.events_of("customer.deleted")
    assert deleted["data"]["object"]["email"] == ZEB["email"]  # as Stripe sends it

    deliver_events(deleted)

    assert tables_holding(ZEB["email"]) == []
    assert tables_holding("Zebulon") == []


@pytest.mark.django_db(transaction=True)
def test_a_customer_deleted_event_handled_before_the_erasure_commits_waits_for_it():
    donor = factories.DonorFactory(email="zeb@example.org", first_name="Zebulon")
    factories.RecurringPlanFactory(donor=donor, stripe_customer_id="cus_zeb")
    customer = {"id": "cus_zeb", "object": "customer", "email": donor.email, "name": "Zebulon Quixley"}

    def handle():
        try:
            return forget_erased_customer(customer)
        finally:
            connection.close()

    # Stripe sends the event as the erasure deletes the customer, while the
    # erasure (here: this transaction) still holds the donor's lock.
    with ThreadPoolExecutor(max_workers=1) as pool:
        with transaction.atomic():
            Donor.objects.select_for_update().get(pk=donor.pk)
            handled = pool.submit(handle)
            wait_for_lock_waiters(1)
            Donor.objects.filter(pk=donor.pk).update(erased_at=timezone.now())
        assert handled.result(timeout=30) is True

    assert customer["email"] is None and customer["name"] is None


def test_another_customers_deleted_event_is_stored_as_sent(world, deliver_events):
    from tests.stripe_events import event, stripe_object

    deliver_events(event("customer.deleted", stripe_object("customer", id="cus_someone", email=MARIGOLD["email"])))

    assert "donations_stripeevent.payload" in tables_holding(MARIGOLD["email"])


def test_no_impact_update_can_be_queued_for_the_erased_donors_placeholder(world):
    EmailSuppression.objects.filter(email=ZEB["email"]).delete()

    erase(ZEB["email"])

    donor = Donor.objects.get(pk=world.zeb.pk)
    assert EmailSuppression.objects.filter(email=donor.email).exists() and donor.wants_updates is False


def test_a_name_is_erased_as_a_word_in_free_text_but_a_record_keeps_a_campaign_that_shares_it():
    scrub = erasure.Scrubber(
        emails=["hope.smith@example.org"],
        substrings=["Hope Smith", "12 Elm Road"],
        words=["Hope", "Smith"],
        exact={"hope", "smith", "springfield"},
        replacement_email="erased-1@erased.invalid",
    )

    assert scrub.text("Dear Hope, thank you!") == "Dear [erased], thank you!"
    assert scrub.json({"campaign": "Hope Run 2026", "donor_name": "Hope Smith", "first": "Hope"}) == {
        "campaign": "Hope Run 2026",
        "donor_name": "[erased]",
        "first": "[erased]",
    }
    assert scrub.text("Mail to HOPE.SMITH@example.org bounced") == "Mail to erased-1@erased.invalid bounced"
    assert scrub.json(["12 Elm Road, Springfield", "Springfield"]) == ["[erased], Springfield", "[erased]"]


def test_the_command_notes_until_when_hmrc_may_ask_for_a_claimed_declaration(world):
    claim_gift_aid_on_first_gift(world.zeb, on="2026-11-20")
    errors = io.StringIO()

    call_command("erase_donor", ZEB["email"], "--reason", "Their request", stdout=io.StringIO(), stderr=errors)

    assert "HMRC may ask to see their declaration until 2032-11-20" in errors.getvalue()
    assert Donor.objects.get(pk=world.zeb.pk).erased_at is not None
