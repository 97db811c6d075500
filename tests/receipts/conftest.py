"""Receipts are tested with anymail's test backend (messages land in
mail.outbox as anymail would send them) and gifts made through the API."""

import pytest
from django.db import transaction

from donations.models import Donation
from receipts import services
from tests.gifts import gift_body, give

ANYMAIL_TEST_BACKEND = "anymail.backends.test.EmailBackend"


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    settings.EMAIL_BACKEND = ANYMAIL_TEST_BACKEND


@pytest.fixture
def organisation(settings):
    settings.ORG_NAME = "Freedom Now"
    settings.ORG_TAX_ID = "12-3456789"
    settings.ORG_ADDRESS = "1 Hope Way, Portland, OR 97201"
    settings.SITE_URL = "https://give.freedomnow.example"


@pytest.fixture
def make_gift(client, campaign, django_capture_on_commit_callbacks):
    """A real gift through the API, charged by the fake Stripe, its receipt
    sent (on-commit callbacks run, Celery is eager) unless told otherwise."""

    def make(*, send_receipt: bool = True, **overrides) -> Donation:
        with django_capture_on_commit_callbacks(execute=send_receipt):
            answer = give(client, gift_body(**overrides))
        assert answer.status_code == 201, answer.content
        return Donation.objects.get(public_id=answer.json()["id"])

    return make


@pytest.fixture
def refund(django_capture_on_commit_callbacks):
    """What donations.services will do on a refund (not on this branch):
    under the gift's row lock, record the refund, then reissue receipts."""

    def record(donation: Donation, *, refunded_minor: int) -> Donation:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            locked = Donation.objects.select_for_update().get(pk=donation.pk)
            locked.refunded_minor = refunded_minor
            locked.status = (
                Donation.Status.REFUNDED
                if refunded_minor == locked.charged_minor
                else Donation.Status.PARTIALLY_REFUNDED
            )
            locked.save(update_fields=["refunded_minor", "status", "updated_at"])
            services.reissue_after_refund(donation=locked)
        return locked

    return record
