"""Two donors who share a campaign, a team, a fundraiser and a fund: Zeb,
whose data is exported or erased, with a bit of everything a donor leaves
behind (gifts made through the API and paid by the fake Stripe, their
events delivered to the webhook, a monthly plan, a refund, receipts, a
statement, Gift Aid, consent, emails' records, an import file), and
Marigold, who must come out of it untouched."""

from dataclasses import dataclass
from datetime import datetime

import pytest
from django.core import mail

from campaigns.models import TeamInvite
from donations.models import Donation, Donor, RecurringPlan, UpdateConsent
from finance.models import AuditLogEntry, GiftAidClaim, GiftAidClaimLine, GiftImport, OfflineGift
from receipts.models import EmailSuppression, ProviderEvent, ThankYouNote, YearEndStatement
from tests import factories
from tests.gifts import gift_body, give
from tests.stripe_events import charge_event, event

ZEB = {
    "email": "zeb.quixley@example.org",
    "first_name": "Zebulon",
    "last_name": "Quixley",
    "address": {"line1": "77 Wombat Crescent", "city": "Boulder", "postal_code": "80302", "country": "US"},
}
MARIGOLD = {
    "email": "marigold.featherstone@example.net",
    "first_name": "Marigold",
    "last_name": "Featherstone",
    "address": {"line1": "3 Heron Lane", "city": "Boulder", "postal_code": "80304", "country": "US"},
}
ZEB_MESSAGE = "Sassafras and courage for every survivor"
ZEB_DEDICATION = {"kind": "memory", "name": "Ottoline Quixley", "notify_email": "ottoline.q@example.org"}
# What no table may hold once Zeb is erased.
ZEB_DETAILS = [
    ZEB["email"],
    ZEB["first_name"],
    ZEB["last_name"],
    ZEB["address"]["line1"],
    ZEB["address"]["postal_code"],
    ZEB_MESSAGE,
    ZEB_DEDICATION["name"],
    ZEB_DEDICATION["notify_email"],
]
MARIGOLD_DETAILS = [MARIGOLD["email"], MARIGOLD["first_name"], MARIGOLD["last_name"], MARIGOLD["address"]["line1"]]


@dataclass
class World:
    zeb: Donor
    marigold: Donor
    zeb_gifts: list
    marigold_gifts: list
    plan: RecurringPlan
    customer_id: str


@pytest.fixture
def world(client, fundraiser, fake_stripe, deliver_events, django_capture_on_commit_callbacks) -> World:
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        one_time = give(
            client,
            gift_body(
                donor=ZEB, fundraiser=fundraiser.slug, fund="rescue", message=ZEB_MESSAGE, dedication=ZEB_DEDICATION
            ),
        )
        monthly = give(client, gift_body(donor=ZEB, team=fundraiser.team.slug, frequency="monthly", amount_minor=2500))
        theirs = give(client, gift_body(donor=MARIGOLD, fundraiser=fundraiser.slug, fund="rescue", message="Go!"))
    assert (one_time.status_code, monthly.status_code, theirs.status_code) == (201, 201, 201), one_time.json()
    zeb, marigold = Donor.objects.get(email=ZEB["email"]), Donor.objects.get(email=MARIGOLD["email"])
    plan = RecurringPlan.objects.get(donor=zeb)
    # Stripe's side of it all, as its webhook delivers it: every event the
    # fake sent, the plan's customer (name, email), and a charge naming the
    # card holder's details.
    first = Donation.objects.get(donor=zeb, frequency="one_time")
    customer = fake_stripe.objects[plan.stripe_customer_id]
    customer["address"] = {"line1": ZEB["address"]["line1"], "postal_code": ZEB["address"]["postal_code"]}
    billing = {
        "email": ZEB["email"],
        "name": "Zebulon Quixley",
        "address": {"line1": ZEB["address"]["line1"], "city": "Boulder", "postal_code": ZEB["address"]["postal_code"]},
    }
    deliver_events(
        *fake_stripe.events,
        event("customer.created", customer),
        charge_event("charge.updated", first, billing_details=billing, receipt_email=ZEB["email"]),
    )
    with django_capture_on_commit_callbacks(execute=True):
        factories.DonationFactory(
            offline=True,
            through_services=True,
            donor=zeb,
            campaign=fundraiser.campaign,
            fund=first.fund,
            amount_minor=1000,
        )
    offline = Donation.objects.get(donor=zeb, source="offline_import")
    gift_import = GiftImport.objects.create(
        file_name="cheques.csv",
        status=GiftImport.Status.IMPORTED,
        content=(
            "date,amount,email,first_name,last_name,address_line1\n"
            f"2026-11-02,10.00,{ZEB['email']},Zebulon,Quixley,{ZEB['address']['line1']}\n"
            f"2026-11-02,20.00,{MARIGOLD['email']},Marigold,Featherstone,{MARIGOLD['address']['line1']}\n"
        ),
    )
    OfflineGift.objects.create(
        donation=offline,
        gift_import=gift_import,
        method="cheque",
        external_reference="CHQ-ZEB-1",
        received_on="2026-11-02",
        line_number=2,
    )
    UpdateConsent.objects.create(
        donor=zeb, wants_updates=True, source="donate_form", wording="Email me how my gift helps", donation=first
    )
    factories.GiftAidDeclarationFactory(
        donor=zeb, donation=first, house_name_or_number="77", address="77 Wombat Crescent, Boulder", postcode="80302"
    )
    YearEndStatement.objects.create(
        donor=zeb,
        year=2026,
        period="2026",
        record={
            "donor_name": "Zebulon Quixley",
            "donor_email": ZEB["email"],
            "donor_address_lines": ["77 Wombat Crescent", "Boulder 80302", "US"],
            "total": "$75.00",
        },
        last_error=f"550 mailbox {ZEB['email']} is full",
    )
    ThankYouNote.objects.create(
        donation=first, text="Dear Zebulon, thank you!", signed_as="Ada", page_name="Ada's Dressember", page_url="/"
    )
    ProviderEvent.objects.create(esp_name="Test", event_id="ev_zeb", event_type="bounced", recipient=ZEB["email"])
    EmailSuppression.objects.create(email=ZEB["email"], reason="unsubscribed")
    TeamInvite.objects.create(
        team=fundraiser.team, email=ZEB["email"], token_hash="a" * 64, expires_at="2099-01-01T00:00Z"
    )
    AuditLogEntry.objects.create(
        action="export", channel="admin", actor="fiona", subject="donors", filters={"email": ZEB["email"]}
    )
    first.refunds.create(amount_minor=100, status="succeeded", note="Zebulon asked for a dollar back")
    return World(
        zeb=zeb,
        marigold=marigold,
        zeb_gifts=list(Donation.objects.filter(donor=zeb).order_by("pk")),
        marigold_gifts=list(Donation.objects.filter(donor=marigold)),
        plan=plan,
        customer_id=plan.stripe_customer_id,
    )


def claim_gift_aid_on_first_gift(donor, *, on: str) -> None:
    """A Gift Aid claim made `on` that day (YYYY-MM-DD) for the donor's first gift."""
    gift = donor.donations.order_by("pk").first()
    claim = GiftAidClaim.objects.create(actor="finance")
    GiftAidClaim.objects.filter(pk=claim.pk).update(created_at=datetime.fromisoformat(f"{on}T12:00:00+00:00"))
    GiftAidClaimLine.objects.create(
        claim=claim,
        donation=gift,
        declaration=donor.gift_aid_declarations.get(),
        kind=GiftAidClaimLine.Kind.CLAIMED,
        amount_minor=gift.amount_minor,
    )
