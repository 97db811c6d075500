"""`manage.py export_gift_aid_claim`: HMRC's schedule of the gifts a UK
charity may claim Gift Aid on (a declaration valid on the gift's day, paid
in pounds, never refunded or disputed, not an organisation's, no benefit
over HMRC's limits), recorded as a claim so no gift is claimed twice; a
claimed gift refunded later is the next claim's adjustment for
previously overclaimed tax."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from donations import gift_aid
from finance.gift_aid_schedule import ADJUSTMENT_COLUMNS, SCHEDULE_COLUMNS
from finance.models import GiftAidClaim, GiftAidClaimLine
from receipts.models import CampaignBenefit
from tests.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    GiftAidDeclarationFactory,
    OrganizationFactory,
    ReceiptingEntityFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def uk(funds):
    entity = ReceiptingEntityFactory(british=True)
    return CampaignFactory(slug="dressember-2026-uk", currency="gbp", receipting_entity=entity)


def at(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def ada(uk):
    """A UK donor who declared on 1 June 2026 for past and future gifts."""
    donor = DonorFactory(email="ada@example.org", first_name="Ada", last_name="Lovelace")
    GiftAidDeclarationFactory(
        donor=donor, entity=uk.receipting_entity, declared_at=at(2026, 6, 1, 12), house_name_or_number="12"
    )
    return donor


def paid(campaign, donor, when, **fields):
    fields = {"currency": "gbp", **fields}
    return DonationFactory(succeeded=True, campaign=campaign, donor=donor, created_at=when, succeeded_at=when, **fields)


def export(*args, tmp_path=None, name="claim.csv") -> tuple[list[list[str]], str, object]:
    """Run the command to a file; (the schedule's rows, stderr, the path)."""
    path = tmp_path / name
    stderr = io.StringIO()
    call_command("export_gift_aid_claim", "--output", str(path), *args, stderr=stderr)
    return list(csv.reader(path.read_text().splitlines())), stderr.getvalue(), path


def claimed_amounts(rows) -> list[str]:
    return [row[-1] for row in rows[1:]]


def test_the_schedule_has_exactly_hmrcs_columns_and_writes_a_gift_in_their_formats(uk, ada, tmp_path):
    paid(uk, ada, at(2026, 7, 4, 10), amount_minor=5000, fee_covered_minor=175)

    rows, _, _ = export(tmp_path=tmp_path)

    assert rows[0] == [
        "Title",
        "First name",
        "Last name",
        "House name or number",
        "Postcode",
        "Aggregated donations",
        "Sponsored event",
        "Donation date",
        "Amount",
    ]
    assert list(SCHEDULE_COLUMNS) == rows[0]
    assert rows[1:] == [["", "Ada", "Lovelace", "12", "SW1A 2AA", "", "", "04/07/26", "51.75"]]


def test_only_gifts_a_valid_declaration_covers_are_listed(uk, ada, tmp_path):
    paid(uk, ada, at(2026, 7, 1), amount_minor=1000)  # after the declaration
    paid(uk, ada, at(2023, 1, 2), amount_minor=2000)  # within the 4 years before it
    paid(uk, ada, at(2022, 5, 1), amount_minor=3000)  # more than 4 years before it
    stranger = DonorFactory(email="no-declaration@example.org")
    paid(uk, stranger, at(2026, 7, 1), amount_minor=4000)
    other_charity = CampaignFactory(
        slug="other-uk", currency="gbp", receipting_entity=ReceiptingEntityFactory(british=True, name="Other UK")
    )
    paid(other_charity, ada, at(2026, 7, 1), amount_minor=6000)  # declared to another charity

    rows, _, _ = export(tmp_path=tmp_path)

    assert claimed_amounts(rows) == ["20.00", "10.00"]


def test_a_cancelled_declaration_stops_later_gifts_but_keeps_those_made_before(uk, tmp_path):
    donor = DonorFactory(email="grace@example.org")
    GiftAidDeclarationFactory(
        donor=donor,
        entity=uk.receipting_entity,
        declared_at=at(2026, 6, 1),
        cancelled_at=at(2026, 8, 1),
        cancellation_source="donor_link",
    )
    paid(uk, donor, at(2026, 7, 15), amount_minor=1500)
    paid(uk, donor, at(2026, 8, 2), amount_minor=2500)

    rows, _, _ = export(tmp_path=tmp_path)

    assert claimed_amounts(rows) == ["15.00"]


def test_organisation_refunded_disputed_and_non_sterling_gifts_are_left_out(uk, ada, tmp_path):
    paid(uk, ada, at(2026, 7, 1), amount_minor=1000)
    paid(uk, ada, at(2026, 7, 2), amount_minor=2000, organization=OrganizationFactory(), organization_name="Acme Ltd")
    paid(uk, ada, at(2026, 7, 3), amount_minor=3000, status="refunded", refunded_minor=3000)
    paid(uk, ada, at(2026, 7, 4), amount_minor=4000, status="partially_refunded", refunded_minor=100)
    disputed = paid(uk, ada, at(2026, 7, 5), amount_minor=5000)
    disputed.disputes.create(stripe_dispute_id="dp_1", amount_minor=5000, status="won")
    paid(uk, ada, at(2026, 7, 6), amount_minor=6000, status="dispute_lost")
    paid(uk, ada, at(2026, 7, 7), amount_minor=7000, currency="usd")
    DonationFactory(campaign=uk, donor=ada, currency="gbp", amount_minor=8000)  # never paid

    rows, _, _ = export(tmp_path=tmp_path)

    assert claimed_amounts(rows) == ["10.00"]


@pytest.mark.parametrize(
    "amount_minor, benefit_minor, listed",
    [(5000, 1250, True), (5000, 1251, False), (20000, 3000, True), (20000, 3001, False)],
)
def test_a_benefit_over_hmrcs_limits_leaves_the_gift_out(uk, ada, tmp_path, amount_minor, benefit_minor, listed):
    CampaignBenefit.objects.create(campaign=uk, description="Gala dinner", value_minor=benefit_minor)
    paid(uk, ada, at(2026, 7, 1), amount_minor=amount_minor)

    rows, _, _ = export(tmp_path=tmp_path)

    assert len(rows) == (2 if listed else 1)


def test_the_benefit_each_giver_received_is_what_counts_against_the_limits(uk, ada, tmp_path):
    # Only gifts of £100 or more get the dinner; a gift may record its own.
    CampaignBenefit.objects.create(campaign=uk, description="Gala dinner", value_minor=4000, minimum_gift_minor=10000)
    paid(uk, ada, at(2026, 7, 1), amount_minor=5000)
    paid(uk, ada, at(2026, 7, 2), amount_minor=5000, benefit_description="A signed print", benefit_value_minor=2000)

    rows, _, _ = export(tmp_path=tmp_path)

    assert claimed_amounts(rows) == ["50.00"]


@pytest.mark.parametrize(
    "amount_minor, limit_minor",
    [(100_00, 25_00), (40_00, 10_00), (200_00, 30_00), (100_000_00, 2_500_00)],
)
def test_hmrcs_benefit_limits(amount_minor, limit_minor):
    assert gift_aid.benefit_limit_minor(amount_minor) == limit_minor


def test_the_days_asked_for_bound_the_gifts(uk, ada, tmp_path):
    paid(uk, ada, at(2026, 6, 30, 23, 59), amount_minor=1000)
    paid(uk, ada, at(2026, 7, 1, 0, 0), amount_minor=2000)
    paid(uk, ada, at(2026, 7, 31, 23, 59), amount_minor=3000)
    paid(uk, ada, at(2026, 8, 1), amount_minor=4000)

    rows, _, _ = export("--since", "2026-07-01", "--until", "2026-07-31", tmp_path=tmp_path)

    assert claimed_amounts(rows) == ["20.00", "30.00"]


def test_a_claim_is_recorded_and_a_second_export_claims_nothing_again(uk, ada, tmp_path):
    gift = paid(uk, ada, at(2026, 7, 1), amount_minor=1000)

    first, summary, _ = export(tmp_path=tmp_path)
    second, again, _ = export(tmp_path=tmp_path, name="again.csv")

    assert claimed_amounts(first) == ["10.00"]
    claim = GiftAidClaim.objects.get()
    assert [(line.donation, line.kind, line.amount_minor) for line in claim.lines.all()] == [
        (gift, GiftAidClaimLine.Kind.CLAIMED, 1000)
    ]
    assert summary.startswith(f"Gift Aid claim {claim.pk}: 1 gift(s) of £10.00 on the schedule (Gift Aid £2.50).")
    assert second == [list(SCHEDULE_COLUMNS)]
    assert again.startswith("Nothing to claim, nothing recorded:")
    assert GiftAidClaim.objects.count() == 1


def test_a_dry_run_writes_the_same_schedule_and_records_nothing(uk, ada, tmp_path):
    paid(uk, ada, at(2026, 7, 1), amount_minor=1000)

    dry, summary, _ = export("--dry-run", tmp_path=tmp_path)
    dry_again, _, _ = export("--dry-run", tmp_path=tmp_path, name="again.csv")

    assert dry == dry_again
    assert claimed_amounts(dry) == ["10.00"]
    assert summary.startswith("Dry run, nothing recorded:")
    assert not GiftAidClaim.objects.exists()
    real, _, _ = export(tmp_path=tmp_path, name="real.csv")
    assert real == dry


def test_a_refund_after_a_claim_is_an_adjustment_in_the_next_claim_and_the_gift_is_not_listed_again(uk, ada, tmp_path):
    refunded = paid(uk, ada, at(2026, 7, 1), amount_minor=5000)
    paid(uk, ada, at(2026, 7, 2), amount_minor=1000)
    export(tmp_path=tmp_path, name="july.csv")
    refunded.status, refunded.refunded_minor = "partially_refunded", 2000
    refunded.save()
    paid(uk, ada, at(2026, 8, 1), amount_minor=3000)

    rows, summary, _ = export(tmp_path=tmp_path, name="august.csv")

    assert claimed_amounts(rows) == ["30.00"]
    adjustments = list(csv.reader((tmp_path / "august-adjustments.csv").read_text().splitlines()))
    first_claim = GiftAidClaim.objects.earliest("created_at")
    assert adjustments == [
        list(ADJUSTMENT_COLUMNS),
        [str(first_claim.pk), "Ada", "Lovelace", "12", "SW1A 2AA", "01/07/26", "50.00", "20.00", "12.50"],
    ]
    assert "Adjustment for previously overclaimed tax: £12.50 (1 gift(s) of £50.00 refunded since claimed" in summary
    assert "\n" not in summary.strip()
    latest = GiftAidClaim.objects.latest("created_at")
    assert latest.lines.get(kind=GiftAidClaimLine.Kind.ADJUSTMENT).donation == refunded

    # Given back once: the claim after that neither lists nor adjusts it again.
    rows, summary, _ = export(tmp_path=tmp_path, name="september.csv")
    assert rows == [list(SCHEDULE_COLUMNS)]
    assert "No adjustment for previously overclaimed tax." in summary
    assert not (tmp_path / "september-adjustments.csv").exists()


def test_adjustments_due_with_the_schedule_on_standard_output_need_a_file_and_record_nothing(uk, ada, tmp_path):
    refunded = paid(uk, ada, at(2026, 7, 1), amount_minor=5000)
    export(tmp_path=tmp_path)
    refunded.status, refunded.refunded_minor = "refunded", 5000
    refunded.save()

    with pytest.raises(CommandError, match="give --adjustments PATH"):
        call_command("export_gift_aid_claim", "--output", "-", stdout=io.StringIO(), stderr=io.StringIO())
    assert GiftAidClaim.objects.count() == 1

    stdout = io.StringIO()
    call_command(
        "export_gift_aid_claim",
        "--adjustments",
        str(tmp_path / "adjust.csv"),
        stdout=stdout,
        stderr=io.StringIO(),
    )
    assert stdout.getvalue().splitlines() == [",".join(SCHEDULE_COLUMNS)]
    assert len((tmp_path / "adjust.csv").read_text().splitlines()) == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "1 July"], "--since: Enter a date as YYYY-MM-DD."),
        (["--since", "2026-08-01", "--until", "2026-07-01"], "The first day (2026-08-01) is after the last day"),
        (["--output", "/no/such/folder/claim.csv"], "Cannot write /no/such/folder/claim.csv"),
    ],
)
def test_bad_input_is_one_line_and_writes_and_records_nothing(uk, ada, tmp_path, args, message):
    paid(uk, ada, at(2026, 7, 1), amount_minor=1000)
    stdout = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("export_gift_aid_claim", *args, stdout=stdout, stderr=io.StringIO())

    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert stdout.getvalue() == ""
    assert not GiftAidClaim.objects.exists()


def test_a_schedule_that_cannot_be_renamed_into_place_records_no_claim(uk, ada, tmp_path):
    paid(uk, ada, at(2026, 7, 1), amount_minor=1000)
    (tmp_path / "claim.csv").mkdir()

    with pytest.raises(CommandError, match="it is a directory"):
        export(tmp_path=tmp_path)

    assert not GiftAidClaim.objects.exists()


def test_a_gift_made_before_its_donor_declared_is_covered_by_the_past_four_years(uk, tmp_path):
    donor = DonorFactory(email="late@example.org")
    paid(uk, donor, at(2026, 1, 1), amount_minor=1000)
    GiftAidDeclarationFactory(donor=donor, entity=uk.receipting_entity, declared_at=timezone.now() - timedelta(days=1))

    rows, _, _ = export(tmp_path=tmp_path)

    assert claimed_amounts(rows) == ["10.00"]
