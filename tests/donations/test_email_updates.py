"""`email_updates`: a donor who says no with a paid gift gets receipts and
statements, never impact updates; their latest paid gift's answer is the
one that stands, and a gift that is not paid changes nothing."""

import pytest

from donations.models import Donor
from donations.selectors import donors_who_gave
from donations.services import donors
from receipts.models import Receipt
from tests.factories import DonationFactory, DonorFactory
from tests.gifts import DECLINING_PAYMENT_METHOD, gift_body, give

pytestmark = pytest.mark.django_db


def wants_updates(email: str = "ada@example.org") -> bool:
    return Donor.objects.get(email=email).wants_updates


def in_the_audience(email: str = "ada@example.org") -> bool:
    return email in [found for _, found in donors_who_gave(limit=100)]


def test_a_donor_who_says_no_gets_no_updates_but_their_receipt(client, campaign):
    assert give(client, gift_body(email_updates=False)).status_code == 201

    assert not wants_updates()
    assert not in_the_audience()
    assert Receipt.objects.filter(donation__donor__email="ada@example.org").exists()


def test_without_an_answer_the_donor_gets_updates(client, campaign):
    body = gift_body()
    body.pop("email_updates", None)

    give(client, body)

    assert wants_updates() and in_the_audience()


def test_the_latest_paid_gifts_answer_stands_yes_after_no_and_no_after_yes(client, campaign):
    give(client, gift_body(email_updates=False))
    give(client, gift_body(email_updates=True))
    assert in_the_audience()

    give(client, gift_body(email_updates=False))
    assert not in_the_audience()


def test_a_declined_gift_does_not_change_the_donors_answer(client, campaign):
    give(client, gift_body(email_updates=True))

    assert give(client, gift_body(email_updates=False, payment_method=DECLINING_PAYMENT_METHOD)).status_code == 402

    assert wants_updates()


def test_email_updates_must_be_true_or_false(client, campaign):
    response = give(client, gift_body(email_updates="no"))

    assert response.status_code == 400
    assert response.json()["errors"]["email_updates"] == ["Must be true or false."]
    assert not Donor.objects.exists()


def test_gifts_applied_together_keep_the_last_answer_and_a_gift_without_one_keeps_it(campaign, funds):
    ada = DonorFactory()
    asked_no = DonationFactory(donor=ada, campaign=campaign, fund=funds["rescue"], donor_wants_updates=False)
    not_asked = DonationFactory(donor=ada, campaign=campaign, fund=funds["rescue"], donor_wants_updates=None)

    donors.apply_details_of_paid_gifts([asked_no, not_asked])

    ada.refresh_from_db()
    assert ada.wants_updates is False
