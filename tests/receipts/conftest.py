"""Receipts are tested with anymail's test backend (messages land in
mail.outbox as anymail would send them) and gifts paid through the
ledger's services."""

import pytest

from donations.models import Donation
from tests.factories import DonationFactory, DonorFactory, pay_through_services

ANYMAIL_TEST_BACKEND = "anymail.backends.test.EmailBackend"
ADA = {
    "email": "ada@example.org",
    "first_name": "Ada",
    "last_name": "Lee",
    "address_line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "62701",
    "country": "US",
}


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
def make_gift(campaign, funds, django_capture_on_commit_callbacks):
    """A paid gift from Ada (with a postal address), through the ledger's
    services: counted, receipted, its receipt sent (on-commit callbacks run,
    Celery is eager) unless told otherwise. `donor__...` sets the donor."""

    def make(*, send_receipt: bool = True, fund: str = "aftercare", **fields) -> Donation:
        donor = {
            **ADA,
            **{name.removeprefix("donor__"): fields.pop(name) for name in list(fields) if name.startswith("donor__")},
        }
        with django_capture_on_commit_callbacks(execute=send_receipt):
            return DonationFactory(
                succeeded=True,
                through_services=True,
                campaign=campaign,
                fund=funds[fund],
                donor=DonorFactory(**donor),
                **fields,
            )

    return make


@pytest.fixture
def refund(django_capture_on_commit_callbacks):
    """A refund learnt from Stripe: the gift's refunded amount becomes
    `refunded_minor` and its receipts are reissued, by the ledger's services."""

    def record(donation: Donation, *, refunded_minor: int) -> Donation:
        with django_capture_on_commit_callbacks(execute=True):
            return pay_through_services(donation, refunded_minor=refunded_minor)

    return record
