"""Canadian official donation receipts (receipts.countries.ca): every item
the CRA requires, in the email's text and HTML and in the PDF, drawn from
the frozen record; replacements that name the serial they cancel, the
cancelled receipt kept and marked so; an acknowledgement, not a receipt,
where the advantage is more than 80% of the amount; no US wording."""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from donations.services import moves
from receipts import documents
from receipts.documents import long_date
from receipts.models import CampaignBenefit, Receipt, VoidNotice
from tests.factories import ReceiptingEntityFactory
from tests.receipts.pdf_links import pdf_path_in
from tests.receipts.test_receipt_documents import pdf_text
from tests.stripe_events import dispute_event

pytestmark = pytest.mark.django_db

OFFICIAL = "Official receipt for income tax purposes"
CRA = "Canada Revenue Agency: canada.ca/charities-giving"
US_WORDS = ("EIN", "tax-exempt", "federal income tax", "IRS", "goods or services", "contribution")


@pytest.fixture
def canadian_campaign(organisation, campaign, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    entity = ReceiptingEntityFactory(canadian=True)
    encoded = BytesIO()
    Image.new("RGB", (300, 80), (20, 30, 90)).save(encoded, "PNG")
    entity.signature.save("signature.png", ContentFile(encoded.getvalue()))
    campaign.receipting_entity = entity
    campaign.currency = "cad"
    campaign.save()
    return campaign


@pytest.fixture
def give_in_canada(canadian_campaign, make_gift):
    """A gift in CAD from Ada, with her Toronto address."""

    def give(**fields):
        return make_gift(
            currency="cad",
            donor__address_line1="22 Maple Ave",
            donor__city="Toronto",
            donor__region="ON",
            donor__postal_code="M4C 1B5",
            donor__country="CA",
            **fields,
        )

    return give


def documents_of(message) -> dict[str, str]:
    """The email's text, its HTML and its PDF's text, by name."""
    [(_filename, pdf, _mimetype)] = message.attachments
    return {"text": message.body, "html": message.alternatives[0][0], "pdf": pdf_text(pdf)}


def pdf_page(content: bytes):
    [page] = PdfReader(BytesIO(content)).pages
    return page


def test_a_canadian_receipt_holds_every_item_the_cra_requires_in_the_email_and_the_pdf(give_in_canada, mailoutbox):
    give_in_canada(amount_minor=5000)
    receipt = Receipt.objects.get()
    [message] = mailoutbox
    today = long_date(timezone.localdate())
    found = documents_of(message)

    required = {
        "the statement": OFFICIAL,
        "the charity's name": "Freedom Now Canada",
        "its address as registered": "1 Hope Street, Toronto ON M5V 2T6",
        "its registration number": "Charity registration number: 123456789RR0001",
        "the serial number": f"Serial number{{sep}}{receipt.number}",
        "the place of issue": "Place of issue{sep}Toronto, Ontario",
        "the date received": f"Date received{{sep}}{today}",
        "the date issued": f"Date issued{{sep}}{today}",
        "the donor's name": "Ada Lee",
        "the donor's street": "22 Maple Ave",
        "the donor's city and postcode": "M4C 1B5",
        "the amount": "Amount of gift{sep}CA$50.00",
        "the advantage, none": "Advantage: none, CA$0.00",
        "the eligible amount": "Eligible amount of gift for tax purposes{sep}CA$50.00",
        "the signatory": "Signed: Jordan Lee, Treasurer",
        "the CRA's name and website": CRA,
    }
    # A table's label and value are a colon apart in the text, a space in the PDF, cells in the HTML.
    separators = {"text": ": ", "pdf": " ", "html": "</th><td>"}
    for name, document in found.items():
        for item, wording in required.items():
            expected = wording.replace("{sep}", separators[name])
            assert expected in document, f"{item} ({expected!r}) missing from the {name}"
    assert message.subject == f"Your official donation receipt {receipt.number} from Freedom Now Canada"
    # The signature is drawn, as the record names it.
    assert len(pdf_page(message.attachments[0][1]).images) == 1


def test_the_receipt_is_drawn_from_its_record_alone(give_in_canada):
    give_in_canada()
    receipt = Receipt.objects.get()
    drawn = documents.receipt_pdf(documents.ReceiptFacts.from_record(receipt.record), is_void=False)

    entity = receipt.donation.campaign.receipting_entity
    entity.name, entity.place_of_issue, entity.tax_number = "Renamed", "Vancouver, BC", "999999999RR0001"
    entity.save()

    again = documents.receipt_pdf(documents.ReceiptFacts.from_record(receipt.record), is_void=False)
    assert again == drawn and "Toronto, Ontario" in pdf_text(again)


def test_a_receipt_with_an_advantage_states_it_and_the_eligible_amount(canadian_campaign, give_in_canada, mailoutbox):
    CampaignBenefit.objects.create(campaign=canadian_campaign, description="a gala dinner ticket", value_minor=1500)
    give_in_canada(amount_minor=10000)

    for name, document in documents_of(mailoutbox[0]).items():
        assert OFFICIAL in document, name
        assert "Advantage: a gala dinner ticket, CA$15.00" in document, name
        assert "CA$85.00" in document and "Eligible amount of gift for tax purposes" in document, name
        assert "Advantage: none" not in document, name


def test_an_advantage_of_exactly_80_percent_still_has_an_official_receipt(canadian_campaign, give_in_canada):
    CampaignBenefit.objects.create(campaign=canadian_campaign, description="a gala dinner ticket", value_minor=8000)
    give_in_canada(amount_minor=10000)

    facts = documents.ReceiptFacts.from_record(Receipt.objects.get().record)
    assert facts.official and facts.title == OFFICIAL and facts.eligible_amount == "CA$20.00"


def test_an_advantage_over_80_percent_gets_an_acknowledgement_not_an_official_receipt(
    canadian_campaign, give_in_canada, mailoutbox
):
    CampaignBenefit.objects.create(campaign=canadian_campaign, description="a gala dinner ticket", value_minor=8001)
    give_in_canada(amount_minor=10000)
    receipt = Receipt.objects.get()
    [message] = mailoutbox

    assert receipt.record["official"] is False
    assert message.subject == f"Acknowledgement {receipt.number} of your payment to Freedom Now Canada"
    for name, document in documents_of(message).items():
        assert "not an official donation receipt" in document, name
        assert "No official donation receipt can be issued for this payment" in document, name
        assert "more than 80% of the amount paid (CA$100.00)" in document, name
        assert "Advantage: a gala dinner ticket, CA$80.01" in document, name
        # None of what makes a document an official receipt.
        for official_wording in (OFFICIAL, "Serial number", "Eligible amount", "income tax records"):
            assert official_wording not in document, f"{official_wording!r} in the {name}"


def test_a_partial_refund_issues_a_replacement_that_names_the_serial_it_cancels(
    give_in_canada, refund, mailoutbox, client
):
    gift = give_in_canada(amount_minor=5000)
    original = Receipt.objects.get()
    original_pdf = client.get(pdf_path_in(mailoutbox[0])).content

    refund(gift, refunded_minor=2000)

    original.refresh_from_db()
    replacement = Receipt.objects.get(replaces=original)
    assert original.status == Receipt.Status.VOID and original.number != replacement.number
    message = mailoutbox[-1]
    assert message.subject == f"Your replacement official receipt {replacement.number} from Freedom Now Canada"
    for name, document in documents_of(message).items():
        assert f"This receipt cancels and replaces receipt no. {original.number}." in document, name
        # A replacement carries every required item again, for what the donor kept.
        for item in (OFFICIAL, "123456789RR0001", replacement.number, "Toronto, Ontario", "22 Maple Ave", CRA):
            assert item in document, f"{item!r} missing from the {name}"
        assert "CA$30.00" in document and "CA$50.00" not in document, name
    assert not VoidNotice.objects.exists()  # the replacement says it

    # The cancelled receipt keeps its serial and record; its PDF now says it is cancelled.
    cancelled_pdf = pdf_text(client.get(pdf_path_in(mailoutbox[0])).content)
    assert f"CANCELLED: receipt no. {original.number} is cancelled and no longer stands." in cancelled_pdf
    assert "CANCELLED" not in pdf_text(original_pdf)
    assert f"Serial number {original.number}" in cancelled_pdf and "CA$50.00" in cancelled_pdf


def test_a_full_refund_sends_a_cancellation_notice_in_canadian_words(give_in_canada, refund, mailoutbox):
    gift = give_in_canada(amount_minor=5000)
    receipt = Receipt.objects.get()

    refund(gift, refunded_minor=5000)

    [_, notice] = mailoutbox
    assert notice.subject == f"Receipt no. {receipt.number} from Freedom Now Canada is cancelled"
    for document in (notice.body, notice.alternatives[0][0]):
        assert f"Official receipt no. {receipt.number} for that gift is therefore cancelled" in document
        assert "refunded in full" in document and "CA$50.00" in document
        assert "Charity registration number: 123456789RR0001" in document
        assert "void" not in document.lower()
        for word in US_WORDS:
            assert word not in document


def test_a_lost_dispute_cancels_the_receipt_in_canadian_words(give_in_canada, deliver_events, mailoutbox):
    gift = give_in_canada(amount_minor=5000)
    receipt = Receipt.objects.get()

    deliver_events(
        dispute_event("charge.dispute.created", gift, status="needs_response"),
        dispute_event("charge.dispute.closed", gift, status="lost"),
    )

    receipt.refresh_from_db()
    assert receipt.status == Receipt.Status.VOID
    body = mailoutbox[-1].body
    assert f"Official receipt no. {receipt.number} for that gift is therefore cancelled" in body
    assert "taken back by your card issuer" in body and "refunded" not in body and "void" not in body.lower()


def test_no_us_wording_appears_anywhere_on_a_canadian_receipt(give_in_canada, mailoutbox):
    give_in_canada(cover_fees=True)
    [message] = mailoutbox

    for name, document in {"subject": message.subject, **documents_of(message)}.items():
        for word in US_WORDS:
            assert word not in document, f"{word!r} in the {name}"
        assert "USD" not in document and "US$" not in document, name


def test_a_us_receipt_keeps_the_irs_wording(organisation, make_gift, mailoutbox):
    make_gift()
    facts = documents.ReceiptFacts.from_record(Receipt.objects.get().record)

    text = documents_of(mailoutbox[0])["pdf"]
    assert facts.official and facts.title == "Donation receipt" and facts.country == "US"
    assert "Tax ID (EIN): 12-3456789" in text and "tax-exempt charitable organization" in text
    assert OFFICIAL not in text and CRA not in text and "Serial number" not in text


def test_a_canadian_entity_must_hold_what_every_official_receipt_carries(db):
    entity = ReceiptingEntityFactory(canadian=True, tax_number="12345 6789", place_of_issue="", signatory_name="")

    with pytest.raises(ValidationError) as refused:
        entity.full_clean()

    assert set(refused.value.message_dict) == {"tax_number", "place_of_issue", "signatory_name", "signature"}
    # The same gaps are no concern of a US entity's.
    ReceiptingEntityFactory.build(tax_number="12-3456789", place_of_issue="", signatory_name="").full_clean()


def test_a_fund_move_issues_a_replacement_that_names_the_serial_it_cancels(
    give_in_canada, funds, finance_user, mailoutbox, django_capture_on_commit_callbacks
):
    gift = give_in_canada(fund="aftercare")
    original = Receipt.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        moves.move_gift(donation_id=gift.pk, reason="The donor asked", moved_by=finance_user, to_fund=funds["rescue"])

    replacement = Receipt.objects.get(replaces=original)
    for name, document in documents_of(mailoutbox[-1]).items():
        assert f"This receipt cancels and replaces receipt no. {original.number}." in document, name
        assert "Serial number" in document and replacement.number in document and "Rescue" in document, name


def test_a_canadian_entitys_campaign_must_take_gifts_in_cad(campaign):
    campaign.receipting_entity = ReceiptingEntityFactory(canadian=True)

    with pytest.raises(ValidationError) as refused:
        campaign.full_clean()
    assert list(refused.value.message_dict) == ["currency"]

    campaign.currency = "cad"
    campaign.full_clean()


def test_a_canadian_receipt_points_the_donor_to_their_portal_too(give_in_canada, mailoutbox, settings):
    give_in_canada(amount_minor=5000)
    [message] = mailoutbox

    assert f"{settings.SITE_URL}/donor/" in message.body
    assert f'<a href="{settings.SITE_URL}/donor/">All your gifts and receipts</a>' in message.alternatives[0][0]
