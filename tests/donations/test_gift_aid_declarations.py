"""UK Gift Aid declarations (donations.GiftAidDeclaration): made with a
gift on a UK charity's campaign (`gift_aid: true`), in HMRC's model
wording, with the donor's name and home address, its date and where it
came from; refused, writing nothing, without the address HMRC needs, on
any other campaign, or for an organisation's gift. The UK acknowledgement
says whether the gift is Gift Aided and links to a page where the donor
cancels the declaration; finance cancels one from the admin."""

import re
from io import BytesIO

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from donations import gift_aid
from donations.models import Donation, Donor, GiftAidDeclaration
from donations.selectors import gift_aid_cancel_url
from finance.services.permissions import FINANCE_GROUP
from receipts import documents
from receipts.models import Receipt
from tests.auth import log_in
from tests.factories import (
    CampaignFactory,
    GiftAidDeclarationFactory,
    ReceiptingEntityFactory,
    UserFactory,
    pay_through_services,
)
from tests.gifts import gift_body, give

pytestmark = pytest.mark.django_db

UK_ADDRESS = {"line1": "10 Downing Street", "city": "London", "postal_code": "sw1a2aa", "country": "GB"}
WORDING = (
    "I want to Gift Aid my donation of £50.00 and any donations I make in the future or have made in the past "
    "4 years to Freedom Now UK. I am a UK taxpayer and understand that if I pay less Income Tax and/or Capital "
    "Gains Tax in the current tax year than the amount of Gift Aid claimed on all my donations it is my "
    "responsibility to pay any difference."
)


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.SITE_URL = "https://give.freedomnow.example"


@pytest.fixture
def uk_campaign(campaign):
    campaign.receipting_entity = ReceiptingEntityFactory(british=True)
    campaign.currency = "gbp"
    campaign.save()
    return campaign


def uk_gift(**overrides) -> dict:
    return gift_body(**{"currency": "gbp", "gift_aid": True, "donor__address": dict(UK_ADDRESS), **overrides})


def give_and_send(client, body, django_capture_on_commit_callbacks, **headers):
    with django_capture_on_commit_callbacks(execute=True):
        return give(client, body, **headers)


def nothing_written(fake_stripe) -> bool:
    return (
        not Donation.objects.exists()
        and not Donor.objects.exists()
        and not GiftAidDeclaration.objects.exists()
        and not fake_stripe.calls
    )


def test_a_gift_aid_gift_from_the_donate_form_records_the_declaration_with_its_wording_date_source_and_gift(
    client, uk_campaign, fake_stripe
):
    before = timezone.now()

    response = give(client, uk_gift(), HTTP_HOPEFUND_CLIENT="donate-form")

    assert response.status_code == 201
    declaration = GiftAidDeclaration.objects.get()
    gift = Donation.objects.get()
    assert declaration.donation == gift
    assert declaration.donor == gift.donor
    assert declaration.entity == uk_campaign.receipting_entity
    assert declaration.wording == WORDING
    assert declaration.wording_version == gift_aid.WORDING_VERSION
    assert declaration.scope == GiftAidDeclaration.Scope.PAST_AND_FUTURE
    assert declaration.source == GiftAidDeclaration.Source.ONLINE_FORM
    assert before <= declaration.declared_at <= timezone.now()
    assert (declaration.full_name, declaration.house_name_or_number, declaration.postcode) == (
        "Ada Lee",
        "10",
        "SW1A 2AA",
    )
    assert declaration.address == "10 Downing Street, London"
    assert declaration.cancelled_at is None
    assert client.get(f"/api/donations/{gift.public_id}/").json()["gift_aid"] is True


def test_a_declaration_sent_straight_to_the_api_is_recorded_as_from_the_api(client, uk_campaign, fake_stripe):
    assert give(client, uk_gift()).status_code == 201

    assert GiftAidDeclaration.objects.get().source == GiftAidDeclaration.Source.API


def test_a_uk_gift_without_gift_aid_records_no_declaration_and_says_so(client, uk_campaign, fake_stripe):
    response = give(client, uk_gift(gift_aid=False))

    assert response.status_code == 201
    assert not GiftAidDeclaration.objects.exists()
    assert client.get(f"/api/donations/{response.json()['id']}/").json()["gift_aid"] is False


def test_gift_aid_without_the_street_line_and_postcode_names_each_and_writes_nothing(client, uk_campaign, fake_stripe):
    response = give(client, uk_gift(donor__address={"city": "London", "country": "GB"}))

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"donor.address.line1", "donor.address.postal_code"} <= set(errors)
    assert "gift_aid" not in errors
    assert nothing_written(fake_stripe)


