"""The offline gift import: every row checked before anything is written,
then all rows in one transaction, counted and receipted like online gifts."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from donations.models import Donation, Donor, GivingTotal
from finance.imports import reader, runner
from finance.models import AuditLogEntry, GiftImport, OfflineGift
from finance.selectors import imports as import_selectors
from receipts.models import Receipt
from tests.finance.import_files import HEADER, csv_bytes, gift_row

pytestmark = pytest.mark.django_db


def run(raw: bytes, *, dry_run: bool = False) -> GiftImport:
    gift_import = runner.create_gift_import(
        file_name="gifts.csv", import_file=reader.read_import_file(raw), dry_run=dry_run
    )
    return runner.run_import(gift_import_id=gift_import.pk, channel=AuditLogEntry.Channel.COMMAND)


def errors_of(*rows: dict) -> list[dict]:
    gift_import = run(csv_bytes(list(rows)))
    assert gift_import.status == GiftImport.Status.REJECTED
    return gift_import.errors


def only_error(**overrides) -> str:
    """The message for one bad row (line 2) after a good one-row file."""
    [error] = errors_of(gift_row(**overrides))
    assert error["line"] == 2
    return error["message"]


def counters(campaign, team, fundraiser) -> tuple[int, int, int]:
    def raised(**scope):
        total = GivingTotal.objects.filter(**scope).first()
        return total.raised_minor if total else 0

    return (raised(campaign=campaign, team=None, fundraiser=None), raised(team=team), raised(fundraiser=fundraiser))


# --- All or nothing ---------------------------------------------------------------------


def test_three_bad_rows_among_a_hundred_are_all_reported_by_line_and_nothing_is_written(fundraiser):
    team, campaign = fundraiser.team, fundraiser.campaign
    rows = [gift_row(n) for n in range(1, 101)]
    rows[9]["amount"] = "1,000.00"  # line 11
    rows[49]["campaign"] = "no-such-campaign"  # line 51
    rows[99]["date"] = "05/01/2026"  # line 101

    gift_import = run(csv_bytes(rows))

    assert gift_import.status == GiftImport.Status.REJECTED
    assert [error["line"] for error in gift_import.errors] == [11, 51, 101]
    assert "no thousands separators" in gift_import.errors[0]["message"]
    assert "there is no campaign 'no-such-campaign'" in gift_import.errors[1]["message"]
    assert "YYYY-MM-DD" in gift_import.errors[2]["message"]
    assert gift_import.processed_rows == 100 and gift_import.imported_rows == 0
    assert not Donor.objects.exists() and not Donation.objects.exists() and not OfflineGift.objects.exists()
    assert counters(campaign, team, fundraiser) == (0, 0, 0)


def test_a_clean_file_of_a_hundred_moves_every_total_by_its_sum_and_reconciles(fundraiser, capsys):
    team, campaign = fundraiser.team, fundraiser.campaign
    rows = [gift_row(n, amount=f"{n}.{n % 100:02d}") for n in range(1, 101)]
    expected = sum(n * 100 + n % 100 for n in range(1, 101))

    gift_import = run(csv_bytes(rows))

    assert gift_import.status == GiftImport.Status.IMPORTED, gift_import.errors
    assert gift_import.imported_rows == 100 and gift_import.totals_minor == {"usd": expected}
    assert counters(campaign, team, fundraiser) == (expected, expected, expected)
    campaign_total = GivingTotal.objects.get(campaign=campaign, team=None, fundraiser=None)
    assert (campaign_total.gift_count, campaign_total.donor_count) == (100, 100)
    gifts = Donation.objects.all()
    assert {(gift.source, gift.status, gift.payment_intent_id, gift.charge_id) for gift in gifts} == {
        (Donation.Source.OFFLINE_IMPORT, Donation.Status.SUCCEEDED, None, None)
    }
    assert OfflineGift.objects.filter(gift_import=gift_import).count() == 100
    call_command("reconcile_totals")  # raises (exit 1) if a counter disagrees with the ledger
    assert "Totals match the ledger." in capsys.readouterr().out


def test_an_imported_gift_keeps_its_date_method_reference_line_and_attribution(fundraiser, funds):
    run(
        csv_bytes(
            [
                gift_row(
                    7,
                    date="2025-12-31",
                    method="bank_transfer",
                    fund="aftercare",
                    anonymous="yes",
                    message="In memory of Mae",
                )
            ]
        )
    )

    link = OfflineGift.objects.select_related("donation").get()
    gift = link.donation
    assert (link.method, link.external_reference, link.line_number) == ("bank_transfer", "CHQ-00007", 2)
    assert link.received_on.isoformat() == "2025-12-31"
    assert timezone.localtime(gift.succeeded_at).date().isoformat() == "2025-12-31"
    assert (gift.fundraiser, gift.team, gift.fund) == (fundraiser, fundraiser.team, funds["aftercare"])
    assert (gift.amount_minor, gift.currency, gift.anonymous, gift.message) == (5000, "usd", True, "In memory of Mae")


def test_a_fundraiser_that_is_hidden_still_takes_offline_gifts(fundraiser):
    fundraiser.is_hidden = True
    fundraiser.save()

    assert run(csv_bytes([gift_row()])).status == GiftImport.Status.IMPORTED


# --- Each rule, with its message ------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1,000.00", "amount '1,000.00': write it with a dot for decimals and no thousands separators"),
        ("-5", "amount -5 must be more than zero"),
        ("0", "amount 0 must be more than zero"),
        ("0.00", "amount 0.00 must be more than zero"),
        ("12.345", "amount 12.345 has 3 decimals; USD amounts have at most 2"),
        ("abc", "amount 'abc' is not an amount; write it like 50.00"),
        ("1e3", "amount '1e3' is not an amount"),
        ("50000.01", "amount 50000.01 is outside the limits: gifts must be between $0.01 and $50,000.00"),
    ],
)
def test_a_bad_amount_is_refused_with_its_reason(fundraiser, amount, message):
    assert message in only_error(amount=amount)


def test_a_one_dollar_cheque_is_imported_below_the_online_minimum(fundraiser, settings):
    """The minimum gift defends the card form; a cheque already received is
    money the ledger must show, however small."""
    settings.MIN_GIFT_MINOR = {**settings.MIN_GIFT_MINOR, "usd": 500}

    assert run(csv_bytes([gift_row(amount="1.00")])).status == GiftImport.Status.IMPORTED
    assert Donation.objects.get().amount_minor == 100


def test_amounts_with_one_or_no_decimals_are_whole_minor_units(fundraiser):
    run(csv_bytes([gift_row(1, amount="12.5"), gift_row(2, amount="40")]))

    assert sorted(Donation.objects.values_list("amount_minor", flat=True)) == [1250, 4000]


@pytest.mark.parametrize("value", ["05/01/2026", "2026-1-5", "20260105", "2026-02-30", "yesterday"])
def test_a_date_not_written_yyyy_mm_dd_is_refused(fundraiser, value):
    assert f"date '{value}' is not a date in the form YYYY-MM-DD" in only_error(date=value)


def test_a_future_date_is_refused_and_today_is_accepted(fundraiser):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert f"date {tomorrow} is in the future" in only_error(date=tomorrow)
    assert run(csv_bytes([gift_row(date=timezone.localdate().isoformat())])).status == GiftImport.Status.IMPORTED


def test_an_unknown_campaign_is_named(fundraiser):
    assert "there is no campaign 'spring-gala'" in only_error(campaign="spring-gala", fundraiser="")


def test_a_fund_the_campaign_does_not_offer_is_refused(fundraiser, funds):
    fundraiser.campaign.funds.set([funds["rescue"]])

    assert "campaign 'dressember-2026' does not offer a fund 'aftercare'" in only_error(fund="aftercare")


def test_a_team_or_fundraiser_of_another_campaign_is_refused(fundraiser):
    from tests.factories import CampaignFactory, FundraiserFactory, TeamFactory

    elsewhere = CampaignFactory(slug="spring-gala")
    TeamFactory(campaign=elsewhere, slug="gala-team")
    FundraiserFactory(campaign=elsewhere, slug="gala-page")

    assert "campaign 'dressember-2026' has no team 'gala-team'" in only_error(team="gala-team", fundraiser="")
    assert "campaign 'dressember-2026' has no fundraiser 'gala-page'" in only_error(fundraiser="gala-page")


def test_a_fundraiser_on_another_team_is_refused_and_a_fundraiser_alone_implies_its_team(fundraiser):
    from tests.factories import TeamFactory

    TeamFactory(campaign=fundraiser.campaign, slug="other-team")
    assert "fundraiser 'ada-lee' is not on team 'other-team'" in only_error(team="other-team")

    run(csv_bytes([gift_row(team="")]))
    assert Donation.objects.get().team == fundraiser.team


def test_a_currency_other_than_the_campaigns_is_refused(fundraiser):
    assert "currency CAD does not match campaign 'dressember-2026', which takes USD" in only_error(currency="CAD")
    assert "currency 'xyz' is not one we accept" in only_error(currency="xyz")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "not-an-email"}, "email 'not-an-email' is not an email address"),
        ({"email": ""}, "email is required"),
        ({"first_name": ""}, "first_name is required"),
        ({"reference": ""}, "reference is required"),
        ({"method": "card"}, "method 'card' must be one of cheque, cash, bank_transfer"),
        ({"receipt": "maybe"}, "receipt must be yes or no, not 'maybe'"),
        ({"anonymous": "1"}, "anonymous must be yes or no, not '1'"),
        ({"country": "USA"}, "country 'USA' is not a two-letter country code"),
        ({"message": "x" * 501}, "message is longer than 500 characters"),
    ],
)
def test_other_bad_values_are_refused_with_their_column(fundraiser, overrides, message):
    assert message in only_error(**overrides)


def test_one_bad_row_reports_every_problem_it_has_on_one_line(fundraiser):
    message = only_error(amount="abc", method="card")

    assert "amount 'abc'" in message and "method 'card'" in message


def test_a_reference_twice_in_the_file_is_refused_on_its_second_line(fundraiser):
    errors = errors_of(gift_row(1), gift_row(2), gift_row(3, reference="CHQ-00001"))

    assert errors == [{"line": 4, "message": "reference 'CHQ-00001' is also on line 2"}]


def test_a_reference_imported_before_is_refused(fundraiser):
    assert run(csv_bytes([gift_row(1)])).status == GiftImport.Status.IMPORTED

    assert errors_of(gift_row(2), gift_row(3, reference="CHQ-00001")) == [
        {"line": 3, "message": "reference 'CHQ-00001' was imported before"}
    ]
    assert Donation.objects.count() == 1


def test_a_row_with_too_many_or_too_few_values_is_refused(fundraiser):
    raw = csv_bytes([gift_row(1)]) + b"2026-01-05,50.00,usd\r\n"

    gift_import = run(raw)

    assert gift_import.errors == [
        {"line": 3, "message": f"this row has 3 values but the header names {len(HEADER)} columns"}
    ]


def test_line_numbers_count_blank_lines_and_values_that_span_lines(fundraiser):
    spanning = csv_bytes([gift_row(1, message="Line one\nline two")])  # lines 1 to 3
    bad_row = csv_bytes([gift_row(2, amount="x")]).split(b"\r\n", 1)[1]

    errors = run(spanning + b"\r\n" + bad_row).errors  # a blank line 4, the bad row on line 5

    assert [error["line"] for error in errors] == [5]


# --- The file as a whole --------------------------------------------------------------------


def file_error(raw: bytes) -> str:
    with pytest.raises(reader.ImportFileError) as caught:
        reader.read_import_file(raw)
    return str(caught.value)


def test_an_unknown_or_missing_column_is_one_file_error_naming_them(db):
    header = [column for column in HEADER if column != "reference"] + ["amount_usd"]

    message = file_error(csv_bytes([gift_row()], header=header))

    assert message.startswith("The header (line 1) has unknown column 'amount_usd'; missing column 'reference'.")


def test_a_column_with_no_name_is_called_so(db):
    raw = csv_bytes([gift_row()], header=(*HEADER, ""))

    assert file_error(raw).startswith("The header (line 1) has unknown column (a column with no name).")


def test_header_names_are_read_without_case_or_spaces_and_optional_columns_may_be_left_out(fundraiser):
    required = reader.REQUIRED_COLUMNS
    raw = csv_bytes([gift_row()], header=required).replace(b"first_name", b" First_Name ", 1)

    gift_import = run(raw)

    assert gift_import.status == GiftImport.Status.IMPORTED, gift_import.errors
    assert Donation.objects.get().fundraiser is None  # no fundraiser column: the campaign only
    assert Receipt.objects.count() == 1  # no receipt column: a receipt


def test_an_empty_file_is_refused(db):
    assert file_error(b"").startswith("The file is empty")


def test_a_byte_order_mark_is_accepted(fundraiser):
    gift_import = run(csv_bytes([gift_row()], bom=True))

    assert gift_import.status == GiftImport.Status.IMPORTED, gift_import.errors


def test_a_file_in_another_encoding_is_refused_with_the_line(db):
    raw = csv_bytes([gift_row(1), gift_row(2, first_name="José")]).replace("José".encode(), "José".encode("latin-1"))

    assert file_error(raw) == (
        'The file is not UTF-8 text (line 3 has bytes UTF-8 does not allow); save it as "CSV UTF-8" and try again.'
    )
    assert file_error("date,amount".encode("utf-16")).startswith("The file is not UTF-8 text (line 1")


def test_a_file_too_large_or_with_too_many_rows_is_refused(db, monkeypatch):
    monkeypatch.setattr(reader, "MAX_ROWS", 2)
    assert file_error(csv_bytes([gift_row(n) for n in range(3)])) == (
        "The file has more than 2 rows; split it into smaller files."
    )
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 100)
    assert file_error(csv_bytes([gift_row()])).startswith("The file is larger than")


# --- Donors and receipts -------------------------------------------------------------------


def test_receipt_yes_rows_get_exactly_one_receipt_and_no_rows_none(
    fundraiser, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        run(csv_bytes([gift_row(1, receipt="yes"), gift_row(2, receipt="no"), gift_row(3, receipt="")]))

    receipted = dict(Donation.objects.values_list("offline_gift__external_reference", "receipts__number"))
    assert receipted["CHQ-00002"] is None
    assert receipted["CHQ-00001"] and receipted["CHQ-00003"]
    assert Receipt.objects.count() == 2
    assert sorted(message.to[0] for message in mailoutbox) == ["donor1@example.org", "donor3@example.org"]


def test_a_receipt_is_numbered_in_the_year_the_gift_was_received(fundraiser):
    run(csv_bytes([gift_row(1, date="2025-12-31")]))

    assert Receipt.objects.get().number.startswith("2025-")


def test_donors_are_matched_by_email_in_any_case_and_an_existing_donor_is_kept(fundraiser):
    donor = Donor.objects.create(
        email="mae@example.org", first_name="Mae", last_name="Jemison", address_line1="5 Orbit Way", city="Houston"
    )

    run(
        csv_bytes(
            [
                gift_row(1, email="MAE@Example.org", first_name="Mae", last_name="Jemison", address_line1="", city=""),
                gift_row(2, email="mae@example.org", first_name="Mae", last_name="Jemison", address_line1="", city=""),
                gift_row(3, email="New.Donor@Example.org"),
            ]
        )
    )

    donor.refresh_from_db()
    assert Donor.objects.count() == 2
    assert donor.donations.count() == 2
    assert (donor.address_line1, donor.city) == ("5 Orbit Way", "Houston")  # never erased by blanks
    assert Donor.objects.filter(email="new.donor@example.org").exists()
    assert GivingTotal.objects.get(campaign=fundraiser.campaign, team=None, fundraiser=None).donor_count == 2


# --- Running twice, dry runs, the audit log ----------------------------------------------------


def test_running_an_import_again_imports_nothing_more(fundraiser):
    gift_import = run(csv_bytes([gift_row(1), gift_row(2)]))

    again = runner.run_import(gift_import_id=gift_import.pk, channel=AuditLogEntry.Channel.WEB)

    assert again.status == GiftImport.Status.IMPORTED
    assert Donation.objects.count() == 2
    assert AuditLogEntry.objects.count() == 1


def test_a_run_claimed_by_a_live_worker_is_left_to_it_and_an_abandoned_one_is_taken_over(fundraiser):
    raw = csv_bytes([gift_row(1)])
    gift_import = runner.create_gift_import(file_name="g.csv", import_file=reader.read_import_file(raw), dry_run=False)
    GiftImport.objects.filter(pk=gift_import.pk).update(status=GiftImport.Status.RUNNING, started_at=timezone.now())

    assert runner.run_import(gift_import_id=gift_import.pk, channel="web").status == GiftImport.Status.RUNNING
    assert not Donation.objects.exists()

    GiftImport.objects.filter(pk=gift_import.pk).update(started_at=timezone.now() - timedelta(hours=2))
    assert runner.run_import(gift_import_id=gift_import.pk, channel="web").status == GiftImport.Status.IMPORTED
    assert Donation.objects.count() == 1


def test_the_unique_reference_is_the_last_guard_when_another_import_wrote_it_meanwhile(fundraiser, monkeypatch):
    first = run(csv_bytes([gift_row(1)]))
    assert first.status == GiftImport.Status.IMPORTED
    # As if the other import committed after this one's check had run.
    monkeypatch.setattr(import_selectors, "references_already_imported", _nothing_then_real())

    second = run(csv_bytes([gift_row(2), gift_row(3, reference="CHQ-00001")]))

    assert second.status == GiftImport.Status.REJECTED
    assert second.errors == [{"line": 3, "message": "reference 'CHQ-00001' was imported meanwhile"}]
    assert Donation.objects.count() == 1
    assert GivingTotal.objects.get(campaign=fundraiser.campaign, team=None, fundraiser=None).gift_count == 1


def _nothing_then_real():
    real = import_selectors.references_already_imported
    calls = []

    def references_already_imported(references):
        calls.append(references)
        return set() if len(calls) == 1 else real(references)

    return references_already_imported


def test_a_dry_run_checks_and_totals_but_writes_no_gift(fundraiser):
    gift_import = run(csv_bytes([gift_row(1), gift_row(2, amount="25.50")]), dry_run=True)

    assert gift_import.status == GiftImport.Status.CHECKED
    assert gift_import.totals_minor == {"usd": 7550} and gift_import.processed_rows == 2
    assert not Donation.objects.exists() and not Donor.objects.exists()
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.row_count, entry.filters["status"]) == ("import_check", 2, "checked")


def test_every_import_is_audited_with_its_row_count_and_outcome(fundraiser):
    run(csv_bytes([gift_row(1), gift_row(2), gift_row(3)]))
    run(csv_bytes([gift_row(4), gift_row(5, amount="abc")]))

    rejected, imported = AuditLogEntry.objects.order_by("-pk")
    assert (imported.action, imported.channel, imported.subject, imported.row_count) == (
        "import",
        "command",
        "offline gifts",
        3,
    )
    assert imported.filters["status"] == "imported" and imported.filters["file_name"] == "gifts.csv"
    assert (rejected.row_count, rejected.filters["status"], rejected.filters["invalid_rows"]) == (0, "rejected", 1)
    assert rejected.filters["rows_in_file"] == 2


def test_the_sweep_runs_an_import_whose_task_was_never_queued_and_one_whose_worker_died(fundraiser):
    from finance import tasks

    raw = csv_bytes([gift_row(1)])
    never_queued = runner.create_gift_import(file_name="a.csv", import_file=reader.read_import_file(raw), dry_run=True)
    worker_died = runner.create_gift_import(file_name="b.csv", import_file=reader.read_import_file(raw), dry_run=True)
    live = runner.create_gift_import(file_name="c.csv", import_file=reader.read_import_file(raw), dry_run=True)
    long_ago = timezone.now() - timedelta(hours=2)
    GiftImport.objects.update(created_at=long_ago)
    GiftImport.objects.filter(pk=worker_died.pk).update(status=GiftImport.Status.RUNNING, started_at=long_ago)
    GiftImport.objects.filter(pk=live.pk).update(status=GiftImport.Status.RUNNING, started_at=timezone.now())

    assert tasks.resume_stalled_imports.delay().get() == 2

    statuses = dict(GiftImport.objects.values_list("pk", "status"))
    assert statuses == {
        never_queued.pk: GiftImport.Status.CHECKED,
        worker_died.pk: GiftImport.Status.CHECKED,
        live.pk: GiftImport.Status.RUNNING,
    }
    assert tasks.resume_stalled_imports.delay().get() == 0
