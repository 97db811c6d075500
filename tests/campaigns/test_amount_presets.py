"""A campaign's amount presets, each with a line saying what it does: kept
to amounts donors can give, at most six and each once, shown on every
giving page as a radio group whose impact text is read with each amount,
the defaults where a campaign has none, on the next page load after an
edit, and in the same number of queries however many there are."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from campaigns.models import MAX_AMOUNT_PRESETS, AmountPreset, Campaign
from tests.auth import log_in
from tests.campaigns.test_page_cache import anonymous, draw_queries, shared
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CAMPAIGN = "/campaigns/dressember-2026/"
CHANGE = "/admin/campaigns/campaign/{}/change/"


def presets_shown(html: str) -> list[tuple[str, str]]:
    """(amount, impact text) of each preset radio, in the page's order; the
    impact text is what the radio's aria-describedby names."""
    shown = []
    for radio in re.findall(r'<input type="radio" name="preset"[^>]*>', html):
        named = re.search(r'aria-labelledby="([^"]+)"', radio).group(1)
        amount = re.search(rf'id="{named}"[^>]*>([^<]+)<', html).group(1)
        described = re.search(r'aria-describedby="([^"]+)"', radio)
        impact = re.search(rf'id="{described.group(1)}"[^>]*>([^<]+)<', html).group(1) if described else ""
        shown.append((amount, impact))
    return shown


def checked_preset(html: str) -> str:
    return re.search(r'name="preset" value="(\d+)" checked', html).group(1)


def add_presets(campaign, *amounts_and_impacts):
    for position, (amount_minor, impact) in enumerate(amounts_and_impacts):
        AmountPreset.objects.create(campaign=campaign, amount_minor=amount_minor, impact_text=impact, position=position)


# --- Validation -----------------------------------------------------------


def test_a_preset_below_the_campaigns_minimum_gift_is_refused(campaign, settings):
    settings.MIN_GIFT_MINOR = {**settings.MIN_GIFT_MINOR, "usd": 1000}

    with pytest.raises(ValidationError) as refused:
        AmountPreset(campaign=campaign, amount_minor=999).full_clean()

    assert refused.value.message_dict["amount_minor"] == [
        "Presets must be gifts donors can make: between $10.00 and $50,000.00."
    ]
    AmountPreset(campaign=campaign, amount_minor=1000).full_clean()


def test_a_preset_above_the_largest_gift_is_refused_in_the_campaigns_currency(campaign):
    campaign.currency = "gbp"
    campaign.save()

    with pytest.raises(ValidationError) as refused:
        AmountPreset(campaign=campaign, amount_minor=5_000_001).full_clean()

    assert "£50,000.00" in refused.value.message_dict["amount_minor"][0]


