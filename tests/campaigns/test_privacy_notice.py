"""The privacy notice: the charity's own words once it has written them in
the admin (the newest published one), a plain default until then, linked
from the donate form beside the impact-updates choice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import PrivacyNotice

pytestmark = pytest.mark.django_db


def test_before_the_charity_writes_one_the_page_says_what_is_kept_and_why(client):
    response = client.get("/privacy/")

    assert response.status_code == 200
    assert "Your card details go straight to our payment processor" in response.content.decode()


def test_the_newest_published_notice_is_shown_not_an_older_or_a_future_one(client):
    now = timezone.now()
    PrivacyNotice.objects.create(text="Old words.", published_at=now - timedelta(days=30))
    PrivacyNotice.objects.create(text="Current words.\n\nSecond paragraph.", published_at=now - timedelta(days=1))
    PrivacyNotice.objects.create(text="Not yet.", published_at=now + timedelta(days=1))

    html = client.get("/privacy/").content.decode()

    assert "<p>Current words.</p>" in html and "<p>Second paragraph.</p>" in html
    assert "Old words." not in html and "Not yet." not in html
    assert "payment processor" not in html


def test_the_notice_is_escaped(client):
    PrivacyNotice.objects.create(text="<script>alert(1)</script>")

    assert "&lt;script&gt;" in client.get("/privacy/").content.decode()


def test_the_donate_form_offers_updates_unticked_and_links_the_notice(client, campaign):
    html = client.get("/campaigns/dressember-2026/").content.decode()

    assert (
        '<input type="checkbox" name="email_updates" id="email-updates" aria-describedby="email-updates-hint">' in html
    )
    assert 'href="/privacy/"' in html


def test_a_published_notice_cannot_be_changed_or_deleted_in_the_admin_only_followed(admin_client):
    notice = PrivacyNotice.objects.create(text="What we told donors.")

    response = admin_client.post(f"/admin/campaigns/privacynotice/{notice.pk}/change/", {"text": "Rewritten."})
    assert response.status_code == 403
    assert admin_client.post(f"/admin/campaigns/privacynotice/{notice.pk}/delete/", {"post": "yes"}).status_code == 403
    notice.refresh_from_db()
    assert notice.text == "What we told donors."
    created = admin_client.post(
        "/admin/campaigns/privacynotice/add/",
        {"text": "New words.", "published_at_0": "2026-01-01", "published_at_1": "00:00:00"},
    )
    assert created.status_code == 302
    assert PrivacyNotice.objects.count() == 2