@pytest.mark.parametrize(
    "address, field, message",
    [
        ({**UK_ADDRESS, "postal_code": "62701"}, "donor.address.postal_code", "Enter a UK postcode, such as SW1A 1AA."),
        (
            {**UK_ADDRESS, "country": "FR", "postal_code": "SW1A 2AA"},
            "donor.address.country",
            "Gift Aid needs a UK home address: choose United Kingdom (GB).",
        ),
    ],
)
def test_gift_aid_needs_a_uk_postcode_and_a_uk_address(client, uk_campaign, fake_stripe, address, field, message):
    response = give(client, uk_gift(donor__address=address))

    assert response.status_code == 400
    assert response.json()["errors"] == {field: [message]}
    assert nothing_written(fake_stripe)


def test_gift_aid_on_a_campaign_whose_charity_is_not_british_is_a_400_keyed_gift_aid_writing_nothing(
    client, campaign, fake_stripe
):
    response = give(client, gift_body(gift_aid=True))

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "gift_aid": ["This campaign's charity does not claim Gift Aid: only UK charities can."]
    }
    assert nothing_written(fake_stripe)


def test_gift_aid_on_an_organisations_gift_is_refused(client, uk_campaign, fake_stripe):
    response = give(client, uk_gift(donor__organization="Acme Ltd"))

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "gift_aid": ["Gift Aid is for gifts from UK taxpayers themselves, not from an organisation."]
    }
    assert nothing_written(fake_stripe)


def test_gift_aid_must_be_true_or_false(client, uk_campaign, fake_stripe):
    response = give(client, uk_gift(gift_aid="yes"))

    assert response.json()["errors"] == {"gift_aid": ["Must be true or false."]}
    assert nothing_written(fake_stripe)


def test_a_uk_acknowledgement_is_in_uk_words_and_says_the_gift_is_gift_aided(
    client, uk_campaign, fake_stripe, django_capture_on_commit_callbacks
):
    give_and_send(client, uk_gift(), django_capture_on_commit_callbacks)

    facts = documents.ReceiptFacts.from_record(Receipt.objects.get().record)
    declared = GiftAidDeclaration.objects.get().declared_at
    assert facts.gift_aid == f"Yes, under your declaration of {declared.day} {declared:%B %Y}"
    assert ("Gift Aid", facts.gift_aid) in facts.rows
    assert facts.title == "Donation acknowledgement"
    [email] = mail.outbox
    html = email.alternatives[0][0]
    assert "Registered charity number: 1123456" in email.body
    assert "Registered charity number: 1123456" in html
    for text in (email.subject, email.body, html):
        for us_word in ("tax-exempt", "EIN", "deductible", "official receipt"):
            assert us_word not in text
    assert "Thank you for your donation to Freedom Now UK" in email.subject
    assert "You asked Freedom Now UK to claim Gift Aid on this gift" in email.body
    assert "/gift-aid/cancel/" in email.body and "/gift-aid/cancel/" in html


def test_a_uk_acknowledgement_writes_its_dates_the_uk_way_and_asks_to_be_kept_with_records_not_a_tax_return(
    client, uk_campaign, fake_stripe, django_capture_on_commit_callbacks
):
    give_and_send(client, uk_gift(), django_capture_on_commit_callbacks)

    today = timezone.localdate()
    facts = documents.ReceiptFacts.from_record(Receipt.objects.get().record)
    pdf = PdfReader(BytesIO(mail.outbox[0].attachments[0][1])).pages[0].extract_text()
    assert facts.gift_date == facts.issued_date == f"{today.day} {today:%B} {today.year}"
    assert f"{today.day} {today:%B} {today.year}" in pdf
    assert "Please keep this acknowledgement with your records." in pdf
    assert "tax records" not in pdf


def test_a_uk_acknowledgement_without_a_declaration_says_the_gift_is_not_gift_aided_and_has_no_cancel_link(
    client, uk_campaign, fake_stripe, django_capture_on_commit_callbacks
):
    give_and_send(client, uk_gift(gift_aid=False), django_capture_on_commit_callbacks)

    facts = documents.ReceiptFacts.from_record(Receipt.objects.get().record)
    assert facts.gift_aid == "No"
    [email] = mail.outbox
    assert "This gift is not Gift Aided." in email.body
    assert "/gift-aid/cancel/" not in email.body


def cancel_link(email) -> str:
    return re.search(r"https://give\.freedomnow\.example(/gift-aid/cancel/[^/\s]+/)", email.body).group(1)


def test_a_donor_cancels_their_declaration_through_the_link_after_confirming(
    client, uk_campaign, fake_stripe, django_capture_on_commit_callbacks
):
    give_and_send(client, uk_gift(), django_capture_on_commit_callbacks)
    link = cancel_link(mail.outbox[0])
    browser = Client(enforce_csrf_checks=True)

    asked = browser.get(link)

    assert asked.status_code == 200
    assert WORDING in asked.content.decode()
    assert GiftAidDeclaration.objects.get().cancelled_at is None  # a GET only asks

    forged = browser.post(link)  # no CSRF token: another site cannot cancel it
    assert forged.status_code == 403
    assert GiftAidDeclaration.objects.get().cancelled_at is None

    confirmed = browser.post(link, {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})

    assert confirmed.status_code == 302
    declaration = GiftAidDeclaration.objects.get()
    assert declaration.cancelled_at is not None
    assert declaration.cancellation_source == GiftAidDeclaration.CancellationSource.DONOR_LINK
    assert "is cancelled" in browser.get(link).content.decode()


