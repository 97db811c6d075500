"""Fixtures shared by the monthly-gift tests."""

import time
from types import SimpleNamespace

import pytest
from django.core import signing

from donations.models import RecurringPlan
from tests.gifts import gift_body, give


@pytest.fixture
def monthly_plan(client, team, django_capture_on_commit_callbacks):
    """Ada's $25 monthly gift to the team, first month paid and receipted."""
    with django_capture_on_commit_callbacks(execute=True):
        response = give(client, gift_body(frequency="monthly", amount_minor=2500, team=team.slug, fund="rescue"))
    assert response.status_code == 201, response.json()
    return RecurringPlan.objects.get()


@pytest.fixture
def link_clock(monkeypatch):
    """The clock signed links are made and read by (TimestampSigner's), for
    moving days ahead without waiting: `link_clock.now += 61 * DAY`."""
    clock = SimpleNamespace(now=time.time())
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: clock.now))
    return clock
