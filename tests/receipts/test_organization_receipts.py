"""A gift given as an organisation is receipted in its name, at the address
given for it, with the person who gave as its contact (email and PDF); its
year-end statement is the organisation's own, separate from the statement
of what the person gave as themselves, each sent exactly once."""

from datetime import UTC, datetime
from io import BytesIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from donations.models import Donation
from receipts.documents import ReceiptFacts
from receipts.models import Receipt, YearEndStatement
from tests.gifts import gift_body, give

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.localdate().year - 1
CHURCH = {"name": "Grace Church", "address": {"line1": "1 Chapel St", "city": "Hampton", "country": "US"}}


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages).split())


def give_as(client, organization, *, email="ada@example.org", first_name="Ada", amount_minor=5000) -> Donation:
    body = gift_body(amount_minor=amount_minor, donor__organization=organization)
    body["donor"].update(email=email, first_name=first_name)
    response = give(client, body)
    assert response.status_code == 201, response.json()
    return Donation.objects.get(public_id=response.json()["id"])


def test_an_organisations_gift_is_receipted_in_its_name_with_the_person_as_contact(
    client, campaign, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        give_as(client, CHURCH)

    [message] = mailoutbox
    assert message.to == ["ada@example.org"]
    pdf = pdf_text(message.attachments[0][1])
    for document in (message.body, message.alternatives[0][0], pdf):
        assert "Grace Church" in document
        assert "1 Chapel St" in document and "Hampton" in document
        assert "Contact: Ada Lee" in document
        assert "1 Main St" not in document  # the person's own address is not the organisation's
    assert "Donor: Grace Church" in message.body


def test_the_receipt_keeps_the_name_given_when_the_organisation_changes_later(
    client, campaign, organisation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        gift = give_as(client, CHURCH)
    gift.organization.name = "Grace Community Church"
    gift.organization.save()

    facts = ReceiptFacts.from_record(Receipt.objects.get(donation=gift).record)

    assert (facts.donor_name, facts.contact) == ("Grace Church", "Ada Lee")


def test_a_record_frozen_before_organisations_reads_as_a_persons_receipt():
    record = {name: "" for name in ReceiptFacts.__dataclass_fields__ if name != "contact"}
    facts = ReceiptFacts.from_record({**record, "donor_address_lines": [], "donor_email": "ada@example.org"})

    assert facts.contact == ""
    assert facts.contact_lines == ["ada@example.org"]


@pytest.fixture
def last_years_gifts(client, campaign, organisation, mailoutbox, django_capture_on_commit_callbacks):
    """Last year Ada gave $50 as herself and $30 as Grace Church, and Ben
    gave $20 as Grace Church (the latest of its gifts)."""
    with django_capture_on_commit_callbacks(execute=True):
        own = give_as(client, None)
        ada_for_church = give_as(client, CHURCH, amount_minor=3000)
        ben_for_church = give_as(client, "grace church", email="ben@example.org", first_name="Ben", amount_minor=2000)
    for day, gift in enumerate((own, ada_for_church, ben_for_church), start=1):
        Donation.objects.filter(pk=gift.pk).update(succeeded_at=datetime(LAST_YEAR, 6, day, 12, tzinfo=UTC))
    mailoutbox.clear()
    return own


def test_an_organisations_gifts_get_their_own_statement_in_its_name_separate_from_the_persons(
    last_years_gifts, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_year_end_statements", str(LAST_YEAR))
        call_command("send_year_end_statements", str(LAST_YEAR))

    assert YearEndStatement.objects.count() == 2
    own = YearEndStatement.objects.get(organization=None)
    church = YearEndStatement.objects.exclude(organization=None).get()
    assert (own.donor.email, own.organization) == ("ada@example.org", None)
    assert (church.donor.email, church.organization.name) == ("ben@example.org", "Grace Church")
    assert len(mailoutbox) == 2  # once each, however often it is run
    to_ada, to_ben = sorted(mailoutbox, key=lambda message: message.to)
    assert to_ada.to == ["ada@example.org"] and to_ben.to == ["ben@example.org"]
    for document in (to_ben.body, to_ben.alternatives[0][0]):
        assert "Dear Grace Church" in document
        assert "Contact: Ben Lee" in document
        assert "$50.00" in document  # 30 + 20: every gift given as the church, whoever gave it
        assert "1 Main St" in document  # Ben gave the church's name alone: at his address
    for document in (to_ada.body, to_ada.alternatives[0][0]):
        assert "Dear Ada Lee" in document and "Grace Church" not in document and "Contact:" not in document
        assert "$50.00" in document and "$30.00" not in document
    assert to_ben.extra_headers["Message-ID"] != to_ada.extra_headers["Message-ID"]
