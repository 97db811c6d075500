import time

import pytest

from donations.models import Donor, RecurringPlan
from donors.session import SESSION_KEY
from tests.gifts import gift_body, give


def sign_in(client, donor: Donor) -> None:
    """The donor's portal session, as donors.session.sign_in stores it."""
    session = client.session
    session[SESSION_KEY] = {"donor": donor.pk, "seen": int(time.time())}
    session.save()


@pytest.fixture
def monthly_plan(client, campaign, fake_stripe, django_capture_on_commit_callbacks):
    """Ada's $25 monthly gift to Rescue, first month paid, and Ada signed
    in to her portal in `client`."""
    with django_capture_on_commit_callbacks(execute=True):
        response = give(client, gift_body(frequency="monthly", amount_minor=2500, fund="rescue"))
    assert response.status_code == 201, response.json()
    plan = RecurringPlan.objects.get()
    sign_in(client, plan.donor)
    return plan


@pytest.fixture
def other_donor(db):
    return Donor.objects.create(email="mallory@example.org", first_name="Mallory", last_name="M")
