"""Split gifts: one payment divided between funds. Each part is a ledger
line with its fund; the page, team and campaign count the gift once;
refunds come out of the parts pro rata or by fund, never below zero, and
the parts always add up to the gift."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from donations.models import Allocation, Donation, RecurringPlan
from donations.rules import split_pro_rata
from donations.selectors import (
    counter_tallies,
    counters_out_of_step,
    gifts_with_parts_out_of_step,
    plan_management_path,
)
from donations.services import moves, refunds
from receipts.models import Receipt
from tests.factories import FundraiserFactory
from tests.gifts import gift_body, give
from tests.stripe_events import charge_event, dispute_event, invoice_event, refund_object

pytestmark = pytest.mark.django_db

SIXTY_FORTY = [{"fund": "rescue", "amount_minor": 6000}, {"fund": "aftercare", "amount_minor": 4000}]


def split_body(allocations=None, **overrides) -> dict:
    body = gift_body(allocations=SIXTY_FORTY if allocations is None else allocations, **overrides)
    for implied in ("fund", "amount_minor"):
        if implied not in overrides:
            del body[implied]
    return body


def parts(donation) -> list[tuple[str, int, int, int]]:
    """(fund, amount, fee covered, refunded) of each part, in order."""
    return [
        (part.fund.slug, part.amount_minor, part.fee_covered_minor, part.refunded_minor)
        for part in Allocation.objects.filter(donation=donation).select_related("fund").order_by("position")
    ]


def tally(donation, *, team=None, fundraiser=None):
    return counter_tallies(campaign_id=donation.campaign_id)[(donation.campaign_id, team, fundraiser)]


@pytest.fixture
def split_gift(client, fundraiser, django_capture_on_commit_callbacks):
    """Ada's $100 to a fundraiser page, $60 to rescue and $40 to aftercare."""
    with django_capture_on_commit_callbacks(execute=True):
        response = give(client, split_body(fundraiser=fundraiser.slug))
    assert response.status_code == 201, response.json()
    return Donation.objects.get()


# --- The rule that shares money between parts ------------------------------


@pytest.mark.parametrize(
    ("total", "weights", "shares"),
    [
        (3000, [6000, 4000], [1800, 1200]),
        (1, [1, 1], [0, 1]),
        (10, [1, 1, 1], [3, 3, 4]),
        (0, [5, 5], [0, 0]),
        (7, [7, 0, 3], [4, 0, 3]),
    ],
)
def test_pro_rata_shares_are_whole_units_that_add_up_to_the_total(total, weights, shares):
    assert split_pro_rata(total, weights) == shares
    assert sum(shares) == total


def test_no_share_is_more_than_its_weight_when_the_total_is_at_most_their_sum():
    weights = [333, 1, 666, 17, 4000]
    for total in range(0, sum(weights) + 1, 7):
        shares = split_pro_rata(total, weights)
        assert sum(shares) == total
        assert all(0 <= share <= weight for share, weight in zip(shares, weights, strict=True))


# --- Giving -----------------------------------------------------------------


def test_a_split_gift_is_one_charge_with_a_part_per_fund(split_gift, fake_stripe):
    assert split_gift.amount_minor == 10000
    assert split_gift.fund.slug == "rescue"
    assert parts(split_gift) == [("rescue", 6000, 0, 0), ("aftercare", 4000, 0, 0)]
    [(_, charge)] = fake_stripe.calls_to("charge")
    assert charge["amount_minor"] == 10000


def test_the_gift_api_answers_each_part(client, split_gift):
    answer = client.get(f"/api/donations/{split_gift.public_id}/").json()

    assert answer["amount_minor"] == 10000
    assert answer["refunded_minor"] == 0
    assert answer["allocations"] == [
        {"fund": "rescue", "amount_minor": 6000, "refunded_minor": 0},
        {"fund": "aftercare", "amount_minor": 4000, "refunded_minor": 0},
    ]


