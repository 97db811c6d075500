"""What a shared link previews with (the Open Graph and Twitter card tags
of base.html) and the share links of a page: plain links to each network's
share address, so no third-party script runs on our pages.

Every address is absolute from settings.SITE_URL, never from the request's
Host: a giving page is drawn once and served to every anonymous visitor
(pages/page_cache.py), and a link preview must name our site whoever asked."""

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.conf import settings
from django.templatetags.static import static

from pages.selectors import GivingPage

# About what a preview shows of a description before cutting it itself.
DESCRIPTION_CHARS = 200
# The picture of a page with no photo of its own, its team's or its
# campaign's: 1200x630, the size the networks' large cards are drawn at.
DEFAULT_IMAGE = "img/share-default.jpg"
DEFAULT_IMAGE_ALT = "A heart on a warm gradient"


@dataclass(frozen=True)
class ShareLink:
    network: str
    # Read before the network's name by screen readers: "Share on" WhatsApp.
    verb: str
    href: str
    # Opens the network's site in a new tab; an email opens the mail app.
    external: bool = True


@dataclass(frozen=True)
class SharePreview:
    title: str
    description: str
    url: str
    image_url: str
    image_alt: str
    kind: str = "website"


def absolute(url: str) -> str:
    """`url` as an address another site can fetch: storages that serve
    from elsewhere already give absolute ones."""
    return url if url.startswith(("https://", "http://")) else settings.SITE_URL + url


def plain_summary(text: str) -> str:
    """The first DESCRIPTION_CHARS or so of `text`, on one line, cut at a
    word. Stories are plain text, shown escaped, so nothing is stripped:
    the template escapes it again for the attribute."""
    one_line = " ".join(text.split())
    if len(one_line) <= DESCRIPTION_CHARS:
        return one_line
    return one_line[: DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def giving_page_preview(page: GivingPage, *, path: str) -> SharePreview:
    """A campaign's, team's or fundraiser's page at `path` (the request's,
    without its query: a leaderboard's page or a search shares the page
    itself): its title and story, and its own photo, else its team's,
    else the campaign's hero image."""
    pictures = [
        (page.fundraiser.photo if page.fundraiser else None, f"Photo for {page.title}"),
        (page.team.photo if page.team else None, f"Photo of team {page.team.name}" if page.team else ""),
        (page.campaign.hero_image, page.campaign.title),
    ]
    image, alt = next(((image, alt) for image, alt in pictures if image), (None, DEFAULT_IMAGE_ALT))
    return SharePreview(
        title=page.title,
        description=plain_summary(page.story) or f"Give to {page.title} with {settings.ORG_NAME}.",
        url=absolute(path),
        image_url=absolute(image.url if image else static(DEFAULT_IMAGE)),
        image_alt=alt,
    )


def home_preview(path: str) -> SharePreview:
    return SharePreview(
        title=settings.ORG_NAME,
        description=f"Give to {settings.ORG_NAME}'s campaigns.",
        url=absolute(path),
        image_url=absolute(static(DEFAULT_IMAGE)),
        image_alt=DEFAULT_IMAGE_ALT,
    )


def share_links(*, url: str, title: str) -> list[ShareLink]:
    """Email, WhatsApp, Facebook and X links for `url`, each value
    percent-encoded (spaces as %20: mail apps show a "+" literally)."""

    def query(**values: str) -> str:
        return urlencode(values, quote_via=quote)

    invitation = f"Will you support {title}?"
    return [
        ShareLink(
            "Email",
            "Share by",
            f"mailto:?{query(subject=title, body=f'{invitation} {url}')}",
            external=False,
        ),
        ShareLink("WhatsApp", "Share on", f"https://wa.me/?{query(text=f'{invitation} {url}')}"),
        ShareLink("Facebook", "Share on", f"https://www.facebook.com/sharer/sharer.php?{query(u=url)}"),
        ShareLink("X", "Share on", f"https://twitter.com/intent/tweet?{query(url=url, text=invitation)}"),
    ]