def test_a_used_link_changes_nothing_more_and_a_forged_link_is_a_clear_404(client, uk_campaign, fake_stripe):
    declaration = GiftAidDeclarationFactory(entity=uk_campaign.receipting_entity)
    link = gift_aid_cancel_url(declaration).removeprefix("https://give.freedomnow.example")
    client.post(link)
    first = GiftAidDeclaration.objects.get().cancelled_at

    assert client.post(link).status_code == 302
    assert GiftAidDeclaration.objects.get().cancelled_at == first

    forged = client.get(link[:-3] + "xx/")
    assert forged.status_code == 404
    assert "This link does not work" in forged.content.decode()
    guessed = client.get(f"/gift-aid/cancel/{declaration.public_id}/")
    assert guessed.status_code == 404


def test_a_cancelled_declaration_leaves_no_cancel_link_in_later_acknowledgements(
    client, uk_campaign, fake_stripe, django_capture_on_commit_callbacks
):
    GiftAidDeclarationFactory(
        donor__email="ada@example.org",
        entity=uk_campaign.receipting_entity,
        cancelled_at=timezone.now(),
        cancellation_source="staff",
    )

    give_and_send(client, uk_gift(gift_aid=False), django_capture_on_commit_callbacks)

    assert documents.ReceiptFacts.from_record(Receipt.objects.get().record).gift_aid == "No"
    assert "/gift-aid/cancel/" not in mail.outbox[0].body


def test_finance_cancels_a_declaration_from_the_admin_and_the_cancellation_names_them(client, uk_campaign):
    declaration = GiftAidDeclarationFactory(entity=uk_campaign.receipting_entity)
    finance = UserFactory(is_staff=True, email="finance@example.org")
    finance.groups.add(Group.objects.get(name=FINANCE_GROUP))
    log_in(client, finance)

    response = client.post(
        "/admin/donations/giftaiddeclaration/",
        {"action": "cancel_declarations", "_selected_action": [declaration.pk]},
        follow=True,
    )

    assert response.status_code == 200
    declaration.refresh_from_db()
    assert declaration.cancellation_source == GiftAidDeclaration.CancellationSource.STAFF
    assert declaration.cancelled_by == "finance@example.org"
    assert declaration.cancelled_at is not None
    assert GiftAidDeclaration.objects.filter(pk=declaration.pk).exists()  # recorded, never deleted


@pytest.mark.parametrize(
    "given, normalised",
    [("sw1a2aa", "SW1A 2AA"), (" M1 1AE ", "M1 1AE"), ("b338th", "B33 8TH"), ("62701", None), ("SW1A 2A", None)],
)
def test_uk_postcodes_are_checked_and_written_in_capitals_with_their_space(given, normalised):
    assert gift_aid.normalised_postcode(given) == normalised


@pytest.mark.parametrize(
    "line1, house",
    [("10 Downing Street", "10"), ("12A High Street", "12A"), ("Rose Cottage, Church Lane", "Rose Cottage")],
)
def test_the_house_name_or_number_comes_from_the_first_line(line1, house):
    assert gift_aid.house_name_or_number(line1) == house


def test_only_a_uk_campaigns_donate_form_offers_gift_aid_with_hmrcs_wording_tied_to_its_checkbox(client, uk_campaign):
    page = client.get("/campaigns/dressember-2026/").content.decode()

    assert 'aria-describedby="gift-aid-declaration gift-aid-hint gift-aid-error"' in page
    declaration = re.search(r'<p id="gift-aid-declaration">(.*?)</p>', page).group(1)
    amount = re.search(r'<strong id="gift-aid-amount">([^<]+)</strong>', declaration).group(1)
    assert re.sub(r"<[^>]+>", "", declaration) == WORDING.replace("£50.00", amount)

    CampaignFactory(slug="us-campaign")
    assert 'id="gift-aid"' not in client.get("/campaigns/us-campaign/").content.decode()


def test_a_refunded_gift_aided_gifts_notice_says_gift_aid_will_not_be_claimed_or_will_be_repaid(
    client, uk_campaign, fake_stripe, django_capture_on_commit_callbacks
):
    give_and_send(client, uk_gift(), django_capture_on_commit_callbacks)
    gift = Donation.objects.get()
    number = Receipt.objects.get().number
    mail.outbox = []

    with django_capture_on_commit_callbacks(execute=True):
        pay_through_services(gift, refunded_minor=gift.charged_minor)

    [notice] = mail.outbox
    assert notice.subject == f"Acknowledgement {number} from Freedom Now UK no longer stands"
    assert "We will not claim Gift Aid on it, and if we already have, we will repay it to HMRC." in notice.body
    assert "tax records" not in notice.body
