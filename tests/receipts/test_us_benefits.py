"""What a US receipt says the donor received in return (IRS Publication
1771): the quid pro quo disclosure, with the good-faith estimate and the
deductible amount, only on the gifts whose givers received the benefit (a
campaign's, above its minimum, never on a monthly renewal; or the gift's
own, recorded with an offline gift, which wins), kept by corrections, and
the intangible religious benefits statement for entities that choose it."""

from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader

from donations.models import Donation, RecurringPlan
from donations.services import offline
from donations.services.gifts import DonorDetails
from finance.imports import reader, runner
from finance.models import AuditLogEntry, GiftImport
from receipts.models import CampaignBenefit, Receipt
from tests.factories import ReceiptingEntityFactory
from tests.finance.import_files import HEADER, csv_bytes, gift_row
from tests.gifts import gift_body, give
from tests.stripe_events import invoice_event

pytestmark = pytest.mark.django_db

NO_BENEFIT = "No goods or services were provided in exchange for this contribution."
RELIGIOUS = (
    "The only goods or services provided in exchange for this contribution consisted entirely of "
    "intangible religious benefits."
)
LIMITED = (
    "The amount of your contribution that is deductible for federal income tax purposes is limited to the "
    "excess of the money you contributed over the value of the goods or services we provided."
)


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    # Words wrapped across lines in the PDF are compared as one line.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def documents_of(message) -> list[str]:
    """The email's text and HTML, and its PDF's text."""
    [(_name, content, _type)] = message.attachments
    return [message.body, message.alternatives[0][0], pdf_text(content)]


def statement_of(receipt: Receipt) -> str:
    return receipt.record["benefit_statement"]


def test_a_gift_over_75_dollars_with_a_benefit_states_its_value_and_the_deductible_amount_in_email_and_pdf(
    organisation, campaign, make_gift, mailoutbox
):
    CampaignBenefit.objects.create(campaign=campaign, description="a gala dinner ticket", value_minor=4000)
    make_gift(amount_minor=10000)

    [message] = mailoutbox
    for document in documents_of(message):
        assert (
            "In exchange for this contribution you received a gala dinner ticket, with an estimated fair market "
            "value of $40.00 (our good-faith estimate)." in document
        )
        assert LIMITED in document
        assert "The amount deductible for federal income tax purposes is $60.00." in document
        assert NO_BENEFIT not in document
    receipt = Receipt.objects.get()
    assert (receipt.benefit_description, receipt.benefit_value_minor) == ("a gala dinner ticket", 4000)
    assert (receipt.record["advantage"], receipt.record["eligible_amount"]) == ("$40.00", "$60.00")


def test_a_gift_of_75_dollars_or_less_with_a_benefit_still_states_its_value(
    organisation, campaign, make_gift, mailoutbox
):
    CampaignBenefit.objects.create(campaign=campaign, description="a T-shirt", value_minor=1500)
    make_gift(amount_minor=7500)

    for document in documents_of(mailoutbox[0]):
        assert "you received a T-shirt, with an estimated fair market value of $15.00" in document
        assert "The amount deductible for federal income tax purposes is $60.00." in document


def test_a_gift_below_the_campaigns_minimum_gets_no_goods_or_services_and_one_at_the_minimum_gets_the_benefit(
    organisation, campaign, make_gift
):
    CampaignBenefit.objects.create(
        campaign=campaign, description="a T-shirt", value_minor=1500, minimum_gift_minor=10000
    )
    below = make_gift(amount_minor=9999)
    at_minimum = make_gift(amount_minor=10000, donor__email="bo@example.org")

    below_receipt, at_receipt = (Receipt.objects.get(donation=gift) for gift in (below, at_minimum))
    assert (below_receipt.benefit_value_minor, statement_of(below_receipt)) == (0, NO_BENEFIT)
    assert below_receipt.record["advantage"] == ""
    assert at_receipt.benefit_value_minor == 1500
    assert "you received a T-shirt" in statement_of(at_receipt)


