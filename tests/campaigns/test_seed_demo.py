import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from campaigns.models import Campaign, Fund, Fundraiser, Team

pytestmark = pytest.mark.django_db


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


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo")
    counts = [model.objects.count() for model in (Campaign, Team, Fundraiser, Fund)]

    call_command("seed_demo")

    assert [model.objects.count() for model in (Campaign, Team, Fundraiser, Fund)] == counts


def test_the_demo_campaign_is_published_and_its_logins_are_verified():
    call_command("seed_demo")

    assert Campaign.objects.get(slug="dressember-2026").status == Campaign.Status.ACTIVE
    for login in ("captain@hopefund.example", "finance@hopefund.example"):
        assert authenticate(username=login, password="hopefund-demo").email_verified_at is not None
