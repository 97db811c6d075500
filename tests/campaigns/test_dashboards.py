"""What captains and fundraiser owners do from their dashboards, and what
they may see of donors: names unless anonymous, never an email."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import CampaignUpdate, Fundraiser, Team, TeamInvite
from tests.factories import DonationFactory, FundraiserFactory, UserFactory

pytestmark = pytest.mark.django_db

TEAM_DASHBOARD = "/campaigns/dressember-2026/teams/freedom-threads/manage/"
FUNDRAISER_DASHBOARD = "/campaigns/dressember-2026/fundraisers/ada-lee/manage/"


def test_captain_sees_the_teams_gifts_with_amounts_dates_and_messages_but_no_anonymous_identity_or_email(
    client, captain, fundraiser, other_fundraiser
):
    DonationFactory(
        succeeded=True,
        through_services=True,
        cover_fees=True,
        fundraiser=fundraiser,
        amount_minor=2500,
        message="For Ada",
        donor__email="ada@example.org",
    )
    DonationFactory(
        succeeded=True,
        through_services=True,
        team=fundraiser.team,
        amount_minor=4000,
        anonymous=True,
        message="Keep going",
        donor__email="zelda@example.org",
        donor__first_name="Zelda",
        donor__last_name="Hidden",
    )
    DonationFactory(
        succeeded=True,
        through_services=True,
        fundraiser=other_fundraiser,
        amount_minor=7000,
        donor__email="otto.donor@example.org",
        donor__first_name="Oscar",
        donor__last_name="Elsewhere",
        message="For Sam",
    )
    client.force_login(captain)

    page = client.get(TEAM_DASHBOARD).content.decode()

    gifts = page.split('id="gifts-heading"')[1].split("</section>")[0]
    assert "Ada Lee" in gifts and "For Ada" in gifts and "$26.06" in gifts  # the gift plus the fee covered
    assert "Anonymous" in gifts and "Keep going" in gifts and "$40.00" in gifts
    assert timezone.now().strftime("%-d %b %Y") in gifts
    assert "Zelda" not in page and "Hidden" not in page
    assert "Oscar" not in page and "For Sam" not in page  # another team's donor
    assert "@example.org" not in gifts and "ada@example.org" not in page
    # The members list shows what each member raised.
    members = page.split('id="members-heading"')[1].split("</section>")[0]
    assert "Ada&#x27;s Dressember" in members and "$26.06" in members


def test_owner_sees_only_their_own_pages_gifts(client, member, fundraiser, team):
    DonationFactory(
        succeeded=True,
        through_services=True,
        fundraiser=fundraiser,
        amount_minor=2500,
        message="For Ada",
        donor__email="ada@example.org",
    )
    DonationFactory(succeeded=True, through_services=True, team=team, amount_minor=4000, message="For the team")
    client.force_login(member)

    page = client.get(FUNDRAISER_DASHBOARD).content.decode()

    assert "For Ada" in page and "For the team" not in page
    assert "ada@example.org" not in page


def test_captain_edits_the_teams_name_story_and_goal(client, captain, team):
    client.force_login(captain)

    response = client.post(TEAM_DASHBOARD, {"name": "Threads of Freedom", "story": "New story", "goal": "30000.50"})

    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.story, team.goal_minor) == ("Threads of Freedom", "New story", 30_000_50)
    assert "Threads of Freedom" in client.get(team.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"goal": "-5"}, "goal", "greater than or equal to 0"),
        ({"goal": "2000000000"}, "goal", "is that a typo?"),
        ({"goal": "lots"}, "goal", "Enter a number."),
        ({"goal": "10.123"}, "goal", "no more than 2 decimal places"),
        ({"name": "x" * 121}, "name", "at most 120 characters"),
        ({"name": ""}, "name", "This field is required."),
        ({"story": "x" * 5001}, "story", "at most 5000 characters"),
    ],
)
def test_bad_team_details_are_refused_with_a_message_and_change_nothing(client, captain, team, change, field, message):
    client.force_login(captain)
    before = Team.objects.values().get(pk=team.pk)

    response = client.post(TEAM_DASHBOARD, {"name": "Team", "story": "", "goal": "100", **change})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Team.objects.values().get(pk=team.pk) == before


def test_owner_edits_their_page_and_bad_input_is_refused(client, member, fundraiser):
    client.force_login(member)

    bad = client.post(FUNDRAISER_DASHBOARD, {"name": "Ada", "story": "", "goal": "-1"})
    good = client.post(FUNDRAISER_DASHBOARD, {"name": "Ada runs", "story": "<b>31 days</b>", "goal": "750"})

    assert bad.status_code == 400 and "greater than or equal to 0" in bad.content.decode()
    assert good.status_code == 302
    fundraiser.refresh_from_db()
    assert (fundraiser.name, fundraiser.goal_minor) == ("Ada runs", 750_00)
    assert "&lt;b&gt;31 days&lt;/b&gt;" in client.get(fundraiser.get_absolute_url()).content.decode()


# --- Invites -----------------------------------------------------------------


def invite_link(mail) -> str:
    return re.search(r"http://\S+/invites/\S+/", mail.body).group(0)


def send_invite(client, captain, email="new.member@example.org") -> str:
    client.force_login(captain)
    response = client.post(TEAM_DASHBOARD + "invite/", {"email": email})
    assert response.status_code == 302
    client.logout()
    return response


def test_an_invite_is_emailed_stored_hashed_and_works_once(client, captain, team, mailoutbox, settings):
    settings.SITE_URL = "http://testserver"
    send_invite(client, captain, email="New.Member@Example.org")

    [mail] = mailoutbox
    assert mail.to == ["new.member@example.org"] and "Freedom Threads" in mail.body
    link = invite_link(mail)
    token = link.rstrip("/").rsplit("/", 1)[1]
    invite = TeamInvite.objects.get()
    assert token not in invite.token_hash and len(invite.token_hash) == 64
    newcomer = UserFactory(email="new.member@example.org", first_name="Nia")
    client.force_login(newcomer)

    accepted = client.post(link, {"name": "Nia dresses up", "slug": "", "story": "", "goal": "300"})

    assert accepted.status_code == 302
    page = Fundraiser.objects.get(owner=newcomer)
    assert (page.team, page.slug, page.goal_minor) == (team, "nia-dresses-up", 300_00)
    reused = client.post(link, {"name": "Again", "goal": "1"})
    assert reused.status_code == 400
    assert "already been used" in reused.content.decode()
    assert Fundraiser.objects.filter(owner=newcomer).count() == 1


def test_an_invite_moves_an_existing_page_onto_the_team(client, captain, team, campaign, mailoutbox, settings):
    settings.SITE_URL = "http://testserver"
    newcomer = UserFactory(email="new.member@example.org")
    own = FundraiserFactory(campaign=campaign, owner=newcomer, team=None, slug="mine")
    send_invite(client, captain)
    client.force_login(newcomer)

    assert client.post(invite_link(mailoutbox[0])).status_code == 302

    own.refresh_from_db()
    assert own.team == team


def test_an_expired_invite_is_refused(client, captain, team, mailoutbox, settings):
    settings.SITE_URL = "http://testserver"
    send_invite(client, captain)
    TeamInvite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(UserFactory(email="new.member@example.org"))

    response = client.post(invite_link(mailoutbox[0]), {"name": "Late", "goal": "100"})

    assert response.status_code == 400
    assert "has expired" in response.content.decode()
    assert not Fundraiser.objects.filter(name="Late").exists()


def test_an_invite_for_another_address_is_refused(client, captain, team, mailoutbox, settings):
    settings.SITE_URL = "http://testserver"
    send_invite(client, captain)
    client.force_login(UserFactory(email="someone.else@example.org"))

    response = client.post(invite_link(mailoutbox[0]), {"name": "Sneaky", "goal": "100"})

    assert response.status_code == 400
    assert "sent to another email address" in response.content.decode()
    assert TeamInvite.objects.get().accepted_at is None


def test_a_made_up_invite_link_is_404_and_a_visitor_is_asked_to_log_in(client, captain, team, mailoutbox, settings):
    settings.SITE_URL = "http://testserver"
    send_invite(client, captain)

    assert client.get("/invites/not-a-real-token/").status_code == 404
    page = client.get(invite_link(mailoutbox[0]))
    assert page.status_code == 200 and "Log in" in page.content.decode()
    assert client.post(invite_link(mailoutbox[0])).status_code == 302


def test_an_invalid_invite_email_is_refused(client, captain, team, mailoutbox):
    client.force_login(captain)

    response = client.post(TEAM_DASHBOARD + "invite/", {"email": "not an email"})

    assert response.status_code == 400 and "Enter a valid email address." in response.content.decode()
    assert not TeamInvite.objects.exists() and not mailoutbox


# --- Members, co-captains and updates -------------------------------------------


def test_captain_removes_a_member_whose_earlier_gifts_still_count_for_the_team(
    client, captain, member, fundraiser, team
):
    DonationFactory(succeeded=True, through_services=True, fundraiser=fundraiser, amount_minor=2500)
    client.force_login(captain)

    client.post(TEAM_DASHBOARD + "members/ada-lee/remove/")

    fundraiser.refresh_from_db()
    assert fundraiser.team is None
    api = client.get("/api/campaigns/dressember-2026/").json()
    assert api["teams"][0]["raised_minor"] == 2500
    assert api["fundraisers"][0]["slug"] == "ada-lee"


def test_a_member_becomes_co_captain_and_the_last_captain_cannot_be_removed(client, captain, member, fundraiser, team):
    captains_page = FundraiserFactory(campaign=team.campaign, team=team, owner=captain, slug="casey")
    client.force_login(captain)

    refused = client.post(TEAM_DASHBOARD + "members/casey/remove/", follow=True)
    assert "A team needs a captain" in refused.content.decode()
    client.post(TEAM_DASHBOARD + "captains/", {"user": str(member.pk)})
    assert set(team.captains.all()) == {captain, member}
    client.post(TEAM_DASHBOARD + "members/casey/remove/")

    captains_page.refresh_from_db()
    assert captains_page.team is None and list(team.captains.all()) == [member]


def test_only_members_can_be_made_co_captains(client, captain, team, donor_account):
    client.force_login(captain)

    response = client.post(TEAM_DASHBOARD + "captains/", {"user": str(donor_account.pk)})

    assert response.status_code == 400
    assert list(team.captains.all()) == [captain]


def test_captain_and_owner_post_updates_shown_on_their_public_pages(client, captain, member, team, fundraiser):
    client.force_login(captain)
    client.post(TEAM_DASHBOARD + "updates/", {"title": "We hit 50%", "body": "<i>Thank</i> you"})
    client.force_login(member)
    client.post(FUNDRAISER_DASHBOARD + "updates/", {"title": "Day 3", "body": "Three dresses down"})
    too_long = client.post(FUNDRAISER_DASHBOARD + "updates/", {"title": "x" * 121, "body": "b"})

    team_page = client.get(team.get_absolute_url()).content.decode()
    assert "We hit 50%" in team_page and "&lt;i&gt;Thank&lt;/i&gt; you" in team_page
    assert "Day 3" in client.get(fundraiser.get_absolute_url()).content.decode()
    assert too_long.status_code == 400 and "at most 120 characters" in too_long.content.decode()
    assert CampaignUpdate.objects.count() == 2


def test_dashboards_offer_a_share_link(client, captain, team):
    client.force_login(captain)

    page = client.get(TEAM_DASHBOARD).content.decode()

    assert f'value="http://testserver{team.get_absolute_url()}" readonly' in page


def test_captains_of_a_hidden_team_can_still_manage_it(client, captain, team):
    team.is_hidden = True
    team.save()
    client.force_login(captain)

    page = client.get(TEAM_DASHBOARD)

    assert page.status_code == 200 and "A moderator has hidden this team" in page.content.decode()
