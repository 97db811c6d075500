"""Who issues a receipt: the legal entity that receives the campaign's
gifts (or, for a campaign that names none, the organisation the ORG_*
settings describe), frozen into the receipt when it is issued."""

from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from pypdf import PdfReader

from receipts import documents
from receipts.models import Receipt
from tests.factories import ReceiptingEntityFactory

pytestmark = pytest.mark.django_db


def pdf_of(receipt: Receipt) -> PdfReader:
    facts = documents.ReceiptFacts.from_record(receipt.record)
    return PdfReader(BytesIO(documents.receipt_pdf(facts, is_void=False)))


def signature_png() -> ContentFile:
    encoded = BytesIO()
    Image.new("RGB", (300, 80), (20, 30, 90)).save(encoded, "PNG")
    return ContentFile(encoded.getvalue())


def test_a_receipt_names_the_entity_that_received_the_gift_not_the_settings(organisation, campaign, make_gift):
    campaign.receipting_entity = ReceiptingEntityFactory(
        name="Freedom Now Foundation", address="9 Liberty Ave, Boston, MA 02110", tax_number="98-7654321"
    )
    campaign.save()

    make_gift()

    facts = documents.ReceiptFacts.from_record(Receipt.objects.get().record)
    assert (facts.org_name, facts.org_address, facts.org_tax_id, facts.country) == (
        "Freedom Now Foundation",
        "9 Liberty Ave, Boston, MA 02110",
        "98-7654321",
        "US",
    )
    assert facts.exemption_statement == (
        "Freedom Now Foundation is a tax-exempt charitable organization. Tax ID (EIN): 98-7654321"
    )


def test_a_campaign_naming_no_entity_is_received_by_the_organisation_of_the_settings(organisation, make_gift):
    make_gift()

    facts = documents.ReceiptFacts.from_record(Receipt.objects.get().record)
    assert (facts.org_name, facts.org_tax_id, facts.country) == ("Freedom Now", "12-3456789", "US")


def test_editing_the_entity_later_changes_no_receipt_already_issued(organisation, campaign, make_gift, mailoutbox):
    entity = ReceiptingEntityFactory(name="Freedom Now Foundation", signatory_name="Ada Byron")
    campaign.receipting_entity = entity
    campaign.save()
    make_gift()
    receipt = Receipt.objects.get()
    issued_pdf = documents.receipt_pdf(documents.ReceiptFacts.from_record(receipt.record), is_void=False)

    entity.name, entity.signatory_name, entity.address = "Renamed Charity", "Someone Else", "Elsewhere"
    entity.save()
    receipt.refresh_from_db()

    facts = documents.ReceiptFacts.from_record(receipt.record)
    assert (facts.org_name, facts.signatory_name) == ("Freedom Now Foundation", "Ada Byron")
    assert documents.receipt_pdf(facts, is_void=False) == issued_pdf


def test_the_signature_the_receipt_was_issued_with_is_drawn_on_its_pdf(
    organisation, campaign, make_gift, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    entity = ReceiptingEntityFactory(signatory_name="Ada Byron", signatory_title="Treasurer")
    entity.signature.save("signature.png", signature_png())
    campaign.receipting_entity = entity
    campaign.save()
    make_gift()
    receipt = Receipt.objects.get()

    # A new signature uploaded later is another file: the receipt keeps its own.
    entity.signature.save("signature.png", signature_png())

    [page] = pdf_of(receipt).pages
    assert len(page.images) == 1
    assert "Signed: Ada Byron, Treasurer" in page.extract_text()
    assert documents.ReceiptFacts.from_record(receipt.record).signature != entity.signature.name


def test_a_receipt_without_a_signatory_is_drawn_unsigned(organisation, make_gift):
    make_gift()

    [page] = pdf_of(Receipt.objects.get()).pages
    assert len(page.images) == 0 and "Signed:" not in page.extract_text()
