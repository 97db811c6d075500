"""Receipts are tested with anymail's test backend (messages land in
mail.outbox as anymail would send them) and gifts paid through the
ledger's services (`make_gift`, tests/conftest.py)."""

import pytest

from donations.models import Donation
from tests.factories import pay_through_services

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
def refund(django_capture_on_commit_callbacks):
    """A refund learnt from Stripe: the gift's refunded amount becomes
    `refunded_minor` and its receipts are reissued, by the ledger's services."""

    def record(donation: Donation, *, refunded_minor: int) -> Donation:
        with django_capture_on_commit_callbacks(execute=True):
            return pay_through_services(donation, refunded_minor=refunded_minor)

    return record