def test_a_campaign_offers_each_amount_once(campaign):
    AmountPreset.objects.create(campaign=campaign, amount_minor=5000)

    with pytest.raises(ValidationError) as refused:
        AmountPreset(campaign=campaign, amount_minor=5000).full_clean()
    assert "This campaign already offers this amount." in str(refused.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        AmountPreset.objects.create(campaign=campaign, amount_minor=5000)


# --- The pages --------------------------------------------------------------


def test_a_campaign_without_presets_offers_the_defaults_with_fifty_checked(client, campaign):
    html = client.get(CAMPAIGN).content.decode()

    assert presets_shown(html) == [("$25.00", ""), ("$50.00", ""), ("$100.00", ""), ("$250.00", "")]
    assert checked_preset(html) == "5000"


@pytest.mark.parametrize("page", ["campaign", "team", "fundraiser"])
def test_every_giving_page_shows_the_campaigns_presets_each_described_by_its_impact(
    client, campaign, team, fundraiser, page
):
    add_presets(campaign, (3500, "pays for a week of aftercare"), (10000, ""), (2000, "buys school books"))
    url = {"campaign": CAMPAIGN, "team": team.get_absolute_url(), "fundraiser": fundraiser.get_absolute_url()}[page]

    html = client.get(url).content.decode()

    assert presets_shown(html) == [
        ("$35.00", "pays for a week of aftercare"),
        ("$100.00", ""),
        ("$20.00", "buys school books"),
    ]
    # The second is checked, as 50 is among the defaults.
    assert checked_preset(html) == "10000"
    assert "Other amount" in html


def test_presets_are_shown_in_the_campaigns_currency(client, campaign):
    campaign.currency = "gbp"
    campaign.save()
    add_presets(campaign, (1500, "a night of safe shelter"))

    html = client.get(CAMPAIGN).content.decode()

    assert presets_shown(html) == [("£15.00", "a night of safe shelter")]
    assert checked_preset(html) == "1500"


def test_a_preset_below_a_raised_minimum_gift_is_no_longer_offered(client, campaign, settings):
    add_presets(campaign, (500, "too small now"), (2500, "still fine"))
    settings.MIN_GIFT_MINOR = {**settings.MIN_GIFT_MINOR, "usd": 1000}

    assert presets_shown(client.get(CAMPAIGN).content.decode()) == [("$25.00", "still fine")]


def test_impact_text_is_escaped(client, campaign):
    add_presets(campaign, (5000, "<script>alert(1)</script>"))

    html = client.get(CAMPAIGN).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- Caching and queries ----------------------------------------------------


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.mark.parametrize("page", ["campaign", "team", "fundraiser"])
def test_a_preset_added_changed_or_deleted_shows_on_the_next_page_load(campaign, team, fundraiser, committed, page):
    url = {"campaign": CAMPAIGN, "team": team.get_absolute_url(), "fundraiser": fundraiser.get_absolute_url()}[page]
    assert ("$100.00", "") in presets_shown(shared(url))

    with committed():
        preset = AmountPreset.objects.create(campaign=campaign, amount_minor=7500, impact_text="a month of school")
    assert presets_shown(anonymous(url).content.decode()) == [("$75.00", "a month of school")]

    shared(url)
    with committed():
        preset.impact_text = "two months of school"
        preset.save()
    assert presets_shown(anonymous(url).content.decode()) == [("$75.00", "two months of school")]

    shared(url)
    with committed():
        preset.delete()
    assert ("$100.00", "") in presets_shown(anonymous(url).content.decode())


def test_a_page_runs_as_many_queries_with_six_presets_as_with_none(campaign, team, fundraiser):
    urls = [CAMPAIGN, team.get_absolute_url(), fundraiser.get_absolute_url()]
    without = [draw_queries(url) for url in urls]
    add_presets(campaign, *((1000 * (n + 1), f"impact {n}") for n in range(MAX_AMOUNT_PRESETS)))

    assert [draw_queries(url) for url in urls] == without


# --- The admin ----------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    return log_in(client, UserFactory(email="staff@example.org", is_staff=True, is_superuser=True))


def campaign_form(campaign: Campaign, presets: list[dict], *, initial: int = 0) -> dict:
    """The campaign's change form as the admin posts it, with `presets` as
    the inline's rows (the first `initial` of them already saved)."""
    data = {
        "slug": campaign.slug,
        "title": campaign.title,
        "story": campaign.story,
        "goal_minor": str(campaign.goal_minor),
        "currency": campaign.currency,
        "status": campaign.status,
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "default_fund": "",
        "amount_presets-TOTAL_FORMS": str(len(presets)),
        "amount_presets-INITIAL_FORMS": str(initial),
        "amount_presets-MIN_NUM_FORMS": "0",
        "amount_presets-MAX_NUM_FORMS": str(MAX_AMOUNT_PRESETS),
        "teams-TOTAL_FORMS": "0",
        "teams-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    if campaign.donor_address_required:
        data["donor_address_required"] = "on"
    for n, row in enumerate(presets):
        for name, value in row.items():
            data[f"amount_presets-{n}-{name}"] = value
        data.setdefault(f"amount_presets-{n}-campaign", str(campaign.pk))
    return data


def test_staff_edit_presets_in_the_campaign_admin_and_the_page_changes(staff_client, campaign):
    assert "amount_presets-TOTAL_FORMS" in staff_client.get(CHANGE.format(campaign.pk)).content.decode()

    saved = staff_client.post(
        CHANGE.format(campaign.pk),
        campaign_form(
            campaign,
            [
                {"amount_minor": "4000", "impact_text": "pays for a week of aftercare", "position": "1"},
                {"amount_minor": "15000", "impact_text": "funds a day of a rescue operation", "position": "2"},
            ],
        ),
    )
    assert saved.status_code == 302, saved.content.decode()
    assert presets_shown(anonymous(CAMPAIGN).content.decode()) == [
        ("$40.00", "pays for a week of aftercare"),
        ("$150.00", "funds a day of a rescue operation"),
    ]

    first, second = AmountPreset.objects.order_by("position")
    removed = staff_client.post(
        CHANGE.format(campaign.pk),
        campaign_form(
            campaign,
            [
                {"id": str(first.pk), "amount_minor": "4000", "impact_text": "a week of aftercare", "position": "1"},
                {"id": str(second.pk), "amount_minor": "15000", "impact_text": "", "position": "2", "DELETE": "on"},
            ],
            initial=2,
        ),
    )
    assert removed.status_code == 302
    assert presets_shown(anonymous(CAMPAIGN).content.decode()) == [("$40.00", "a week of aftercare")]


@pytest.mark.parametrize(
    "rows, complaint",
    [
        pytest.param(
            [{"amount_minor": "499", "impact_text": "", "position": "0"}],
            "Presets must be gifts donors can make: between $5.00 and $50,000.00.",
            id="below-the-minimum",
        ),
        pytest.param(
            [
                {"amount_minor": "5000", "impact_text": "", "position": "0"},
                {"amount_minor": "5000", "impact_text": "again", "position": "1"},
            ],
            "Please correct the duplicate data for amount_minor",
            id="the-same-amount-twice",
        ),
        pytest.param(
            [{"amount_minor": str(1000 * (n + 1)), "impact_text": "", "position": str(n)} for n in range(7)],
            "A campaign offers at most 6 amounts; remove 1.",
            id="seven-presets",
        ),
    ],
)
def test_the_admin_refuses_presets_donors_could_not_use_and_saves_nothing(staff_client, campaign, rows, complaint):
    response = staff_client.post(CHANGE.format(campaign.pk), campaign_form(campaign, rows))

    assert response.status_code == 200
    assert complaint in response.content.decode()
    assert not AmountPreset.objects.exists()


def test_a_new_campaigns_presets_are_checked_against_its_currency_as_posted(staff_client, funds, settings):
    settings.MIN_GIFT_MINOR = {**settings.MIN_GIFT_MINOR, "gbp": 300}
    new = Campaign(slug="spring", title="Spring", goal_minor=100000, currency="gbp", status="active")

    def add(amount_minor: str):
        rows = [{"amount_minor": amount_minor, "impact_text": "a hot meal", "position": "0", "campaign": ""}]
        return staff_client.post("/admin/campaigns/campaign/add/", campaign_form(new, rows))

    refused = add("250")
    assert refused.status_code == 200
    assert "between £3.00 and £50,000.00" in refused.content.decode()
    assert not Campaign.objects.filter(slug="spring").exists()
    assert add("300").status_code == 302
    assert list(Campaign.objects.get(slug="spring").amount_presets.values_list("amount_minor", flat=True)) == [300]