def test_a_split_gift_to_a_page_counts_once_for_the_page_and_once_per_fund(split_gift, fundraiser):
    for scope in ({}, {"team": fundraiser.team_id}, {"fundraiser": fundraiser.pk}):
        counted = tally(split_gift, **scope)
        assert (counted.raised_minor, counted.gift_count, counted.donor_count) == (10000, 1, 1)
    by_fund = dict(
        Allocation.objects.filter(donation__status__in=Donation.COUNTED_STATUSES)
        .values_list("fund__slug")
        .annotate(total=Sum("amount_minor"))
    )
    assert by_fund == {"rescue": 6000, "aftercare": 4000}


def test_an_amount_sent_with_the_parts_must_be_their_sum(client, campaign):
    assert give(client, split_body(amount_minor=10000)).status_code == 201

    refused = give(client, split_body(amount_minor=9999, donor__email="bo@example.org"))

    assert refused.status_code == 400
    assert "amount_minor" in refused.json()["errors"]
    assert Donation.objects.count() == 1


def test_the_fee_a_donor_covers_is_shared_between_the_parts_by_amount(client, campaign):
    response = give(client, split_body(cover_fees=True))

    assert response.status_code == 201
    gift = Donation.objects.get()
    shares = [fee for _, _, fee, _ in parts(gift)]
    assert sum(shares) == gift.fee_covered_minor > 0
    assert shares == split_pro_rata(gift.fee_covered_minor, [6000, 4000])


@pytest.mark.parametrize(
    ("allocations", "field"),
    [
        ([{"fund": "rescue", "amount_minor": 6000}], "allocations"),
        ([{"fund": "rescue", "amount_minor": 1000}] * 6, "allocations"),
        ("rescue", "allocations"),
        ({"rescue": 6000}, "allocations"),
        ([{"fund": "rescue", "amount_minor": 6000}, "aftercare"], "allocations.1"),
        ([{"fund": "rescue", "amount_minor": 6000}, {"fund": "aftercare", "amount_minor": 1, "x": 1}], "allocations.1"),
        ([{"fund": "rescue", "amount_minor": 6000}, {"fund": "shoes", "amount_minor": 4000}], "allocations.1.fund"),
        ([{"fund": "rescue", "amount_minor": 6000}, {"fund": "rescue", "amount_minor": 4000}], "allocations.1.fund"),
        (
            [{"fund": "rescue", "amount_minor": 6000}, {"fund": "aftercare", "amount_minor": 100}],
            "allocations.1.amount_minor",
        ),
        (
            [{"fund": "rescue", "amount_minor": 6000}, {"fund": "aftercare", "amount_minor": "40"}],
            "allocations.1.amount_minor",
        ),
        ([{"fund": "rescue", "amount_minor": 6000}, {"fund": 7, "amount_minor": 4000}], "allocations.1.fund"),
        ([{"fund": "rescue", "amount_minor": 6000}, {"amount_minor": 4000}], "allocations.1.fund"),
    ],
)
def test_a_bad_split_is_a_400_naming_the_part_and_writes_nothing(client, campaign, fake_stripe, allocations, field):
    response = give(client, split_body(allocations))

    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert Donation.objects.count() == Allocation.objects.count() == 0
    assert fake_stripe.calls_to("charge") == []


def test_a_split_to_a_fund_the_campaign_does_not_offer_is_refused(client, campaign, funds):
    campaign.funds.set([funds["rescue"], funds["aftercare"]])

    response = give(
        client, split_body([{"fund": "rescue", "amount_minor": 600}, {"fund": "general", "amount_minor": 600}])
    )

    assert response.status_code == 400
    assert "allocations.1.fund" in response.json()["errors"]


def test_a_retry_of_a_split_gift_makes_no_second_set_of_parts(client, campaign):
    first = give(client, split_body(), HTTP_IDEMPOTENCY_KEY="split-once")
    again = give(client, split_body(), HTTP_IDEMPOTENCY_KEY="split-once")
    other_split = give(
        client,
        split_body([{"fund": "rescue", "amount_minor": 5000}, {"fund": "aftercare", "amount_minor": 5000}]),
        HTTP_IDEMPOTENCY_KEY="split-once",
    )

    assert (first.status_code, again.status_code, other_split.status_code) == (201, 201, 422)
    assert first.json()["id"] == again.json()["id"]
    assert Allocation.objects.count() == 2


