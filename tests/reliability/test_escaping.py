"""HTML and script in every free text people type, on every page and email
that shows it. One world has each field planted with its own payload
(`<script>`, an attribute break-out with an onerror handler, template
braces); PLACES says where each field shows. On an HTML page or email the
payload must never appear as sent and must appear escaped; in a plain-text
email it must appear as typed (not double-escaped into &lt;). A new field
or page is one line in FIELDS or PLACES."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.html import escape

from campaigns.models import CampaignUpdate
from finance.imports import reader, runner
from finance.models import AuditLogEntry
from finance.services.permissions import FINANCE_GROUP
from receipts.models import CampaignBenefit, ImpactUpdate
from receipts.services import impact_updates
from tests.auth import log_in
from tests.factories import DonationFactory, DonorFactory, UserFactory
from tests.finance.import_files import csv_bytes, gift_row
from tests.receipts.test_receipt_documents import attached_pdf, pdf_text

pytestmark = pytest.mark.django_db


def payload(field: str) -> str:
    """The field's own payload, short enough for a 100-character name."""
    tag = f"f{FIELDS.index(field)}"
    return f'<script>alert("{tag}")</script>"><img src=x onerror=alert("{tag}")>{{{{ {tag} }}}}'


# Each free-text field, planted with payload(field).
FIELDS = (
    "campaign.title",
    "campaign.story",
    "team.name",
    "team.story",
    "fundraiser.name",
    "fundraiser.story",
    "donor.first_name",
    "donor.last_name",
    "donor.address_line1",
    "donor.city",
    "gift.message",
    "campaign_update.title",
    "campaign_update.body",
    "team_update.title",
    "team_update.body",
    "impact_update.title",
    "impact_update.body",
    "fund.name",
    "fund.description",
    "benefit.description",
    "import.file_name",
    "import.cell",
)

CAMPAIGN = "/campaigns/dressember-2026/"
TEAM = CAMPAIGN + "teams/freedom-threads/"
FUNDRAISER = CAMPAIGN + "fundraisers/ada-lee/"

# Where each field shows: page or email -> the fields it shows.
PLACES = {
    "home page": ("campaign.title",),
    "campaign page": (
        "campaign.title",
        "campaign.story",
        "team.name",
        "donor.first_name",
        "gift.message",
        "campaign_update.title",
        "campaign_update.body",
        "fund.name",
        "fund.description",
    ),
    "team page": (
        "team.name",
        "team.story",
        "donor.first_name",
        "gift.message",
        "team_update.title",
        "team_update.body",
    ),
    "fundraiser page": ("fundraiser.name", "fundraiser.story", "donor.first_name", "gift.message"),
    "team dashboard": ("team.name", "donor.first_name", "gift.message"),
    "fundraiser dashboard": ("fundraiser.name", "donor.first_name", "gift.message"),
    "admin gift list": ("donor.first_name",),
    # A rejected import names the bad cell's text in its error.
    "finance import page": ("import.file_name", "import.cell"),
    **dict.fromkeys(
        ("receipt email (HTML)", "receipt email (text)", "receipt PDF (text)"),
        (
            "campaign.title",
            "donor.first_name",
            "donor.last_name",
            "donor.address_line1",
            "donor.city",
            "fund.name",
            "benefit.description",
        ),
    ),
    "impact update email (HTML)": ("impact_update.title", "impact_update.body"),
    "impact update email (text)": ("impact_update.title", "impact_update.body"),
}


