import re

import pytest

from donations.models import Donor, RecurringPlan
from tests import factories
from tests.auth import sign_in_donor
from tests.gifts import gift_body, give

LINK_IN_EMAIL = re.compile(r"https?://[^/\s]+(/donor/sign-in/[^/\s]+/)")


@pytest.fixture
def donor(db):
    return factories.DonorFactory(email="ada@example.org", first_name="Ada", last_name="Lee", with_address=True)


@pytest.fixture
def ask_for_link(client, django_capture_on_commit_callbacks):
    """POST /api/donor-sign-in/ as a client would, its email sent (the
    task runs eagerly once the request commits)."""

    def ask(email, *, via=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return (via or client).post(
                "/api/donor-sign-in/", data={"email": email}, content_type="application/json", **extra
            )

    return ask


def link_in(message) -> str:
    """The sign-in link's path in a sign-in email (the text and the HTML
    part carry the same one)."""
    [path] = set(LINK_IN_EMAIL.findall(message.body))
    assert LINK_IN_EMAIL.findall(message.alternatives[0][0]) == [path, path]
    return path


@pytest.fixture
def monthly_plan(client, campaign, fake_stripe, django_capture_on_commit_callbacks):
    """Ada's $25 monthly gift to Rescue, first month paid, and Ada signed
    in to her portal in `client`."""
    with django_capture_on_commit_callbacks(execute=True):
        response = give(client, gift_body(frequency="monthly", amount_minor=2500, fund="rescue"))
    assert response.status_code == 201, response.json()
    plan = RecurringPlan.objects.get()
    sign_in_donor(client, plan.donor)
    return plan


@pytest.fixture
def other_donor(db):
    return Donor.objects.create(email="mallory@example.org", first_name="Mallory", last_name="M")
