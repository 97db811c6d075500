from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from campaigns.models import Campaign, Fund, Fundraiser, ReceiptingEntity, Team
from donations import selectors
from donations.models import Donation
from receipts.models import Receipt

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """The demo's pictures are written here, not into the checkout."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_seed_demo_creates_the_dressember_campaign_and_prints_logins(capsys):
    call_command("seed_demo")

    campaign = Campaign.objects.get(slug="dressember-2026")
    assert (campaign.title, campaign.goal_minor, campaign.currency) == ("Dressember 2026", 250_000_00, "usd")
    assert campaign.is_open()
    assert set(Fund.objects.values_list("slug", flat=True)) == {"rescue", "aftercare", "general"}
    assert Team.objects.filter(campaign=campaign).count() >= 2
    assert Fundraiser.objects.filter(campaign=campaign, team__isnull=False).count() >= 3
    out = capsys.readouterr().out
    assert "/campaigns/dressember-2026/" in out
    assert authenticate(username="captain@hopefund.example", password="hopefund-demo") is not None
    assert authenticate(username="finance@hopefund.example", password="hopefund-demo").is_staff


@pytest.mark.parametrize(
    ("slug", "currency", "country", "statement_year_start"),
    [("dressember-2026-canada", "cad", "CA", "01-01"), ("dressember-2026-uk", "gbp", "GB", "04-06")],
)
def test_seed_demo_creates_the_canadian_and_uk_campaigns_received_by_their_own_entities(
    slug, currency, country, statement_year_start
):
    call_command("seed_demo")

    campaign = Campaign.objects.get(slug=slug)
    entity = campaign.receipting_entity
    assert (campaign.currency, campaign.is_open()) == (currency, True)
    assert (entity.country, entity.statement_year_start) == (country, statement_year_start)
    assert entity.tax_number and entity.place_of_issue and entity.signatory_name and entity.signature
    assert campaign.needs_donor_address
    assert set(campaign.funds.values_list("slug", flat=True)) == {"rescue", "aftercare", "general"}
    assert Team.objects.filter(campaign=campaign).exists()
    # The first campaign stays the settings' own organisation's.
    assert Campaign.objects.get(slug="dressember-2026").receipting_entity is None


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo")
    counts = [model.objects.count() for model in (Campaign, Team, Fundraiser, Fund, ReceiptingEntity)]

    call_command("seed_demo")

    assert [model.objects.count() for model in (Campaign, Team, Fundraiser, Fund, ReceiptingEntity)] == counts


def test_the_demo_campaign_is_published_and_its_logins_are_verified():
    call_command("seed_demo")

    assert Campaign.objects.get(slug="dressember-2026").status == Campaign.Status.ACTIVE
    for login in ("captain@hopefund.example", "finance@hopefund.example"):
        assert authenticate(username=login, password="hopefund-demo").email_verified_at is not None


def test_seed_demo_gives_a_few_dozen_gifts_over_the_past_weeks_counted_as_the_ledger_says(media):
    call_command("seed_demo")

    campaign = Campaign.objects.get(slug="dressember-2026")
    gifts = Donation.objects.filter(campaign=campaign)
    assert 30 <= gifts.count() <= 60
    assert selectors.counters_out_of_step(campaign_id=campaign.pk) == {}
    assert selectors.counter_tally(campaign_id=campaign.pk).raised_minor == sum(
        gifts.values_list("amount_minor", flat=True)
    )
    # Spread over weeks, pages and funds, some without the donor's name.
    days = {gift.succeeded_at.date() for gift in gifts}
    assert max(days) - min(days) >= timedelta(weeks=3) and max(days) <= timezone.localdate()
    assert gifts.filter(fundraiser__isnull=False).exists() and gifts.filter(team__isnull=True).exists()
    assert gifts.filter(team__isnull=False, fundraiser__isnull=True).exists()
    assert set(gifts.values_list("fund__slug", flat=True)) == {"rescue", "aftercare", "general"}
    assert gifts.filter(anonymous=True).exists() and gifts.filter(anonymous=False).exists()
    assert all(gift.status == Donation.Status.SUCCEEDED for gift in gifts)


def test_every_demo_gift_has_exactly_one_receipt(media):
    call_command("seed_demo")

    gifts = Donation.objects.filter(campaign__slug="dressember-2026")
    assert gifts.exists()
    assert {gift.receipts.count() for gift in gifts} == {1}
    assert Receipt.objects.count() == gifts.count()
    assert all(gift.receipt_number for gift in gifts)


def test_seed_demo_twice_gives_the_gifts_once(media):
    call_command("seed_demo")
    gifts, receipts = Donation.objects.count(), Receipt.objects.count()
    campaign = Campaign.objects.get(slug="dressember-2026")
    raised = selectors.counter_tally(campaign_id=campaign.pk).raised_minor

    call_command("seed_demo")

    assert (Donation.objects.count(), Receipt.objects.count()) == (gifts, receipts)
    assert selectors.counter_tally(campaign_id=campaign.pk).raised_minor == raised
    assert selectors.counters_out_of_step(campaign_id=campaign.pk) == {}


def test_the_demo_campaign_and_its_teams_have_pictures_made_once(media):
    call_command("seed_demo")
    campaign = Campaign.objects.get(slug="dressember-2026")

    def pictures():
        return [
            *Campaign.objects.order_by("pk").values_list("hero_image", flat=True),
            *Team.objects.order_by("pk").values_list("photo", flat=True),
        ]

    first = pictures()
    with Image.open(campaign.hero_image.path) as hero:
        assert hero.size == (1200, 630)

    call_command("seed_demo")

    assert pictures() == first
    assert all(first) and len(list(media.rglob("*.jpg"))) == len(first)


def test_the_demo_campaign_page_shows_its_picture_gifts_and_leaderboards(client, media):
    call_command("seed_demo")

    page = client.get("/campaigns/dressember-2026/").content.decode()

    campaign = Campaign.objects.get(slug="dressember-2026")
    assert f'<img class="hero" src="{campaign.hero_image.url}"' in page
    assert f'<meta property="og:image" content="{settings.SITE_URL}{campaign.hero_image.url}">' in page
    assert 'data-testid="donor-count">0<' not in page
    assert '<ul class="gift-list">' in page and "Team leaderboard" in page


def test_the_demo_campaign_offers_presets_that_say_what_each_gift_does(client, media):
    from campaigns.models import AmountPreset

    call_command("seed_demo")
    call_command("seed_demo")

    campaign = Campaign.objects.get(slug="dressember-2026")
    presets = list(AmountPreset.objects.filter(campaign=campaign))
    assert [preset.amount_minor for preset in presets] == [2500, 5000, 10000, 25000]
    assert all(preset.impact_text for preset in presets)
    for preset in presets:
        preset.full_clean()
    html = client.get("/campaigns/dressember-2026/").content.decode()
    assert "pays for a week of aftercare in a safe shelter" in html
    assert "rescue operation" in html
