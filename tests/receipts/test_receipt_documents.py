"""What a receipt says, in the email's text and HTML and in its PDF: every
fact a US donor needs for a deduction, the same in all three."""

from io import BytesIO

import pytest
from django.utils import timezone
from pypdf import PdfReader

from receipts.documents import long_date
from receipts.models import CampaignBenefit, Receipt
from tests.receipts.pdf_links import pdf_path_in, pdf_token_in

pytestmark = pytest.mark.django_db

NO_BENEFIT = "No goods or services were provided in exchange for this contribution."


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    # Words wrapped across lines in the PDF are compared as one line.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def attached_pdf(message) -> bytes:
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == (f"receipt-{Receipt.objects.get().number}.pdf", "application/pdf")
    return content


def test_email_and_pdf_each_hold_every_legal_fact(organisation, make_gift, mailoutbox):
    make_gift(amount_minor=5000, fund="aftercare")
    receipt = Receipt.objects.get()
    [message] = mailoutbox
    today = long_date(timezone.localdate())

    for document in (message.body, message.alternatives[0][0], pdf_text(attached_pdf(message))):
        for fact in (
            "Freedom Now",
            "12-3456789",
            "1 Hope Way, Portland, OR 97201",  # the organisation
            "Ada Lee",
            "1 Main St",
            "Springfield",
            "ada@example.org",  # the donor
            receipt.number,
            "$50.00",
            "USD",
            today,
            "Aftercare",
            "Dressember 2026",  # the gift
            NO_BENEFIT,
        ):
            assert fact in document, f"{fact!r} missing"
    assert message.to == ["ada@example.org"]
    assert message.subject == f"Your tax receipt {receipt.number} from Freedom Now"


def test_pdf_opens_as_one_page_with_the_receipt_as_its_title(organisation, make_gift, mailoutbox):
    make_gift()
    reader = PdfReader(BytesIO(attached_pdf(mailoutbox[0])))

    assert len(reader.pages) == 1
    assert reader.metadata.title == f"Donation receipt {Receipt.objects.get().number}"
    assert reader.metadata.author == "Freedom Now"


def test_receipt_states_the_value_of_goods_the_campaign_gives_in_return(organisation, campaign, make_gift, mailoutbox):
    CampaignBenefit.objects.create(campaign=campaign, description="a gala dinner ticket", value_minor=1500)
    make_gift(amount_minor=10000)

    for document in (mailoutbox[0].body, pdf_text(attached_pdf(mailoutbox[0]))):
        assert "you received a gala dinner ticket, with an estimated fair market value of $15.00" in document
        assert "The amount deductible for federal income tax purposes is $85.00." in document
        assert NO_BENEFIT not in document


def test_donor_text_is_escaped_in_the_html_and_printed_as_given_in_the_pdf(organisation, make_gift, mailoutbox):
    make_gift(donor__first_name="Ada <b>&", donor__last_name="O'Lee")

    html = mailoutbox[0].alternatives[0][0]
    assert "Ada &lt;b&gt;&amp; O&#x27;Lee" in html
    assert "<b>&" not in html
    assert "Ada <b>& O'Lee" in pdf_text(attached_pdf(mailoutbox[0]))


def test_the_donors_link_downloads_the_same_pdf_again(organisation, make_gift, mailoutbox, client):
    make_gift()
    [message] = mailoutbox
    path = pdf_path_in(message)
    assert f"https://give.freedomnow.example{path}" in message.alternatives[0][0]

    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content == attached_pdf(message)


def test_receipt_links_are_unguessable_and_unknown_ones_are_not_found(make_gift, client, mailoutbox):
    make_gift()
    make_gift(donor__email="b@example.org")
    tokens = [pdf_token_in(message) for message in mailoutbox]

    assert len(set(tokens)) == 2 and all(len(token) >= 43 for token in tokens)
    assert client.get("/receipts/not-a-token/pdf/").status_code == 404
    assert client.post(f"/receipts/{tokens[0]}/pdf/").status_code == 405
