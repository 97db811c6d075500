"""A shared giving page previews with its title, story and picture (Open
Graph and Twitter card tags, every address absolute from SITE_URL), and
offers plain share links for email, WhatsApp, Facebook and X."""

import io
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from pages.sharing import DEFAULT_IMAGE, DESCRIPTION_CHARS

pytestmark = pytest.mark.django_db

SITE = "https://give.example.org"


@pytest.fixture(autouse=True)
def _site(settings, tmp_path):
    settings.SITE_URL = SITE
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def saved(django_capture_on_commit_callbacks):
    """Save models as if their transaction committed: the pages' version
    bumps are on-commit callbacks (anonymous pages are cached)."""

    def save(*models):
        with django_capture_on_commit_callbacks(execute=True):
            for model in models:
                model.save()

    return save


def jpeg(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 6), "teal").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


class _Head(HTMLParser):
    def __init__(self):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta[attrs.get("property") or attrs["name"]] = attrs.get("content")
        elif tag == "a" and "href" in attrs:
            self.links.append(attrs)


def parsed(client, url: str) -> _Head:
    response = client.get(url)
    assert response.status_code == 200
    head = _Head()
    head.feed(response.content.decode())
    return head


def preview(client, url: str) -> dict[str, str]:
    return parsed(client, url).meta


def test_every_giving_page_previews_with_its_own_title_story_and_address(client, campaign, team, fundraiser, saved):
    fundraiser.story = "I'm wearing a dress\n\nevery day <b>in December</b>. " + "Will you back me? " * 30
    saved(fundraiser)

    for page, title in [(campaign, campaign.title), (team, team.name), (fundraiser, fundraiser.name)]:
        meta = preview(client, page.get_absolute_url())
        assert meta["og:title"] == meta["twitter:title"] == title
        assert meta["og:url"] == SITE + page.get_absolute_url()
        assert meta["og:type"] == "website" and meta["og:site_name"]
        assert meta["twitter:card"] == "summary_large_image"
        assert meta["og:description"] == meta["twitter:description"] and meta["og:description"]

    # A search or a leaderboard's page shares the page itself.
    assert preview(client, f"{campaign.get_absolute_url()}?q=ada&teams_page=2")["og:url"] == (
        SITE + campaign.get_absolute_url()
    )
    description = preview(client, fundraiser.get_absolute_url())["og:description"]
    # One line, plain text as the story was written, cut near 200 characters.
    assert description.startswith("I'm wearing a dress every day <b>in December</b>. Will you back me?")
    assert len(description) <= DESCRIPTION_CHARS and description.endswith("…")


def test_a_page_without_a_picture_previews_with_the_default_image(client, campaign, team, fundraiser):
    for page in (campaign, team, fundraiser):
        meta = preview(client, page.get_absolute_url())
        assert meta["og:image"] == meta["twitter:image"] == f"{SITE}/static/{DEFAULT_IMAGE}"


def test_a_picture_is_chosen_from_the_page_then_its_team_then_the_campaign(client, campaign, team, fundraiser, saved):
    campaign.hero_image = jpeg("hero.jpg")
    saved(campaign)
    hero = SITE + campaign.hero_image.url
    assert {preview(client, page.get_absolute_url())["og:image"] for page in (campaign, team, fundraiser)} == {hero}

    team.photo = jpeg("team.jpg")
    saved(team)
    team_photo = SITE + team.photo.url
    assert preview(client, campaign.get_absolute_url())["og:image"] == hero
    assert preview(client, team.get_absolute_url())["og:image"] == team_photo
    assert preview(client, fundraiser.get_absolute_url())["og:image"] == team_photo

    fundraiser.photo = jpeg("ada.jpg")
    saved(fundraiser)
    meta = preview(client, fundraiser.get_absolute_url())
    assert meta["og:image"] == meta["twitter:image"] == SITE + fundraiser.photo.url
    assert meta["og:image:alt"] == f"Photo for {fundraiser.name}"
    assert preview(client, team.get_absolute_url())["og:image"] == team_photo


