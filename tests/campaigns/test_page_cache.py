"""The giving pages shared between anonymous visitors (pages/page_cache.py):
every change that shows on a page shows on the next anonymous request, no
visitor's own content reaches another, ETags revalidate, and a page runs
as many queries for a big campaign as for a small one."""

import io

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from PIL import Image

from campaigns import page_versions, services
from campaigns.models import CampaignUpdate, Fundraiser, Team
from donations.services import gift_status
from pages.page_cache import Shareable, SharedPageMiddleware, shared_for_visitors
from tests.factories import DonationFactory, DonorFactory, FundraiserFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a change as if its transaction committed (the version bumps
    are on-commit callbacks)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def shared(url: str) -> str:
    """The page as a new anonymous visitor gets it, after making sure it is
    in the shared cache (the first draw only learns which versions it has,
    the second stores it): a third answer costs no query."""
    for _ in range(2):
        assert Client().get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(url)
    assert response.status_code == 200
    assert len(queries) == 0, "the page was not served from the shared cache"
    return response.content.decode()


def anonymous(url: str):
    return Client().get(url)


@pytest.fixture
def pages(campaign, team, fundraiser):
    return {
        "campaign": campaign.get_absolute_url(),
        "team": team.get_absolute_url(),
        "fundraiser": fundraiser.get_absolute_url(),
    }


def gift(fundraiser, committed, **fields):
    with committed():
        return DonationFactory(
            succeeded=True, through_services=True, fundraiser=fundraiser, donor=DonorFactory(), **fields
        )


@pytest.mark.parametrize("page", ["campaign", "team", "fundraiser"])
def test_a_new_gift_shows_on_the_next_request(pages, page, fundraiser, committed):
    assert 'data-testid="donor-count">0<' in shared(pages[page])
    gift(fundraiser, committed, amount_minor=12345, donor_first_name="Grace")
    content = anonymous(pages[page]).content.decode()
    assert 'data-testid="donor-count">1<' in content
    assert "$123.45" in content
    assert "Grace" in content


@pytest.mark.parametrize("page", ["campaign", "team", "fundraiser"])
def test_a_refund_shows_on_the_next_request(pages, page, fundraiser, committed):
    donation = gift(fundraiser, committed, amount_minor=10300)
    assert "$103.00" in shared(pages[page])
    with committed():
        gift_status.settle(gift_status.lock(donation.pk), refunded_minor=4000)
    content = anonymous(pages[page]).content.decode()
    assert "$63.00" in content
    assert "$103.00" not in content


def test_a_gift_to_one_fundraiser_leaves_another_fundraisers_page_cached(fundraiser, other_fundraiser, committed):
    shared(other_fundraiser.get_absolute_url())
    gift(fundraiser, committed)
    with CaptureQueriesContext(connection) as queries:
        assert anonymous(other_fundraiser.get_absolute_url()).status_code == 200
    assert len(queries) == 0


@pytest.mark.parametrize("page", ["campaign", "team", "fundraiser"])
def test_edits_show_on_the_next_request(pages, page, campaign, team, fundraiser, committed):
    shared(pages[page])
    with committed():
        services.update_team(team=team, details=services.PageDetails(name="Renamed Threads", story="", goal_minor=1))
        services.update_fundraiser(
            fundraiser=fundraiser, details=services.PageDetails(name="Ada walks on", story="New words", goal_minor=1)
        )
        campaign.title = "Dressember, renamed"
        campaign.save()
    content = anonymous(pages[page]).content.decode()
    assert "Dressember, renamed" in content
    assert ("Ada walks on" in content) is (page in ("campaign", "team", "fundraiser"))
    assert "Renamed Threads" in content


