"""Invites cannot turn our sending address into a spam relay: a daily
quota per account, counted from the invites table, and no text typed by
users in the subject line."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from campaigns.models import TeamInvite
from core import env

pytestmark = pytest.mark.django_db

INVITE = "/campaigns/dressember-2026/teams/freedom-threads/manage/invite/"


def invites_already_sent(team, captain, count: int, *, ago=timedelta(hours=1)):
    for number in range(count):
        invite = TeamInvite.objects.create(
            team=team,
            email=f"friend{number}@example.org",
            token_hash=f"{number:064d}",
            invited_by=captain,
            expires_at=timezone.now() + timedelta(days=14),
        )
        TeamInvite.objects.filter(pk=invite.pk).update(created_at=timezone.now() - ago)


def test_the_21st_invite_in_a_day_is_refused(client, team, captain, mailoutbox):
    invites_already_sent(team, captain, 20)
    client.force_login(captain)

    refused = client.post(INVITE, {"email": "one.more@example.org"})

    assert refused.status_code == 400
    assert "You have sent 20 invites in the last 24 hours" in refused.content.decode()
    assert TeamInvite.objects.count() == 20 and not mailoutbox


def test_the_quota_counts_every_team_the_account_captains(client, team, captain, other_team, mailoutbox):
    other_team.captains.add(captain)
    invites_already_sent(other_team, captain, 20)
    client.force_login(captain)

    refused = client.post(INVITE, {"email": "one.more@example.org"})

    assert refused.status_code == 400 and not mailoutbox


def test_invites_older_than_a_day_no_longer_count(client, team, captain, settings, mailoutbox):
    settings.INVITE_DAILY_LIMIT = 3
    invites_already_sent(team, captain, 3, ago=timedelta(hours=25))
    client.force_login(captain)

    response = client.post(INVITE, {"email": "one.more@example.org"})

    assert response.status_code == 302 and len(mailoutbox) == 1


def test_the_invite_subject_carries_no_text_typed_by_users(client, team, captain, mailoutbox):
    team.name = "Your account is locked - call +1 555 0100"
    team.save()
    captain.first_name, captain.last_name = "Security", "Department"
    captain.save()
    client.force_login(captain)

    client.post(INVITE, {"email": "target@example.org"})

    [mail] = mailoutbox
    assert mail.subject == "You are invited to join a team on Hopefund Demo Charity"
    assert 'Team: "Your account is locked - call +1 555 0100"' in mail.body
    assert 'Invited by: "Security Department"' in mail.body
    assert "we have not checked them" in mail.body


@pytest.mark.parametrize("value", ["twenty", "0", "-5"])
def test_a_malformed_invite_limit_is_refused_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("INVITE_DAILY_LIMIT", value)

    with pytest.raises(ImproperlyConfigured, match="INVITE_DAILY_LIMIT must be a whole number of at least 1"):
        env.integer("INVITE_DAILY_LIMIT", 20, minimum=1)