@pytest.fixture
def world(campaign, team, fundraiser, funds, mailoutbox, django_capture_on_commit_callbacks):
    """Every field of FIELDS planted; the gift paid and receipted, an impact
    update sent to its donor."""
    funds["aftercare"].name, funds["aftercare"].description = payload("fund.name"), payload("fund.description")
    funds["aftercare"].save()
    CampaignBenefit.objects.create(campaign=campaign, description=payload("benefit.description"), value_minor=100)
    for obj, prefix in ((campaign, "campaign"), (team, "team"), (fundraiser, "fundraiser")):
        obj.story = payload(f"{prefix}.story")
        name = "title" if prefix == "campaign" else "name"
        setattr(obj, name, payload(f"{prefix}.{name}"))
        obj.save()
    captain = UserFactory(email="cap@example.org")
    team.captains.add(captain)
    fundraiser.owner = UserFactory(email="owner@example.org")
    fundraiser.save()
    donor = DonorFactory(
        email="ada@example.org",
        with_address=True,
        **{field: payload(f"donor.{field}") for field in ("first_name", "last_name", "address_line1", "city")},
    )
    with django_capture_on_commit_callbacks(execute=True):
        DonationFactory(
            succeeded=True,
            through_services=True,
            campaign=campaign,
            team=team,
            fundraiser=fundraiser,
            fund=funds["aftercare"],
            donor=donor,
            message=payload("gift.message"),
        )
    for scope, page in (("campaign_update", None), ("team_update", team)):
        CampaignUpdate.objects.create(
            campaign=campaign, team=page, title=payload(f"{scope}.title"), body=payload(f"{scope}.body")
        )
    update = ImpactUpdate.objects.create(
        title=payload("impact_update.title"), body=payload("impact_update.body"), audience=ImpactUpdate.Audience.ALL
    )
    with django_capture_on_commit_callbacks(execute=True):
        impact_updates.start_sending_update(update_id=update.pk)
    rejected = runner.create_gift_import(
        file_name=payload("import.file_name"),
        import_file=reader.read_import_file(csv_bytes([gift_row(1, fundraiser=payload("import.cell"))])),
        dry_run=False,
    )
    runner.run_import(gift_import_id=rejected.pk, channel=AuditLogEntry.Channel.COMMAND)
    finance = UserFactory(is_staff=True)
    finance.groups.add(Group.objects.get(name=FINANCE_GROUP))
    return {
        "captain": captain,
        "owner": fundraiser.owner,
        "finance": finance,
        "import": reverse("finance:import-detail", args=[rejected.public_id]),
        "mail": mailoutbox,
    }


def email(world, subject_part: str, kind: str) -> str:
    """The one email whose subject holds `subject_part` (an update's
    subject is its title, as typed)."""
    [message] = [m for m in world["mail"] if subject_part in m.subject]
    if kind == "text":
        return message.body
    [(html, _)] = [alt for alt in message.alternatives if alt[1] == "text/html"]
    return html


def page(client, path: str, user=None) -> str:
    if user is not None:
        client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


RENDER = {
    "home page": lambda world, client, admin: page(client, "/"),
    "campaign page": lambda world, client, admin: page(client, CAMPAIGN),
    "team page": lambda world, client, admin: page(client, TEAM),
    "fundraiser page": lambda world, client, admin: page(client, FUNDRAISER),
    "team dashboard": lambda world, client, admin: page(client, TEAM + "manage/", world["captain"]),
    "fundraiser dashboard": lambda world, client, admin: page(client, FUNDRAISER + "manage/", world["owner"]),
    "finance import page": lambda world, client, admin: page(log_in(client, world["finance"]), world["import"]),
    "admin gift list": lambda world, client, admin: page(log_in(client, admin), "/admin/donations/donation/"),
    "receipt email (HTML)": lambda world, client, admin: email(world, "receipt", "html"),
    "receipt email (text)": lambda world, client, admin: email(world, "receipt", "text"),
    "receipt PDF (text)": lambda world, client, admin: pdf_text(
        attached_pdf(next(m for m in world["mail"] if "receipt" in m.subject))
    ),
    "impact update email (HTML)": lambda world, client, admin: email(world, payload("impact_update.title"), "html"),
    "impact update email (text)": lambda world, client, admin: email(world, payload("impact_update.title"), "text"),
}


def test_every_field_shows_somewhere_and_every_place_can_be_rendered():
    assert set(FIELDS) == {field for fields in PLACES.values() for field in fields}
    assert set(PLACES) == set(RENDER)


@pytest.mark.parametrize("place", PLACES)
def test_html_and_script_in_free_text_is_escaped_on_every_page_and_html_email_and_plain_in_text_email(
    client, admin_user, world, place
):
    shown = RENDER[place](world, client, admin_user)

    for field in PLACES[place]:
        planted = payload(field)
        if place.endswith("(text)"):
            assert planted in shown, f"{field} on {place}"
            assert escape(planted) not in shown, f"{field} double-escaped on {place}"
        else:
            assert planted not in shown, f"{field} unescaped on {place}"
            assert escape(planted) in shown, f"{field} missing on {place}"
    assert "<script>alert(" not in shown or place.endswith("(text)")