def test_the_campaign_page_shows_its_hero_image_at_once_and_pages_their_photos_lazily(
    client, campaign, team, fundraiser, saved
):
    campaign.hero_image = jpeg("hero.jpg")
    saved(campaign)
    team.photo = jpeg("team.jpg")
    saved(team)

    campaign_page = client.get(campaign.get_absolute_url()).content.decode()
    team_page = client.get(team.get_absolute_url()).content.decode()

    assert f'<img class="hero" src="{campaign.hero_image.url}" alt="Dressember 2026" width="1200" height="630"' in (
        campaign_page
    )
    assert 'loading="lazy"' not in campaign_page.split('class="hero"')[1].split(">")[0]
    assert (
        f'<img class="page-photo" src="{team.photo.url}" alt="Photo of team Freedom Threads" '
        'width="640" height="480" loading="lazy">'
    ) in team_page
    # The hero belongs to the campaign's own page.
    assert 'class="hero"' not in team_page


def test_titles_and_stories_are_escaped_in_the_tags(client, campaign, team, saved):
    team.name = 'Quotes " and <tags>'
    team.story = '"><script>alert(1)</script>'
    saved(team)

    page = client.get(team.get_absolute_url()).content.decode()

    assert '<meta property="og:title" content="Quotes &quot; and &lt;tags&gt;">' in page
    assert "<script>alert(1)" not in page


def share_link(head: _Head, prefix: str) -> dict[str, str]:
    [link] = [link for link in head.links if link["href"].startswith(prefix)]
    return link


def test_share_links_are_plain_links_with_the_page_address_encoded(client, campaign, team, saved):
    team.name = "Rock & Roll: 100% for freedom?"
    saved(team)
    url = SITE + team.get_absolute_url()
    invitation = "Will you support Rock & Roll: 100% for freedom??"
    head = parsed(client, team.get_absolute_url())

    email = share_link(head, "mailto:?")
    query = urlsplit(email["href"]).query
    assert parse_qs(query) == {"subject": ["Rock & Roll: 100% for freedom?"], "body": [f"{invitation} {url}"]}
    assert "+" not in query  # mail apps show a "+" for a space literally
    assert "target" not in email
    whatsapp = share_link(head, "https://wa.me/?")
    assert parse_qs(urlsplit(whatsapp["href"]).query) == {"text": [f"{invitation} {url}"]}
    facebook = share_link(head, "https://www.facebook.com/sharer/sharer.php?")
    assert parse_qs(urlsplit(facebook["href"]).query) == {"u": [url]}
    x = share_link(head, "https://twitter.com/intent/tweet?")
    assert parse_qs(urlsplit(x["href"]).query) == {"url": [url], "text": [invitation]}
    for external in (whatsapp, facebook, x):
        assert external["target"] == "_blank" and external["rel"] == "noopener"


def test_a_dashboard_offers_the_same_share_links(client, captain, team):
    client.force_login(captain)

    head = parsed(client, f"{team.get_absolute_url()}manage/")

    facebook = share_link(head, "https://www.facebook.com/sharer/sharer.php?")
    assert parse_qs(urlsplit(facebook["href"]).query) == {"u": [f"http://testserver{team.get_absolute_url()}"]}


def test_share_links_have_names_that_say_what_they_do(client, campaign):
    page = client.get(campaign.get_absolute_url()).content.decode()

    assert (
        '<span class="visually-hidden">Share on </span>WhatsApp<span class="visually-hidden"> (opens in a new tab)'
        in page
    )
    assert '<span class="visually-hidden">Share by </span>Email</a>' in page
    assert 'data-copy="share-link"' in page  # the copy-link box is still there


def test_share_links_add_no_script_from_another_site(client, campaign):
    page = client.get(campaign.get_absolute_url()).content.decode()

    scripts = [chunk.split('"', 1)[0] for chunk in page.split('<script src="')[1:]]
    assert not any(
        src.startswith(("https://www.facebook", "https://platform.twitter", "https://wa.me")) for src in scripts
    )
    assert "<script>" not in page


def test_the_home_page_previews_with_the_default_image(client, campaign, settings):
    meta = preview(client, "/")

    assert meta["og:title"] == settings.ORG_NAME
    assert meta["og:url"] == SITE + "/"
    assert meta["og:image"] == f"{SITE}/static/{DEFAULT_IMAGE}"