def monthly_receipts(client, deliver_events, django_capture_on_commit_callbacks, *, renewals: int) -> list[Receipt]:
    """The receipts of a $100 monthly gift's first month and `renewals` more, in order."""
    with django_capture_on_commit_callbacks(execute=True):
        give(client, gift_body(frequency="monthly", amount_minor=10000))
    subscription = RecurringPlan.objects.get().stripe_subscription_id
    deliver_events(
        *(invoice_event("invoice.paid", subscription_id=subscription, amount=10000) for _ in range(renewals))
    )
    assert Donation.objects.filter(status=Donation.Status.SUCCEEDED).count() == renewals + 1
    return list(Receipt.objects.order_by("donation__created_at", "donation__pk"))


def test_monthly_gifts_receive_no_benefit_of_a_campaign_that_gives_it_with_one_time_gifts_only(
    organisation, campaign, client, deliver_events, django_capture_on_commit_callbacks
):
    CampaignBenefit.objects.create(campaign=campaign, description="a gala dinner ticket", value_minor=4000)

    receipts = monthly_receipts(client, deliver_events, django_capture_on_commit_callbacks, renewals=2)

    assert [receipt.benefit_value_minor for receipt in receipts] == [0, 0, 0]
    assert [statement_of(receipt) for receipt in receipts] == [NO_BENEFIT] * 3


def test_only_the_first_monthly_gift_receives_a_benefit_the_campaign_gives_with_it_never_a_renewal(
    organisation, campaign, client, deliver_events, django_capture_on_commit_callbacks
):
    CampaignBenefit.objects.create(
        campaign=campaign,
        description="a gala dinner ticket",
        value_minor=4000,
        applies_to=CampaignBenefit.Applies.ONE_TIME_AND_FIRST_MONTHLY,
    )

    first, *renewals = monthly_receipts(client, deliver_events, django_capture_on_commit_callbacks, renewals=2)

    assert first.benefit_value_minor == 4000
    assert "The amount deductible for federal income tax purposes is $60.00." in statement_of(first)
    assert [(receipt.benefit_value_minor, statement_of(receipt)) for receipt in renewals] == [(0, NO_BENEFIT)] * 2


def run_import(rows: list[dict]) -> GiftImport:
    raw = csv_bytes(rows, header=(*HEADER, "benefit_description", "benefit_value"))
    gift_import = runner.create_gift_import(
        file_name="gifts.csv", import_file=reader.read_import_file(raw), dry_run=False
    )
    return runner.run_import(gift_import_id=gift_import.pk, channel=AuditLogEntry.Channel.COMMAND)


def test_a_benefit_recorded_on_an_offline_gift_wins_over_the_campaigns_and_is_stated_on_its_receipt(
    organisation, fundraiser
):
    CampaignBenefit.objects.create(campaign=fundraiser.campaign, description="a T-shirt", value_minor=1500)

    gift_import = run_import(
        [
            gift_row(1, amount="250.00", benefit_description="two gala dinner tickets", benefit_value="120.00"),
            gift_row(2, amount="250.00"),
        ]
    )

    assert gift_import.status == GiftImport.Status.IMPORTED, gift_import.errors
    with_ticket, without = (Receipt.objects.get(donation__donor__email=f"donor{n}@example.org") for n in (1, 2))
    assert (with_ticket.benefit_description, with_ticket.benefit_value_minor) == ("two gala dinner tickets", 12000)
    assert "you received two gala dinner tickets, with an estimated fair market value of $120.00" in (
        statement_of(with_ticket)
    )
    assert "The amount deductible for federal income tax purposes is $130.00." in statement_of(with_ticket)
    assert with_ticket.donation.benefit_value_minor == 12000
    assert (without.benefit_description, without.benefit_value_minor) == ("a T-shirt", 1500)


