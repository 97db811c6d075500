"""An account whose email nobody confirmed may sign in and draft, but
cannot publish a fundraiser page or a team, nor send invites: a stranger
could otherwise publish or mail in the name of any address."""

import re

import pytest

from campaigns.models import Fundraiser, Team, TeamInvite
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

START = "/campaigns/dressember-2026/start/"
NEW_TEAM = "/campaigns/dressember-2026/new-team/"
INVITE = "/campaigns/dressember-2026/teams/freedom-threads/manage/invite/"
REFUSAL = "Confirm your email address before you"


@pytest.fixture
def unverified(db):
    return UserFactory(unverified=True, email="nia@example.org")


def test_an_unverified_account_can_draft_but_not_publish_a_fundraiser_page(client, campaign, unverified):
    client.force_login(unverified)
    draft = {"name": "Nia dresses up", "story": "Thirty-one days.", "goal": "300"}

    form = client.get(START)
    refused = client.post(START, draft)

    assert form.status_code == 200 and "Send me the link again" in form.content.decode()
    body = refused.content.decode()
    assert refused.status_code == 400 and REFUSAL in body and "publish a page" in body
    assert "Send me the link again" in body and "Thirty-one days." in body  # the draft is kept
    assert not Fundraiser.objects.exists()


def test_an_unverified_account_cannot_start_a_team(client, campaign, unverified):
    client.force_login(unverified)

    refused = client.post(NEW_TEAM, {"name": "Nia's crew", "goal": "1000"})

    assert refused.status_code == 400 and "publish a team" in refused.content.decode()
    assert not Team.objects.filter(name="Nia's crew").exists()


def test_an_unverified_captain_cannot_send_an_invite(client, captain, mailoutbox):
    captain.email_verified_at = None
    captain.save()
    client.force_login(captain)

    refused = client.post(INVITE, {"email": "friend@example.org"})

    body = refused.content.decode()
    assert refused.status_code == 400 and "send invites" in body and "Send me the link again" in body
    assert not TeamInvite.objects.exists() and not mailoutbox


def test_a_verified_account_publishes_at_once(client, campaign, unverified):
    unverified.email_verified_at = unverified.date_joined
    unverified.save()
    client.force_login(unverified)

    response = client.post(START, {"name": "Nia dresses up", "goal": "300"})

    assert response.status_code == 302
    assert Fundraiser.objects.get().owner == unverified
    assert "Send me the link again" not in client.get(response["Location"]).content.decode()


def test_an_unverified_invitee_is_told_to_confirm_before_joining_with_a_new_page(client, captain, team, mailoutbox):
    client.force_login(captain)
    client.post(INVITE, {"email": "nia@example.org"})
    link = re.search(r"https?://\S+?(/invites/\S+/)", mailoutbox[0].body).group(1)
    client.force_login(UserFactory(unverified=True, email="nia@example.org"))

    refused = client.post(link, {"name": "Nia dresses up", "goal": "300"})

    body = refused.content.decode()
    assert refused.status_code == 400 and "publish a page" in body and "Send me the link again" in body
    assert not Fundraiser.objects.exists()
    assert "Send me the link again" in client.get("/accounts/").content.decode()
