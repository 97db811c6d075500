"""Each gift's copy of its standing receipt's number (Donation.receipt_number,
what the gift export reads) against the receipts themselves
(receipts.selectors.current_receipt_number), after every change that moves
it: issue, void, correction, refunds in full and in part, offline imports;
and the check and repair `reconcile_receipt_numbers` runs."""

import importlib

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from donations.models import Donation
from donations.services import refunds
from finance.imports import reader, runner
from finance.models import AuditLogEntry, GiftImport
from receipts import selectors
from receipts.models import Receipt
from receipts.services import receipts as receipt_services
from tests.finance.import_files import csv_bytes, gift_row
from tests.gifts import gift_body, give

pytestmark = pytest.mark.django_db


def copies_and_truth() -> list[tuple[str, str]]:
    """(copy, number the receipts say) for every gift, oldest first."""
    gifts = Donation.objects.annotate(truth=selectors.current_receipt_number()).order_by("pk")
    return list(gifts.values_list("receipt_number", "truth"))


def assert_copies_match():
    pairs = copies_and_truth()
    assert pairs and all(copy == truth for copy, truth in pairs), pairs
    assert not selectors.gifts_with_stale_receipt_number().exists()


def test_a_paid_gift_shows_the_number_of_the_receipt_it_was_issued(make_gift):
    donation = make_gift()

    donation.refresh_from_db()
    assert donation.receipt_number == Receipt.objects.get().number != ""
    assert_copies_match()


def test_a_gift_without_a_receipt_shows_none(make_gift, organisation):
    paid = make_gift()
    Donation.objects.create(donor=paid.donor, campaign=paid.campaign, fund=paid.fund, amount_minor=1000, currency="usd")

    assert copies_and_truth()[-1] == ("", "")


def test_a_full_refund_voids_the_receipt_and_blanks_the_copy(make_gift, refund):
    donation = make_gift(amount_minor=5000)

    refund(donation, refunded_minor=5000)

    donation.refresh_from_db()
    assert donation.receipt_number == "" and Receipt.objects.get().status == Receipt.Status.VOID
    assert_copies_match()


def test_each_partial_refund_shows_its_correction_and_a_last_full_one_none(make_gift, refund):
    donation = make_gift(amount_minor=5000)
    original = Receipt.objects.get()

    refund(donation, refunded_minor=1000)
    donation.refresh_from_db()
    first = Receipt.objects.get(replaces=original)
    assert donation.receipt_number == first.number != original.number
    assert_copies_match()

    refund(donation, refunded_minor=3000)
    donation.refresh_from_db()
    second = Receipt.objects.get(replaces=first)
    assert donation.receipt_number == second.number
    assert_copies_match()

    refund(donation, refunded_minor=5000)
    donation.refresh_from_db()
    assert donation.receipt_number == ""
    assert_copies_match()


def test_a_repeated_refund_event_leaves_the_copy_as_it_is(make_gift, refund):
    donation = make_gift(amount_minor=5000)
    refund(donation, refunded_minor=2000)
    donation.refresh_from_db()
    shown = donation.receipt_number

    receipt_services.reissue_after_refund(donation=donation)

    donation.refresh_from_db()
    assert donation.receipt_number == shown
    assert_copies_match()


def test_a_staff_refund_through_stripe_moves_the_copy_to_the_correction(
    client, campaign, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        give(client, gift_body(amount_minor=5000))
    donation = Donation.objects.get()
    original = donation.receipt_number

    with django_capture_on_commit_callbacks(execute=True):
        refunds.request_refund(donation_id=donation.pk, amount_minor=1500, reason="requested_by_customer")

    donation.refresh_from_db()
    assert donation.refunded_minor == 1500
    assert donation.receipt_number not in ("", original)
    assert_copies_match()


def test_offline_gifts_show_their_receipts_and_those_without_one_none(fundraiser, funds, organisation):
    raw = csv_bytes([gift_row(1), gift_row(2, receipt="no"), gift_row(3, date="2025-12-30")])
    gift_import = runner.create_gift_import(
        file_name="gifts.csv", import_file=reader.read_import_file(raw), dry_run=False
    )

    assert runner.run_import(gift_import_id=gift_import.pk, channel=AuditLogEntry.Channel.COMMAND).status == (
        GiftImport.Status.IMPORTED
    )

    assert sorted(copy != "" for copy, _ in copies_and_truth()) == [False, True, True]
    assert_copies_match()


def test_the_migration_fills_existing_gifts_from_their_receipts(make_gift, refund):
    voided, corrected, _kept = (make_gift(donor__email=f"{n}@example.org") for n in "abc")
    refund(voided, refunded_minor=voided.charged_minor)
    refund(corrected, refunded_minor=100)
    truth = copies_and_truth()
    Donation.objects.update(receipt_number="")

    importlib.import_module("receipts.migrations.0005_fill_donation_receipt_number").fill(apps, None)

    assert copies_and_truth() == truth
    [voided_copy, *other_copies] = [copy for copy, _ in truth]
    assert voided_copy == "" and all(other_copies)


def test_reconcile_lists_a_stale_copy_and_fix_repairs_it(make_gift, capsys):
    donation = make_gift()
    number = Receipt.objects.get().number
    Donation.objects.filter(pk=donation.pk).update(receipt_number="2026-999999")

    with pytest.raises(CommandError, match="1 gift"):
        call_command("reconcile_receipt_numbers")
    assert f"gift {donation.public_id}: shows 2026-999999, its receipts say {number}" in capsys.readouterr().out

    call_command("reconcile_receipt_numbers", "--fix")
    assert "Fixed 1 gift(s)." in capsys.readouterr().out
    assert_copies_match()
    call_command("reconcile_receipt_numbers")
    assert "matches its receipts" in capsys.readouterr().out
