"""A gift's dedication through POST /api/donations/: a plain string as it
always was, or {"kind", "name", "notify_email"}, stored in parts; a bad one
is a 400 naming the field, with nothing written; monthly renewals carry it
as the first gift did, but not the address to tell."""

import pytest

from donations.models import Donation, Donor, RecurringPlan
from tests.gifts import card_form_body, gift_body, give, start_card_form
from tests.stripe_events import invoice_event

pytestmark = pytest.mark.django_db

IN_MEMORY = {"kind": "memory", "name": "Rosa Diaz", "notify_email": "Luis@Example.org"}


def dedication_of(donation: Donation) -> tuple:
    return (
        donation.dedication,
        donation.dedication_kind,
        donation.dedication_name,
        donation.dedication_notify_email,
    )


@pytest.mark.parametrize(
    ("dedication", "stored"),
    [
        pytest.param(IN_MEMORY, ("In memory of Rosa Diaz", "memory", "Rosa Diaz", "luis@example.org"), id="memory"),
        pytest.param(
            {"kind": "honor", "name": "  Grandpa Joe ", "notify_email": None},
            ("In honour of Grandpa Joe", "honor", "Grandpa Joe", ""),
            id="honor-nobody-to-tell",
        ),
        pytest.param({"kind": "honor", "name": "Mo"}, ("In honour of Mo", "honor", "Mo", ""), id="no-notify-key"),
        pytest.param("For my sister", ("For my sister", "", "", ""), id="plain-string"),
        pytest.param("", ("", "", "", ""), id="empty-string"),
        pytest.param(None, ("", "", "", ""), id="null"),
    ],
)
def test_a_dedication_is_stored_in_parts_whether_an_object_or_a_plain_string(client, campaign, dedication, stored):
    response = give(client, gift_body(dedication=dedication))

    assert response.status_code == 201, response.json()
    assert dedication_of(Donation.objects.get()) == stored


def test_a_gift_without_a_dedication_key_has_none(client, campaign):
    body = gift_body()
    del body["dedication"]

    assert give(client, body).status_code == 201
    assert dedication_of(Donation.objects.get()) == ("", "", "", "")


@pytest.mark.parametrize(
    ("dedication", "field"),
    [
        pytest.param({**IN_MEMORY, "kind": "birthday"}, "dedication.kind", id="unknown-kind"),
        pytest.param({**IN_MEMORY, "kind": 1}, "dedication.kind", id="kind-not-a-string"),
        pytest.param({"name": "Rosa Diaz"}, "dedication.kind", id="no-kind"),
        pytest.param({**IN_MEMORY, "name": ""}, "dedication.name", id="empty-name"),
        pytest.param({**IN_MEMORY, "name": "   "}, "dedication.name", id="blank-name"),
        pytest.param({"kind": "memory"}, "dedication.name", id="no-name"),
        pytest.param({**IN_MEMORY, "name": ["Rosa"]}, "dedication.name", id="name-not-a-string"),
        pytest.param({**IN_MEMORY, "name": "x" * 151}, "dedication.name", id="name-too-long"),
        pytest.param({**IN_MEMORY, "name": "Ro\u0000sa"}, "dedication.name", id="name-with-nul"),
        pytest.param({**IN_MEMORY, "notify_email": "not-an-address"}, "dedication.notify_email", id="bad-email"),
        pytest.param({**IN_MEMORY, "notify_email": 7}, "dedication.notify_email", id="email-not-a-string"),
        pytest.param(
            {**IN_MEMORY, "notify_email": "a" * 250 + "@example.org"}, "dedication.notify_email", id="email-too-long"
        ),
        pytest.param({**IN_MEMORY, "amount": 5}, "dedication", id="extra-key"),
        pytest.param("x" * 201, "dedication", id="string-too-long"),
        pytest.param(["memory", "Rosa"], "dedication", id="a-list"),
        pytest.param(5, "dedication", id="a-number"),
    ],
)
def test_a_bad_dedication_is_a_400_naming_the_field_and_nothing_is_written(client, campaign, dedication, field):
    response = give(client, gift_body(dedication=dedication))

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field], errors
    assert errors[field][0]
    assert (Donation.objects.count(), Donor.objects.count()) == (0, 0)


def test_the_card_form_step_checks_the_dedication_too(client, campaign):
    response = start_card_form(client, card_form_body(dedication={"kind": "honour", "name": "Mo"}))

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["dedication.kind"]


def test_an_extra_key_is_named_but_cut_short_in_the_message(client, campaign):
    response = give(client, gift_body(dedication={**IN_MEMORY, "k" * 5000: 1}))

    [message] = response.json()["errors"]["dedication"]
    assert len(message) < 200


def test_monthly_renewals_are_dedicated_like_the_first_gift_but_carry_no_address_to_tell(
    client, team, deliver_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = give(
            client,
            gift_body(frequency="monthly", amount_minor=2500, team=team.slug, fund="rescue", dedication=IN_MEMORY),
        )
    assert response.status_code == 201, response.json()
    plan = RecurringPlan.objects.get()

    deliver_events(invoice_event("invoice.paid", subscription_id=plan.stripe_subscription_id, amount=2500))

    first, renewal = Donation.objects.order_by("created_at")
    assert dedication_of(first) == ("In memory of Rosa Diaz", "memory", "Rosa Diaz", "luis@example.org")
    assert dedication_of(renewal) == ("In memory of Rosa Diaz", "memory", "Rosa Diaz", "")