def png(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 6), "orange").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.mark.parametrize("page", ["campaign", "team", "fundraiser"])
def test_a_new_picture_shows_on_the_next_request(
    pages, page, campaign, team, fundraiser, committed, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    shared(pages[page])
    with committed():
        if page == "campaign":
            # As the admin saves it.
            campaign.hero_image = png("hero.png")
            campaign.save()
        else:
            edited = {"team": team, "fundraiser": fundraiser}[page]
            details = services.PageDetails(name=edited.name, story="", goal_minor=1, photo=png(f"{page}.png"))
            getattr(services, f"update_{page}")(**{page: edited, "details": details})
    content = anonymous(pages[page]).content.decode()
    picture = {"campaign": campaign.hero_image, "team": team.photo, "fundraiser": fundraiser.photo}[page]
    assert f'src="{picture.url}"' in content
    assert f'<meta property="og:image" content="{settings.SITE_URL}{picture.url}">' in content


@pytest.mark.parametrize("model", [Team, Fundraiser])
def test_hiding_a_page_shows_on_the_next_request(pages, team, fundraiser, committed, model):
    shared(pages["fundraiser"])
    assert "Ada&#x27;s Dressember" in shared(pages["campaign"])
    with committed():
        services.set_hidden(items=model.objects.all(), hidden=True)
    assert anonymous(pages["fundraiser"]).status_code == 404
    assert "Ada&#x27;s Dressember" not in anonymous(pages["campaign"]).content.decode()


@pytest.mark.parametrize("page", ["campaign", "team", "fundraiser"])
def test_a_new_update_shows_on_the_next_request(pages, page, campaign, team, fundraiser, committed):
    shared(pages[page])
    scope = {"campaign": {}, "team": {"team": team}, "fundraiser": {"fundraiser": fundraiser}}[page]
    with committed():
        services.post_update(author=None, campaign=campaign, title="We reached the shelter", body="Thank you.", **scope)
    assert "We reached the shelter" in anonymous(pages[page]).content.decode()


def test_hiding_an_update_shows_on_the_next_request(pages, campaign, committed):
    with committed():
        services.post_update(author=None, campaign=campaign, title="Posted by mistake", body="Oops.")
    assert "Posted by mistake" in shared(pages["campaign"])
    with committed():
        services.set_hidden(items=CampaignUpdate.objects.all(), hidden=True)
    assert "Posted by mistake" not in anonymous(pages["campaign"]).content.decode()


def test_an_owner_renaming_themselves_shows_on_their_fundraiser_page(pages, member, committed):
    assert "A fundraiser by Ada" in shared(pages["fundraiser"])
    with committed():
        member.first_name = "Adaeze"
        member.save()
    assert "A fundraiser by Adaeze" in anonymous(pages["fundraiser"]).content.decode()


def test_signing_in_leaves_the_owners_pages_cached(pages, member, committed):
    shared(pages["fundraiser"])
    with committed():
        Client().force_login(member)
    with CaptureQueriesContext(connection) as queries:
        assert anonymous(pages["fundraiser"]).status_code == 200
    assert len(queries) == 0


def test_a_new_team_and_a_fundraiser_joining_show_on_the_next_request(pages, campaign, team, committed):
    shared(pages["campaign"])
    shared(pages["team"])
    with committed():
        TeamFactory(campaign=campaign, name="Brand New Team")
        newcomer = FundraiserFactory(campaign=campaign, name="Newcomer's page")
    assert "Brand New Team" in anonymous(pages["campaign"]).content.decode()
    assert "Newcomer" not in anonymous(pages["team"]).content.decode()
    with committed():
        services.join_team(fundraiser=newcomer, team=team)
    assert "Newcomer" in anonymous(pages["team"]).content.decode()


def test_a_fund_change_shows_on_every_page(pages, funds, committed):
    shared(pages["fundraiser"])
    with committed():
        funds["rescue"].description = "Safe houses first."
        funds["rescue"].save()
    assert "Safe houses first." in anonymous(pages["fundraiser"]).content.decode()


def test_a_change_not_yet_committed_is_not_served_stale_after_it_commits(pages, fundraiser, committed):
    """A page drawn inside the change's transaction (as a reader racing the
    commit would) is stored under the versions of before the change, which
    the commit replaces."""
    shared(pages["fundraiser"])
    with committed():
        DonationFactory(succeeded=True, through_services=True, fundraiser=fundraiser, donor=DonorFactory())
        anonymous(pages["fundraiser"])
    assert 'data-testid="donor-count">1<' in anonymous(pages["fundraiser"]).content.decode()


# --- Nobody's own content reaches anyone else ----------------------------


def test_a_signed_in_visitors_page_is_their_own_and_private(pages, team, client):
    user = UserFactory(first_name="Priya")
    client.force_login(user)
    shared(pages["team"])
    mine = client.get(pages["team"])
    assert "Log out" in mine.content.decode() and "Join this team" in mine.content.decode()
    assert "private" in mine["Cache-Control"] and "ETag" not in mine
    theirs = anonymous(pages["team"]).content.decode()
    assert "Log out" not in theirs and "csrfmiddlewaretoken" not in theirs and "Join this team" not in theirs


def test_a_signed_in_visitor_never_fills_the_shared_cache(pages, client):
    client.force_login(UserFactory())
    for _ in range(3):
        client.get(pages["campaign"])
    content = anonymous(pages["campaign"]).content.decode()
    assert "Log out" not in content and "csrfmiddlewaretoken" not in content


def test_a_visitor_with_messages_gets_them_and_nobody_else_does(pages):
    shared(pages["campaign"])
    visitor = Client()
    storage = CookieStorage(RequestFactory().get("/"))
    visitor.cookies["messages"] = storage._encode([Message(constants.INFO, "Thanks for signing up, Priya")])
    response = visitor.get(pages["campaign"])
    assert "Thanks for signing up, Priya" in response.content.decode()
    assert "private" in response["Cache-Control"]
    assert "Thanks for signing up" not in anonymous(pages["campaign"]).content.decode()


def test_searches_are_drawn_for_each_request(pages, campaign):
    TeamFactory(campaign=campaign, name="Searchable Team")
    for _ in range(3):
        response = anonymous(pages["campaign"] + "?q=Searchable")
    assert "Searchable Team" in response.content.decode()
    assert "private" in response["Cache-Control"]


def test_a_page_that_sets_a_cookie_is_kept_private_and_never_stored():
    """A cookie set while drawing (a CSRF token, say) means the page was
    drawn for this visitor alone."""

    @shared_for_visitors
    def view(request):
        response = HttpResponse("Your own token: abc")
        response.shareable = Shareable(versions=[page_versions.SITE])
        response.set_cookie("csrftoken", "abc")
        return response

    # The handler's part: the view's middleware hook, then the view.
    middleware = SharedPageMiddleware(lambda request: middleware.process_view(request, view, (), {}) or view(request))
    for _ in range(3):
        response = middleware(RequestFactory().get("/campaigns/drawn-with-a-cookie/"))
        assert "private" in response["Cache-Control"] and "ETag" not in response


# --- Headers ----------------------------------------------------------------

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "Permissions-Policy",
    "Referrer-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Cross-Origin-Opener-Policy",
)


