"""Who may open each captain and fundraiser-owner URL: every URL against
a visitor, a donor with an account, another team's captain, this team's
captain, the page's owner, staff and a superuser. Being staff opens no
dashboard: staff who are neither captain nor owner get the 403 any other
stranger gets. A refused request changes nothing."""

import pytest
from django.urls import reverse

from campaigns.models import CampaignUpdate, Team, TeamInvite
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN, FORBIDDEN, OK = "login", 403, "ok"

TEAM_EDIT = {"name": "Freedom Threads", "story": "We dress for freedom.", "goal": "12000"}
FUNDRAISER_EDIT = {"name": "Ada's Dressember", "story": "31 days of dresses.", "goal": "2000"}
UPDATE = {"title": "Day 10", "body": "Ten days in!"}


def team_urls():
    """(name, method, url, form data) for every captain URL of team
    freedom-threads; member ada-lee is on it."""
    base = ("dressember-2026", "freedom-threads")
    return [
        ("dashboard", "get", reverse("campaigns:manage-team", args=base), None),
        ("edit team", "post", reverse("campaigns:manage-team", args=base), TEAM_EDIT),
        ("invite", "post", reverse("campaigns:invite-member", args=base), {"email": "new@example.org"}),
        ("co-captain", "post", reverse("campaigns:add-co-captain", args=base), {"user": "MEMBER"}),
        ("team update", "post", reverse("campaigns:post-team-update", args=base), UPDATE),
        ("remove member", "post", reverse("campaigns:remove-member", args=(*base, "ada-lee")), {}),
    ]


def fundraiser_urls():
    base = ("dressember-2026", "ada-lee")
    return [
        ("dashboard", "get", reverse("campaigns:manage-fundraiser", args=base), None),
        ("edit page", "post", reverse("campaigns:manage-fundraiser", args=base), FUNDRAISER_EDIT),
        ("page update", "post", reverse("campaigns:post-fundraiser-update", args=base), UPDATE),
    ]


TEAM_EXPECTED = {
    "visitor": LOGIN,
    "donor": FORBIDDEN,
    "other captain": FORBIDDEN,
    "member": FORBIDDEN,
    "captain": OK,
    "staff": FORBIDDEN,
    "superuser": FORBIDDEN,
}
FUNDRAISER_EXPECTED = {
    "visitor": LOGIN,
    "donor": FORBIDDEN,
    "other captain": FORBIDDEN,
    "captain": FORBIDDEN,
    "member": OK,
    "staff": FORBIDDEN,
    "superuser": FORBIDDEN,
}

CASES = [
    pytest.param(role, name, method, url, data, expected, id=f"{name}-{role}")
    for urls, expectations in ((team_urls, TEAM_EXPECTED), (fundraiser_urls, FUNDRAISER_EXPECTED))
    for name, method, url, data in urls()
    for role, expected in expectations.items()
]


@pytest.fixture
def people(captain, member, donor_account, other_captain, staff):
    superuser = UserFactory(email="root@example.org", is_staff=True, is_superuser=True)
    return {
        "visitor": None,
        "donor": donor_account,
        "other captain": other_captain,
        "captain": captain,
        "member": member,
        "staff": staff,
        "superuser": superuser,
    }


def snapshot(team):
    team = Team.objects.get(pk=team.pk)
    return (
        team.name,
        team.story,
        team.goal_minor,
        list(team.captains.values_list("pk", flat=True).order_by("pk")),
        list(team.fundraisers.values_list("slug", "name", "story", "goal_minor").order_by("slug")),
        TeamInvite.objects.count(),
        CampaignUpdate.objects.count(),
    )


@pytest.mark.parametrize("role, name, method, url, data, expected", CASES)
def test_permission_matrix(client, team, fundraiser, people, role, name, method, url, data, expected):
    if people[role] is not None:
        client.force_login(people[role])
    if data and data.get("user") == "MEMBER":
        data = {"user": str(people["member"].pk)}
    before = snapshot(team)

    response = getattr(client, method)(url, data)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    elif expected == FORBIDDEN:
        assert response.status_code == 403
    else:
        assert response.status_code in (200, 302), response.content.decode()[:500]
        if response.status_code == 302:
            assert "/manage/" in response["Location"]
    if expected != OK:
        assert snapshot(team) == before


@pytest.mark.parametrize(
    "url",
    [
        "/campaigns/dressember-2026/teams/nope/manage/",
        "/campaigns/dressember-2026/fundraisers/nope/manage/",
        "/campaigns/nope/teams/freedom-threads/manage/",
    ],
)
def test_managing_a_page_that_does_not_exist_is_404(client, captain, url):
    client.force_login(captain)

    assert client.get(url).status_code == 404


def test_removing_someone_not_on_the_team_is_404(client, captain, other_fundraiser):
    client.force_login(captain)

    response = client.post(reverse("campaigns:remove-member", args=("dressember-2026", "freedom-threads", "sam-ortiz")))

    assert response.status_code == 404
    other_fundraiser.refresh_from_db()
    assert other_fundraiser.team.slug == "chicago-chapter"
