"""The donor's details as given with each gift: stored on the gift, shown
from the gift, and copied to the shared donor record only by a gift that
succeeded, never blanking what that gift left out. A monthly plan's card
lives on a Stripe customer of the plan's own."""

from datetime import date

import pytest

from donations.models import Donation, Donor, RecurringPlan
from donations.selectors import gifts_page, recent_gifts
from donations.services import offline
from donations.services.gifts import DonorDetails
from finance.exports import HEADERS, GiftExport, GiftFilters
from tests.gifts import gift_body, give

pytestmark = pytest.mark.django_db


def donor_details(donor: Donor) -> dict:
    return {name: getattr(donor, name) for name in Donor.DETAIL_FIELDS}


def test_each_gift_stores_the_details_given_with_it(client, campaign):
    give(client)
    give(client, gift_body(donor__first_name="Adelaide", donor__address={"line1": "9 Elm Rd", "country": "GB"}))

    first, second = Donation.objects.order_by("created_at")
    assert (first.donor_full_name, first.donor_postal_address_lines) == (
        "Ada Lee",
        ["1 Main St", "Springfield 62701", "US"],
    )
    assert (second.donor_full_name, second.donor_postal_address_lines) == ("Adelaide Lee", ["9 Elm Rd", "GB"])
    assert first.donor == second.donor


def test_a_gift_waiting_on_3d_secure_changes_nothing_on_the_donors_record(client, campaign):
    give(client)
    before = donor_details(Donor.objects.get())

    response = give(client, gift_body(donor__first_name="Mallory", payment_method="pm_card_threeDSecure2Required"))

    assert response.json()["status"] == "requires_action"
    assert donor_details(Donor.objects.get()) == before


def test_a_succeeded_gift_updates_the_donor_without_blanking_what_it_left_empty(client, campaign):
    give(client)

    give(client, gift_body(donor__last_name="Lovelace", donor__address={"line1": "", "city": "", "country": ""}))

    donor = Donor.objects.get()
    assert (donor.first_name, donor.last_name) == ("Ada", "Lovelace")
    assert (donor.address_line1, donor.city, donor.postal_code, donor.country) == (
        "1 Main St",
        "Springfield",
        "62701",
        "US",
    )


def test_an_offline_gift_recorded_by_finance_updates_its_donor(make_gift):
    ada = make_gift().donor
    gift = Donation.objects.get()
    offline.record_offline_gifts(
        gifts=[
            offline.OfflineGiftRequest(
                campaign=gift.campaign,
                team=None,
                fundraiser=None,
                fund=gift.fund,
                amount_minor=2000,
                currency="usd",
                received_on=date.today(),
                donor=DonorDetails(email="ADA@example.org", first_name="Ada", last_name="Byron", city="London"),
                wants_receipt=False,
            )
        ]
    )

    ada.refresh_from_db()
    assert (ada.last_name, ada.city, ada.address_line1) == ("Byron", "London", "1 Main St")


def test_walls_and_captains_show_the_name_given_with_each_gift(make_gift, team):
    make_gift(team=team, donor__first_name="Ada", donor__last_name="Lee")
    # A later gift under Ada's email, in another name, succeeds: Ada's
    # record takes it, but her earlier gift still shows what she gave.
    make_gift(team=team, donor_first_name="Grace", donor_last_name="Hopper")
    Donation.objects.filter(donor_first_name="Grace").update(message="second")

    wall = {line.message: line.donor_name for line in recent_gifts(campaign_id=team.campaign_id)}
    captains = {line.message: line.donor_name for line in gifts_page(team_id=team.pk, page_number=1).object_list}

    assert wall == {"": "Ada L.", "second": "Grace H."}
    assert captains == {"": "Ada Lee", "second": "Grace Hopper"}
    assert Donor.objects.get().first_name == "Grace"


def test_the_export_shows_the_name_and_address_given_with_each_gift(make_gift):
    make_gift()
    make_gift(donor_first_name="Grace", donor_address_line1="2 Side St")

    csv = b"".join(GiftExport(GiftFilters()).csv_chunks()).decode().splitlines()

    first_name, address = HEADERS.index("first_name"), HEADERS.index("address_line1")
    rows = [line.split(",") for line in csv[1:]]
    assert sorted((row[first_name], row[address]) for row in rows) == [("Ada", "1 Main St"), ("Grace", "2 Side St")]


def test_a_second_monthly_gift_with_a_known_email_never_touches_the_first_plans_stripe_customer_or_card(
    client, campaign, fake_stripe, deliver_events
):
    give(client, gift_body(frequency="monthly", amount_minor=2500))
    first = RecurringPlan.objects.get()
    first_customer = fake_stripe.objects[first.stripe_customer_id]
    card = first_customer["invoice_settings"]["default_payment_method"]

    # A stranger with Ada's email and a card that attaches but cannot pay.
    response = give(
        client, gift_body(frequency="monthly", amount_minor=5000, payment_method="pm_card_chargeCustomerFail")
    )

    assert response.status_code == 402
    second = RecurringPlan.objects.exclude(pk=first.pk).get()
    assert second.stripe_customer_id and second.stripe_customer_id != first.stripe_customer_id
    assert fake_stripe.objects[first.stripe_customer_id]["invoice_settings"]["default_payment_method"] == card
    subscription = fake_stripe.objects[first.stripe_subscription_id]
    assert subscription["customer"] == first.stripe_customer_id
    # Ada's own plan still bills her own card.
    deliver_events(fake_stripe.renew(first.stripe_subscription_id))
    assert Donation.objects.filter(recurring_plan=first, status="succeeded").count() == 2
