"""A campaign whose receipts need the donor's postal address
(Campaign.donor_address_required): a gift, a monthly gift or the card
form's step without each part the donor's country needs is a 400 naming
every missing part, and nothing is written or asked of Stripe; the donate
form marks those parts required. Every other campaign keeps the address
optional."""

import pytest

from donations.models import Donation, Donor, RecurringPlan
from tests.factories import ReceiptingEntityFactory
from tests.gifts import gift_body, give, start_card_form

pytestmark = pytest.mark.django_db

FULL_US_ADDRESS = {"line1": "1 Main St", "city": "Springfield", "region": "IL", "postal_code": "62701", "country": "US"}
CAMPAIGN = "/campaigns/dressember-2026/"


@pytest.fixture
def needs_address(campaign):
    campaign.donor_address_required = True
    campaign.save()
    return campaign


def nothing_written(fake_stripe) -> bool:
    return (
        not Donation.objects.exists()
        and not Donor.objects.exists()
        and not RecurringPlan.objects.exists()
        and not fake_stripe.calls
    )


def test_a_gift_without_an_address_names_each_part_the_receipt_needs_and_writes_nothing(
    client, needs_address, fake_stripe
):
    body = gift_body()
    del body["donor"]["address"]

    response = give(client, body)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "donor.address.line1": ["This campaign's tax receipts need your street address."],
        "donor.address.city": ["This campaign's tax receipts need your city or town."],
        "donor.address.postal_code": ["This campaign's tax receipts need your postal code."],
        "donor.address.country": ["This campaign's tax receipts need your country."],
    }
    assert nothing_written(fake_stripe)


@pytest.mark.parametrize(
    "part, message",
    [
        ("line1", "This campaign's tax receipts need your street address."),
        ("city", "This campaign's tax receipts need your city or town."),
        ("region", "This campaign's tax receipts need your state."),
        ("postal_code", "This campaign's tax receipts need your ZIP code."),
    ],
)
def test_each_missing_part_of_a_us_address_is_named_in_the_countrys_words(
    client, needs_address, fake_stripe, part, message
):
    response = give(client, gift_body(donor__address={**FULL_US_ADDRESS, part: "  "}))

    assert response.status_code == 400
    assert response.json()["errors"] == {f"donor.address.{part}": [message]}
    assert nothing_written(fake_stripe)


def test_a_missing_country_is_named(client, needs_address, fake_stripe):
    response = give(client, gift_body(donor__address={**FULL_US_ADDRESS, "country": ""}))

    assert response.json()["errors"] == {"donor.address.country": ["This campaign's tax receipts need your country."]}
    assert nothing_written(fake_stripe)


@pytest.mark.parametrize(
    "address",
    [
        pytest.param(FULL_US_ADDRESS, id="US-with-its-state"),
        pytest.param(
            {"line1": "10 Downing St", "city": "London", "postal_code": "SW1A 2AA", "country": "GB"}, id="GB-no-county"
        ),
        pytest.param({"line1": "1 Queen's Rd", "city": "Central", "country": "HK"}, id="HK-has-no-postal-codes"),
    ],
)
def test_a_complete_address_in_the_donors_country_goes_through(client, needs_address, address):
    response = give(client, gift_body(donor__address=address))

    assert response.status_code == 201, response.json()
    assert Donation.objects.get().donor_address_line1 == address["line1"]


def test_a_canadian_address_needs_its_province_and_postal_code(client, needs_address, fake_stripe):
    response = give(client, gift_body(donor__address={"line1": "1 Rue", "city": "Montréal", "country": "CA"}))

    assert response.json()["errors"] == {
        "donor.address.region": ["This campaign's tax receipts need your province."],
        "donor.address.postal_code": ["This campaign's tax receipts need your postal code."],
    }
    assert nothing_written(fake_stripe)