def directives(policy: str) -> set[str]:
    return {part.strip() for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("page", ["campaign", "team", "fundraiser"])
def test_a_shared_page_carries_every_security_header_a_drawn_one_does(pages, page):
    drawn = anonymous(pages[page])
    shared(pages[page])
    hit = anonymous(pages[page])
    for name in SECURITY_HEADERS:
        assert name in drawn, name
        assert name in hit, name
    assert directives(hit["Content-Security-Policy"]) == directives(drawn["Content-Security-Policy"])
    assert {name: hit[name] for name in SECURITY_HEADERS[1:]} == {name: drawn[name] for name in SECURITY_HEADERS[1:]}


def test_a_shared_page_is_served_before_the_rest_of_the_middleware(pages):
    shared(pages["campaign"])
    response = anonymous(pages["campaign"])
    assert response.status_code == 200
    assert not hasattr(response.wsgi_request, "user"), "the hit went through the whole stack"


def test_shared_pages_carry_an_etag_and_answer_304_until_they_change(pages, fundraiser, committed):
    shared(pages["fundraiser"])
    first = anonymous(pages["fundraiser"])
    assert first["Cache-Control"] == "public, max-age=0, s-maxage=1"
    etag = first["ETag"]
    assert Client().get(pages["fundraiser"], headers={"if-none-match": etag}).status_code == 304
    gift(fundraiser, committed)
    changed = Client().get(pages["fundraiser"], headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert Client().get(pages["fundraiser"], headers={"if-none-match": changed["ETag"]}).status_code == 304


# --- Queries --------------------------------------------------------------


def draw_queries(url: str) -> int:
    """Queries to draw the page afresh (nothing cached)."""
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert Client().get(url).status_code == 200
    return len(queries)


def test_each_page_runs_as_many_queries_for_a_big_campaign_as_for_a_small_one(
    pages, campaign, team, fundraiser, committed
):
    small = {page: draw_queries(url) for page, url in pages.items()}
    for n in range(25):
        other_team = TeamFactory(campaign=campaign, is_featured=n < 8)
        for _ in range(2):
            member = FundraiserFactory(campaign=campaign, team=other_team)
            gift(member, committed, message=f"Go {n}")
        FundraiserFactory(campaign=campaign, team=team)
    for n in range(12):
        gift(fundraiser, committed, anonymous=n % 2 == 0)
        services.post_update(author=None, campaign=campaign, title=f"Update {n}", body="News.", fundraiser=fundraiser)
    big = {page: draw_queries(url) for page, url in pages.items()}
    assert big == small
