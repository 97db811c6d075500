"""Gifts given as an organisation (`donor.organization` on POST
/api/donations/): a name or {"name", "address"}, matched to one record by
name in any case; the gift keeps the name and address as given; the
record takes its address and contact from its latest paid gift; a bad one
is a 400 naming the field with nothing written; monthly renewals are given
as it too."""

import pytest

from campaigns.models import Organization
from donations.models import Donation, Donor, RecurringPlan
from tests.gifts import card_form_body, gift_body, give, start_card_form
from tests.stripe_events import invoice_event

pytestmark = pytest.mark.django_db

CHURCH_ADDRESS = {"line1": "1 Chapel St", "city": "Hampton", "region": "VA", "postal_code": "23669", "country": "us"}


def given_as(donation: Donation) -> tuple:
    return (donation.organization.name, donation.organization_name, donation.giver_postal_address_lines)


def test_a_name_alone_gives_as_that_organisation_at_the_donors_address(client, campaign):
    response = give(client, gift_body(donor__organization="  Grace Church "))

    assert response.status_code == 201, response.json()
    gift = Donation.objects.get()
    assert given_as(gift) == ("Grace Church", "Grace Church", ["1 Main St", "Springfield 62701", "US"])
    assert gift.contact_name == "Ada Lee"
    assert Organization.objects.get().contact_email == "ada@example.org"  # the gift succeeded


def test_an_object_gives_its_own_address_and_the_donors_stays_the_donors(client, campaign):
    body = gift_body(donor__organization={"name": "Grace Church", "address": CHURCH_ADDRESS})

    assert give(client, body).status_code == 201
    gift = Donation.objects.get()
    assert given_as(gift) == ("Grace Church", "Grace Church", ["1 Chapel St", "Hampton VA 23669", "US"])
    assert gift.donor_postal_address_lines == ["1 Main St", "Springfield 62701", "US"]
    church = Organization.objects.get()
    assert (church.address_line1, church.city, church.country, church.contact_name) == (
        "1 Chapel St",
        "Hampton",
        "US",
        "Ada Lee",
    )


def test_an_object_without_an_address_takes_the_donors(client, campaign):
    assert give(client, gift_body(donor__organization={"name": "Grace Church"})).status_code == 201

    assert Donation.objects.get().organization_address_line1 == "1 Main St"


def test_two_people_giving_as_one_organisation_share_its_record_and_the_latest_is_the_contact(client, campaign):
    give(client, gift_body(donor__organization="Grace Church"))
    body = gift_body(donor__organization={"name": "GRACE church", "address": CHURCH_ADDRESS})
    body["donor"].update(email="ben@example.org", first_name="Ben", last_name="Okafor")
    assert give(client, body).status_code == 201

    church = Organization.objects.get()
    first, second = Donation.objects.order_by("created_at")
    assert first.organization == second.organization == church
    # Each gift keeps the name as given with it; the record keeps the first.
    assert (first.organization_name, second.organization_name, church.name) == (
        "Grace Church",
        "GRACE church",
        "Grace Church",
    )
    assert (church.contact_name, church.contact_email, church.address_line1) == (
        "Ben Okafor",
        "ben@example.org",
        "1 Chapel St",
    )
    assert first.organization_address_line1 == "1 Main St"  # never rewritten by a later gift


def test_a_declined_gift_changes_nothing_on_the_organisations_record(client, campaign):
    give(client, gift_body(donor__organization="Grace Church"))
    body = gift_body(donor__organization={"name": "Grace Church", "address": CHURCH_ADDRESS})
    body["donor"].update(email="mallory@example.org", first_name="Mallory")
    body["payment_method"] = "pm_card_chargeDeclined"
    assert give(client, body).status_code == 402

    church = Organization.objects.get()
    assert (church.contact_email, church.address_line1) == ("ada@example.org", "1 Main St")


def test_a_persons_own_gift_has_no_organisation(client, campaign):
    assert give(client, gift_body(donor__organization=None)).status_code == 201

    gift = Donation.objects.get()
    assert (gift.organization, gift.organization_name, gift.contact_name) == (None, "", "")
    assert not Organization.objects.exists()


@pytest.mark.parametrize(
    ("organization", "field"),
    [
        pytest.param("", "donor.organization.name", id="empty-name"),
        pytest.param("   ", "donor.organization.name", id="blank-name"),
        pytest.param("x" * 201, "donor.organization.name", id="name-too-long"),
        pytest.param("Gr\u0000ace", "donor.organization.name", id="name-with-nul"),
        pytest.param({"address": CHURCH_ADDRESS}, "donor.organization.name", id="no-name"),
        pytest.param({"name": 7}, "donor.organization.name", id="name-not-a-string"),
        pytest.param({"name": "Grace", "address": "1 Chapel St"}, "donor.organization.address", id="address-a-string"),
        pytest.param(
            {"name": "Grace", "address": {**CHURCH_ADDRESS, "country": "USA"}},
            "donor.organization.address.country",
            id="bad-country",
        ),
        pytest.param({"name": "Grace", "kind": "church"}, "donor.organization", id="extra-key"),
        pytest.param(["Grace"], "donor.organization", id="a-list"),
        pytest.param(5, "donor.organization", id="a-number"),
    ],
)
def test_a_bad_organisation_is_a_400_naming_the_field_and_nothing_is_written(client, campaign, organization, field):
    response = give(client, gift_body(donor__organization=organization))

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field], errors
    assert errors[field][0]
    assert (Donation.objects.count(), Donor.objects.count(), Organization.objects.count()) == (0, 0, 0)


def test_the_card_form_step_checks_the_organisation_too(client, campaign):
    body = card_form_body()
    body["donor"]["organization"] = {"name": ""}

    response = start_card_form(client, body)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["donor.organization.name"]


def test_monthly_renewals_are_given_as_the_plans_organisation(
    client, team, deliver_events, django_capture_on_commit_callbacks
):
    body = gift_body(frequency="monthly", amount_minor=2500, team=team.slug, fund="rescue")
    body["donor"]["organization"] = {"name": "Grace Church", "address": CHURCH_ADDRESS}
    with django_capture_on_commit_callbacks(execute=True):
        assert give(client, body).status_code == 201, "the first month"
    plan = RecurringPlan.objects.get()
    assert plan.organization.name == "Grace Church"

    deliver_events(invoice_event("invoice.paid", subscription_id=plan.stripe_subscription_id, amount=2500))

    first, renewal = Donation.objects.order_by("created_at")
    assert renewal.organization == first.organization == plan.organization
    assert given_as(renewal) == ("Grace Church", "Grace Church", ["1 Chapel St", "Hampton VA 23669", "US"])


def test_the_gifts_status_does_not_name_the_organisation(client, campaign):
    # GET /api/donations/<id>/ names no one who gave: anyone with the id may read it.
    gift_id = give(client, gift_body(donor__organization="Grace Church")).json()["id"]

    answer = client.get(f"/api/donations/{gift_id}/").json()

    assert "Grace Church" not in str(answer)


def test_a_retry_must_name_the_same_organisation(client, campaign):
    key = {"HTTP_IDEMPOTENCY_KEY": "gift-1"}
    first = give(client, gift_body(donor__organization="Grace Church"), **key)

    assert give(client, gift_body(donor__organization="Grace Church"), **key).json()["id"] == first.json()["id"]
    assert give(client, gift_body(donor__organization="Abbey School"), **key).status_code == 422
    assert give(client, gift_body(), **key).status_code == 422
    assert Donation.objects.count() == 1
