"""The impact-update audience follows each donor's choice: none for a
donor who said no; a donor who chose funds hears only about those funds
(no general or campaign update); a donor who chose none hears everything,
as before. One query per page of the audience."""

import pytest

from donations.models import Donor
from receipts import selectors
from receipts.models import ImpactUpdate, UpdateDelivery
from receipts.services import impact_updates
from tests.receipts.audience import donors_who_gave

pytestmark = pytest.mark.django_db


@pytest.fixture
def donors(campaign, funds):
    everything, rescue_only, said_no = donors_who_gave(3, campaign=campaign, fund=funds["aftercare"])
    rescue_only.update_funds.set([funds["rescue"]])
    Donor.objects.filter(pk=said_no.pk).update(wants_updates=False)
    return {"everything": everything, "rescue_only": rescue_only, "said_no": said_no}


def audience(update) -> set[str]:
    return {email for _pk, email in selectors.update_audience_page(update, after_donor_id=0, limit=100)}


def test_a_general_update_skips_donors_who_chose_funds(donors):
    update = ImpactUpdate.objects.create(title="News", body="...")

    assert audience(update) == {donors["everything"].email}


def test_a_campaign_update_skips_donors_who_chose_funds(donors, campaign):
    update = ImpactUpdate.objects.create(title="News", body="...", audience="campaign", campaign=campaign)

    assert audience(update) == {donors["everything"].email}


def test_an_update_about_a_chosen_fund_reaches_the_donor_who_chose_it(donors, funds):
    """As before, a fund's update goes to those who gave to the fund."""
    donors["rescue_only"].donations.update(fund=funds["rescue"])
    donors["rescue_only"].donations.first().allocations.update(fund=funds["rescue"])
    update = ImpactUpdate.objects.create(title="Rescue", body="...", audience="fund", fund=funds["rescue"])

    assert audience(update) == {donors["rescue_only"].email}


def test_an_update_about_another_fund_skips_the_donor_who_chose_funds(donors, funds):
    update = ImpactUpdate.objects.create(title="Aftercare", body="...", audience="fund", fund=funds["aftercare"])

    assert audience(update) == {donors["everything"].email}


def test_the_donor_who_said_no_is_in_no_audience(donors, funds, campaign):
    updates = [
        ImpactUpdate.objects.create(title="All", body="..."),
        ImpactUpdate.objects.create(title="Fund", body="...", audience="fund", fund=funds["aftercare"]),
        ImpactUpdate.objects.create(title="Campaign", body="...", audience="campaign", campaign=campaign),
    ]

    assert all(donors["said_no"].email not in audience(update) for update in updates)


def test_one_query_per_page_whatever_the_choices(django_assert_num_queries, campaign, funds):
    many = donors_who_gave(30, campaign=campaign, fund=funds["rescue"])
    for donor in many[::2]:
        donor.update_funds.set([funds["rescue"], funds["aftercare"]])
    update = ImpactUpdate.objects.create(title="Rescue", body="...", audience="fund", fund=funds["rescue"])
    with django_assert_num_queries(1):
        page = selectors.update_audience_page(update, after_donor_id=0, limit=10)
    with django_assert_num_queries(1):
        rest = selectors.update_audience_page(update, after_donor_id=page[-1][0], limit=100)

    assert len(page) + len(rest) == 30


def test_a_donor_who_turned_updates_off_after_the_update_was_queued_is_skipped(
    campaign, funds, mailoutbox, django_capture_on_commit_callbacks
):
    [donor] = donors_who_gave(1, campaign=campaign, fund=funds["rescue"])
    update = ImpactUpdate.objects.create(title="News", body="x")
    with django_capture_on_commit_callbacks(execute=False):
        impact_updates.start_sending_update(update_id=update.pk)
    with django_capture_on_commit_callbacks(execute=False) as sends:
        impact_updates.queue_update_batch(update_id=update.pk, after_donor_id=0)
    Donor.objects.filter(pk=donor.pk).update(wants_updates=False)

    for queued_send in sends:
        queued_send()

    assert UpdateDelivery.objects.get().status == UpdateDelivery.Status.SKIPPED
    assert mailoutbox == []