# --- Refunds ----------------------------------------------------------------


def test_a_30_dollar_refund_of_60_40_leaves_42_28_and_everything_agrees(split_gift, fundraiser):
    refunds.request_refund(donation_id=split_gift.pk, amount_minor=3000, reason="requested_by_customer")

    split_gift.refresh_from_db()
    assert (split_gift.status, split_gift.refunded_minor) == ("partially_refunded", 3000)
    assert parts(split_gift) == [("rescue", 6000, 0, 1800), ("aftercare", 4000, 0, 1200)]
    assert [part.kept_minor for part in split_gift.allocations.order_by("position")] == [4200, 2800]
    for scope in ({}, {"team": fundraiser.team_id}, {"fundraiser": fundraiser.pk}):
        assert tally(split_gift, **scope).raised_minor == 7000
    corrected = Receipt.objects.exclude(status=Receipt.Status.VOID).get()
    assert corrected.amount_minor == 7000
    assert corrected.replaces is not None
    call_command("reconcile_totals")


def test_finance_can_refund_one_funds_part(split_gift, funds):
    refunds.request_refund(donation_id=split_gift.pk, amount_minor=3000, reason="other", fund_id=funds["aftercare"].pk)

    assert parts(split_gift) == [("rescue", 6000, 0, 0), ("aftercare", 4000, 0, 3000)]
    assert gifts_with_parts_out_of_step() == []


def test_a_refund_out_of_one_part_never_takes_it_below_zero(split_gift, funds):
    refunds.request_refund(donation_id=split_gift.pk, amount_minor=3000, reason="other", fund_id=funds["aftercare"].pk)

    with pytest.raises(refunds.RefundRefused, match=r"Aftercare part keeps \$10.00"):
        refunds.request_refund(
            donation_id=split_gift.pk, amount_minor=1001, reason="other", fund_id=funds["aftercare"].pk
        )
    with pytest.raises(refunds.RefundRefused, match="gives nothing to that fund"):
        refunds.request_refund(donation_id=split_gift.pk, amount_minor=100, reason="other", fund_id=funds["general"].pk)

    assert parts(split_gift) == [("rescue", 6000, 0, 0), ("aftercare", 4000, 0, 3000)]