def test_the_missing_address_is_reported_with_the_requests_other_errors(client, needs_address, fake_stripe):
    response = give(client, gift_body(amount_minor=1, donor__address={**FULL_US_ADDRESS, "city": ""}))

    errors = response.json()["errors"]
    assert set(errors) == {"amount_minor", "donor.address.city"}
    assert nothing_written(fake_stripe)


def test_a_monthly_gift_without_an_address_starts_no_plan(client, needs_address, fake_stripe):
    response = give(client, gift_body(frequency="monthly", donor__address={**FULL_US_ADDRESS, "line1": ""}))

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["donor.address.line1"]
    assert nothing_written(fake_stripe)


def test_the_card_forms_step_refuses_a_missing_address_before_stripe_is_asked(client, needs_address, fake_stripe):
    body = gift_body(donor__address={**FULL_US_ADDRESS, "postal_code": ""})
    body.pop("payment_method")

    response = start_card_form(client, body)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["donor.address.postal_code"]
    assert not fake_stripe.calls_to("create_setup_intent") and nothing_written(fake_stripe)


def test_other_campaigns_keep_the_address_optional(client, campaign):
    body = gift_body()
    del body["donor"]["address"]

    assert give(client, body).status_code == 201
    assert give(client, gift_body(donor__address={"line1": "", "city": "", "country": ""})).status_code == 201


# --- The donate form ----------------------------------------------------------


def test_the_donate_form_marks_the_parts_a_receipt_needs_required(client, needs_address):
    html = client.get(CAMPAIGN).content.decode()

    assert "Postal address (required: this campaign's tax receipts show it)" in html
    for name in ("address_line1", "city", "region", "postal_code"):
        assert f'name="{name}"' in html
        tag = html.split(f'name="{name}"')[1].split(">")[0]
        assert " required" in tag, name
    assert (
        '<select id="country" name="country" autocomplete="country" aria-describedby="country-error" required>' in html
    )
    assert '<label for="address-line1">Street address (required)</label>' in html
    assert '<label for="region" id="region-label">State (required)</label>' in html
    assert '<label for="postal-code" id="postal-code-label">ZIP code (required)</label>' in html
    # Each field names the message the server may give it.
    assert 'aria-describedby="city-error"' in html and '<p id="city-error" class="field-error" hidden></p>' in html
    assert (
        'name="address_line2" autocomplete="address-line2" maxlength="200" aria-describedby="address-line2-error">'
        in html
    )


def test_the_donate_form_keeps_the_address_optional_elsewhere(client, campaign):
    html = client.get(CAMPAIGN).content.decode()

    assert "Postal address (optional; printed on your receipt)" in html
    address = html.split('<fieldset id="address"')[1].split("</fieldset>")[0]
    assert " required" not in address and "(required)" not in address


def test_the_form_shows_a_required_address_change_on_the_next_page_load(campaign, django_capture_on_commit_callbacks):
    from tests.campaigns.test_page_cache import anonymous, shared

    assert "(required)" not in shared(CAMPAIGN)
    with django_capture_on_commit_callbacks(execute=True):
        campaign.donor_address_required = True
        campaign.save()

    assert "Street address (required)" in anonymous(CAMPAIGN).content.decode()


@pytest.mark.parametrize("trait", ["canadian", "british"])
def test_a_campaign_received_by_a_canadian_or_uk_entity_needs_the_address_without_being_told(
    client, campaign, fake_stripe, trait
):
    campaign.receipting_entity = ReceiptingEntityFactory(**{trait: True})
    campaign.save()
    body = gift_body()
    del body["donor"]["address"]

    response = give(client, body)

    assert response.status_code == 400
    assert "donor.address.line1" in response.json()["errors"]
    assert nothing_written(fake_stripe)
    assert 'data-required="true"' in client.get(CAMPAIGN).content.decode()


def test_a_campaign_received_by_a_us_entity_keeps_the_address_optional(client, campaign, fake_stripe):
    campaign.receipting_entity = ReceiptingEntityFactory()
    campaign.save()
    body = gift_body()
    del body["donor"]["address"]

    assert give(client, body).status_code == 201