def test_an_offline_gift_recorded_on_its_own_states_the_benefit_recorded_with_it(organisation, campaign, funds):
    CampaignBenefit.objects.create(campaign=campaign, description="a T-shirt", value_minor=1500)
    gift = offline.OfflineGiftRequest(
        campaign=campaign,
        team=None,
        fundraiser=None,
        fund=funds["rescue"],
        amount_minor=20000,
        currency="usd",
        received_on=date(2026, 11, 2),
        donor=DonorDetails(email="bo@example.org", first_name="Bo", last_name="Chen"),
        wants_receipt=True,
        benefit_description="a gala dinner ticket",
        benefit_value_minor=9000,
    )

    donation = offline.record_offline_gift(gift=gift)

    receipt = Receipt.objects.get(donation=donation)
    assert (receipt.benefit_description, receipt.benefit_value_minor) == ("a gala dinner ticket", 9000)
    assert "The amount deductible for federal income tax purposes is $110.00." in statement_of(receipt)


def test_an_offline_benefit_worth_more_than_the_gift_is_a_row_error_and_nothing_is_written(organisation, fundraiser):
    gift_import = run_import(
        [gift_row(1), gift_row(2, amount="50.00", benefit_description="a gala dinner ticket", benefit_value="50.01")]
    )

    assert gift_import.status == GiftImport.Status.REJECTED
    assert gift_import.errors == [
        {
            "line": 3,
            "message": "benefit_value 50.01 is more than the amount 50.00; "
            "what the giver received in return cannot be worth more than the gift",
        }
    ]
    assert not Donation.objects.exists()


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"benefit_description": "a gala dinner ticket"}, "benefit_value is required with a benefit_description"),
        ({"benefit_value": "20.00"}, "benefit_description is required with a benefit_value"),
        ({"benefit_description": "a ticket", "benefit_value": "0"}, "benefit_value 0 must be more than zero"),
        ({"benefit_description": "a ticket", "benefit_value": "20.001"}, "benefit_value 20.001 has 3 decimals"),
        ({"benefit_description": "x" * 201, "benefit_value": "20.00"}, "benefit_description is longer than 200"),
    ],
)
def test_a_benefit_given_in_half_or_not_as_an_amount_is_a_row_error(organisation, fundraiser, cells, message):
    gift_import = run_import([gift_row(1, **cells)])

    assert gift_import.status == GiftImport.Status.REJECTED
    [error] = gift_import.errors
    assert message in error["message"]


def test_an_entity_that_chooses_it_states_intangible_religious_benefits_instead_of_no_goods_or_services(
    organisation, campaign, make_gift, mailoutbox
):
    campaign.receipting_entity = ReceiptingEntityFactory(intangible_religious_benefits=True)
    campaign.save()

    make_gift(amount_minor=10000)

    for document in documents_of(mailoutbox[0]):
        assert RELIGIOUS in document
        assert NO_BENEFIT not in document


def test_a_religious_entitys_gift_with_a_material_benefit_states_both(organisation, campaign, make_gift):
    campaign.receipting_entity = ReceiptingEntityFactory(intangible_religious_benefits=True)
    campaign.save()
    CampaignBenefit.objects.create(campaign=campaign, description="a retreat dinner", value_minor=3000)

    make_gift(amount_minor=10000)

    statement = statement_of(Receipt.objects.get())
    assert "you received a retreat dinner, with an estimated fair market value of $30.00" in statement
    assert "The amount deductible for federal income tax purposes is $70.00." in statement
    assert "Intangible religious benefits were also provided in exchange for this contribution." in statement


def test_a_correction_after_a_partial_refund_states_the_benefit_the_original_stated(
    organisation, campaign, make_gift, refund
):
    benefit = CampaignBenefit.objects.create(campaign=campaign, description="a gala dinner ticket", value_minor=4000)
    gift = make_gift(amount_minor=10000)
    # Changed after the gift: what the donor received then is what counts.
    benefit.value_minor, benefit.description = 100, "a pin"
    benefit.save()

    refund(gift, refunded_minor=2000)

    original, corrected = Receipt.objects.order_by("issued_at", "pk")
    assert corrected.replaces == original
    assert (corrected.benefit_description, corrected.benefit_value_minor) == ("a gala dinner ticket", 4000)
    assert "The amount deductible for federal income tax purposes is $40.00." in statement_of(corrected)