def test_parts_stay_whole_and_in_step_through_refunds_in_any_order_and_a_dispute(client, split_gift, deliver_events):
    # Stripe's cumulative figures, one arriving late: the late one changes nothing.
    deliver_events(
        charge_event("charge.refunded", split_gift, amount_refunded=1001, refunds=[refund_object(1001, id="re_1")]),
        charge_event(
            "charge.refunded",
            split_gift,
            amount_refunded=3334,
            refunds=[refund_object(1001, id="re_1"), refund_object(2333, id="re_2")],
        ),
        charge_event("charge.refunded", split_gift, amount_refunded=1001, refunds=[refund_object(1001, id="re_1")]),
        dispute_event("charge.dispute.created", split_gift, status="needs_response"),
        dispute_event("charge.dispute.closed", split_gift, status="won"),
    )

    split_gift.refresh_from_db()
    assert split_gift.refunded_minor == 3334
    refunded = [refunded for _, _, _, refunded in parts(split_gift)]
    assert sum(refunded) == 3334
    # Within a unit of the proportion each step took out.
    assert abs(refunded[0] - 3334 * 6 // 10) <= 1
    assert gifts_with_parts_out_of_step() == []
    assert counters_out_of_step() == {}


def test_a_split_gift_refunded_in_full_leaves_every_part_at_zero(split_gift):
    refunds.request_refund(donation_id=split_gift.pk, amount_minor=2500, reason="other")
    refunds.request_refund(donation_id=split_gift.pk, amount_minor=7500, reason="other")

    split_gift.refresh_from_db()
    assert split_gift.status == "refunded"
    assert [part.kept_minor for part in split_gift.allocations.all()] == [0, 0]
    assert tally(split_gift).raised_minor == 0


# --- Checks, moves and monthly splits ---------------------------------------


def test_reconcile_totals_reports_a_gift_whose_parts_do_not_add_up(split_gift, capsys):
    Allocation.objects.filter(donation=split_gift, position=1).update(amount_minor=3999)

    with pytest.raises(CommandError, match="1 gift"):
        call_command("reconcile_totals", "--fix")

    assert str(split_gift.public_id) in capsys.readouterr().out


def test_a_split_gift_moves_to_another_page_whole_and_keeps_its_funds(split_gift, campaign, funds):
    page = FundraiserFactory(campaign=campaign, team=None)
    moves.move_gift(donation_id=split_gift.pk, to_fundraiser=page, to_team=None, reason="Wrong page")

    assert parts(split_gift) == [("rescue", 6000, 0, 0), ("aftercare", 4000, 0, 0)]
    assert tally(split_gift, fundraiser=page.pk).raised_minor == 10000
    with pytest.raises(moves.MoveRefused, match="split between funds"):
        moves.move_gift(donation_id=split_gift.pk, to_fund=funds["general"], reason="Donor asked")


def test_an_unsplit_gifts_part_moves_fund_with_it(make_gift, funds):
    gift = make_gift(fund="aftercare")

    moves.move_gift(donation_id=gift.pk, to_fund=funds["rescue"], reason="Designation typo")

    assert [fund for fund, *_ in parts(gift)] == ["rescue"]


def test_a_monthly_gift_can_be_split_and_every_month_is_split_alike(client, campaign, deliver_events):
    response = give(client, split_body(frequency="monthly"))
    assert response.status_code == 201, response.json()
    plan = RecurringPlan.objects.get()
    assert [(part.fund.slug, part.amount_minor) for part in plan.allocations.all()] == [
        ("rescue", 6000),
        ("aftercare", 4000),
    ]

    deliver_events(
        invoice_event(
            "invoice.paid", subscription_id=plan.stripe_subscription_id, amount=10000, invoice_id="in_month_2"
        )
    )

    renewal = Donation.objects.get(invoice_id="in_month_2")
    assert parts(renewal) == [("rescue", 6000, 0, 0), ("aftercare", 4000, 0, 0)]


@pytest.fixture
def split_plan(client, campaign):
    """$100 a month, $60 to rescue and $40 to aftercare."""
    assert give(client, split_body(frequency="monthly")).status_code == 201
    return RecurringPlan.objects.get()


def test_a_split_monthly_gifts_new_amount_keeps_its_proportions(client, split_plan, fake_stripe):
    response = client.post(plan_management_path(split_plan), {"action": "change", "amount": "150.00"})

    assert response.status_code in (200, 302)
    assert [part.amount_minor for part in split_plan.allocations.all()] == [9000, 6000]
    assert fake_stripe.objects[split_plan.stripe_subscription_id]["items"]["data"][0]["quantity"] == 15000


def test_a_split_monthly_gift_cannot_shrink_a_part_below_the_smallest_gift(client, split_plan):
    response = client.post(plan_management_path(split_plan), {"action": "change", "amount": "6.00"})

    assert response.status_code == 400
    assert "each part must be at least $5.00" in response.content.decode()
    assert [part.amount_minor for part in split_plan.allocations.all()] == [6000, 4000]


def test_stripes_fee_once_known_is_shared_between_the_parts_by_what_each_was_charged(split_gift):
    split_gift.refresh_from_db()
    shares = list(split_gift.allocations.order_by("position").values_list("stripe_fee_minor", flat=True))

    assert split_gift.stripe_fee_minor > 0
    assert shares == split_pro_rata(split_gift.stripe_fee_minor, [6000, 4000])
    assert gifts_with_parts_out_of_step() == []


def test_reconcile_totals_reports_parts_whose_stripe_fee_shares_do_not_add_up(split_gift):
    Allocation.objects.filter(donation=split_gift, position=0).update(stripe_fee_minor=None)

    [uneven] = gifts_with_parts_out_of_step()

    assert uneven.parts[3] == -1 != uneven.gift[3]
