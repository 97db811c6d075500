"""What the donor sees of a split gift outside the receipt: a split monthly
gift's page names its parts (and follows an amount change), one not split
still names its fund, and the gift's status API lists the parts."""

import pytest

from donations.models import RecurringPlan
from donations.selectors import plan_management_path
from tests.gifts import gift_body, give

pytestmark = pytest.mark.django_db

SPLIT = [{"fund": "rescue", "amount_minor": 2000}, {"fund": "general", "amount_minor": 1000}]


@pytest.fixture
def split_monthly_plan(client, campaign, funds, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        body = gift_body(frequency="monthly", allocations=SPLIT)
        del body["fund"], body["amount_minor"]
        response = give(client, body)
    assert response.status_code == 201, response.json()
    return RecurringPlan.objects.get()


def test_a_split_monthly_gifts_page_names_each_part(client, split_monthly_plan):
    page = client.get(plan_management_path(split_monthly_plan)).content.decode()

    assert "$30.00 a month to Dressember 2026, split between Rescue ($20.00) and Where most needed ($10.00)." in page


def test_a_split_monthly_gifts_page_follows_a_new_amount_in_the_same_proportions(
    client, split_monthly_plan, django_capture_on_commit_callbacks
):
    path = plan_management_path(split_monthly_plan)
    with django_capture_on_commit_callbacks(execute=True):
        changed = client.post(path, {"action": "change", "amount": "60.00"}, follow=True)

    assert "split between Rescue ($40.00) and Where most needed ($20.00)." in changed.content.decode()


def test_a_monthly_gift_not_split_still_names_its_fund(client, monthly_plan):
    page = client.get(plan_management_path(monthly_plan)).content.decode()

    assert "$25.00 a month to Dressember 2026, for Rescue." in page
    assert "split between" not in page


def test_the_split_monthly_gifts_first_receipt_lists_its_parts(split_monthly_plan, mailoutbox):
    [receipt] = [message for message in mailoutbox if "tax receipt" in message.subject]

    assert "Funds: Rescue $20.00, Where most needed $10.00" in receipt.body


def test_the_giving_page_offers_an_amount_per_fund_once_a_gift_is_split(client, campaign, funds):
    page = client.get(campaign.get_absolute_url()).content.decode()

    assert "Split my gift between funds" in page
    for slug in funds:
        assert f'<label for="split-{slug}">' in page
        assert f'aria-describedby="split-hint split-{slug}-error"' in page
        assert f'<p id="split-{slug}-error" class="field-error" hidden></p>' in page


def test_a_campaign_offering_one_fund_has_no_split_choice(client, campaign, funds):
    campaign.funds.set([funds["rescue"]])

    page = client.get(campaign.get_absolute_url()).content.decode()

    assert "Split my gift between funds" not in page
    assert 'id="split-details"' not in page
