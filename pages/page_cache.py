"""The public giving pages, rendered once and shared between anonymous
visitors through Redis, and revalidated by ETag.

A cached page keeps the versions (campaigns/page_versions.py) of what it
shows and is served only while they are unchanged: a gift, a refund, an
edit, a hidden page or a new update shows on the very next request. The
versions are read before the page's rows, so a page drawn before a change
commits is stored under the old versions and never served after it.

Only what is the same for every visitor is shared: signed-in visitors
(their name, their team's join button, the logout form's CSRF token) and
requests with messages waiting get a page of their own, marked private.
Searches are not cached (every query string would be a key); leaderboard
page numbers are.

Answers carry an ETag and `Cache-Control: public, max-age=0, s-maxage=1`:
a CDN may serve a page for a second and then revalidate it (a 304 costs
two Redis reads), so with the invalidation here a visitor sees a new gift
within the two seconds docs/contract.md promises; a browser revalidates
every time, so a donor who reloads after giving sees the gift at once."""

import hashlib
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers

from campaigns import page_versions
from core import shared_cache

# How long Redis keeps a page: the most a page can outlive a change whose
# version bump was lost to a Redis outage.
MAX_AGE_SECONDS = 30
# Shared caches (a CDN) only; browsers keep nothing without asking.
CDN_MAX_AGE_SECONDS = 1
# The query parameters a shared page may have: leaderboard page numbers.
PAGE_PARAMETERS = ("teams_page", "fundraisers_page")
MESSAGES_COOKIE = CookieStorage.cookie_name


@dataclass(frozen=True)
class Shareable:
    """What a view tells the cache about the page it rendered: the versions
    it was drawn from, and how long at most it stays right (a campaign
    that opens or closes changes the page with no edit)."""

    versions: list[str]
    max_seconds: int = MAX_AGE_SECONDS


def shared_for_visitors(view):
    """Serve `view`'s page from the shared cache to anonymous visitors. The
    view marks a page it may share by setting `response.shareable`."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        key = _entry_key(request)
        if key is None:
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            return response
        # The versions' tokens are read before the page's rows are, so a
        # change committed while the page is drawn leaves it stale under
        # the tokens it is stored with.
        versions, entry, tokens = _lookup(key)
        if entry is not None and tokens is not None and entry["versions"] == versions and tokens == entry["tokens"]:
            return _answer(request, entry["body"], entry["etag"])
        response = view(request, *args, **kwargs)
        shareable = getattr(response, "shareable", None)
        if response.status_code != 200 or shareable is None:
            return response
        body = response.content
        etag = f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'
        _remember(key, shareable.versions)
        if tokens is not None and versions == shareable.versions:
            stored = {"versions": shareable.versions, "tokens": tokens, "body": body, "etag": etag}
        else:
            # Its versions were not known before it was drawn: keep only
            # which they are, so that the next request reads them first.
            stored = {"versions": shareable.versions, "tokens": None}
        shared_cache.set(key, stored, timeout=max(1, shareable.max_seconds), when_down=None)
        return _answer(request, body, etag)

    return wrapper


# Which versions each page has, as this process last saw: with them, one
# Redis round trip reads the page and its versions' tokens together. Pages
# are few and their versions change only with their slugs; the bound is
# against query strings that are not pages.
_versions_seen: dict[str, list[str]] = {}
VERSIONS_SEEN_MAX = 20_000


def _remember(key: str, versions: list[str]) -> list[str]:
    if len(_versions_seen) >= VERSIONS_SEEN_MAX:
        _versions_seen.clear()
    _versions_seen[key] = versions
    return versions


def _lookup(key: str) -> tuple[list[str] | None, dict | None, dict | None]:
    """(the page's versions, its stored entry, the versions' current
    tokens); tokens None when the versions are not known yet or Redis
    cannot be reached."""
    versions = _versions_seen.get(key)
    if versions is None:
        entry = shared_cache.get(key, when_down=None)
        if entry is None:
            return None, None, None
        versions = _remember(key, entry["versions"])
        return versions, entry, page_versions.current(versions)
    found = shared_cache.get_many([key, *versions], when_down=None)
    if found is None:
        return versions, None, None
    entry = found.pop(key, None)
    # A version with no token yet gets one before the page is drawn.
    tokens = found if len(found) == len(versions) else page_versions.current(versions)
    return versions, entry, tokens


def _entry_key(request) -> str | None:
    """The shared page's key, or None when this request must not share."""
    if request.method != "GET" or _own_visit(request):
        return None
    parameters = request.GET
    if any(name not in PAGE_PARAMETERS for name in parameters):
        return None
    numbers = []
    for name in PAGE_PARAMETERS:
        value = parameters.get(name, "1")
        if len(parameters.getlist(name)) > 1 or not value.isdigit() or len(value) > 4:
            return None
        numbers.append(str(int(value)))
    where = f"{request.scheme}://{request.get_host()}{request.path}?{'&'.join(numbers)}"
    return "pages:page:" + hashlib.sha256(where.encode()).hexdigest()


def _own_visit(request) -> bool:
    """Signed in, or with messages waiting. Without a session or messages
    cookie neither can be, and asking would cost more than the shared page
    (the user object passes through django-otp's wrapper)."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES and MESSAGES_COOKIE not in request.COOKIES:
        return False
    return request.user.is_authenticated or bool(len(messages.get_messages(request)))


def _answer(request, body: bytes, etag: str) -> HttpResponse:
    if etag in (tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=0, s_maxage=CDN_MAX_AGE_SECONDS)
    # A signed-in visitor's cookie gets another page: a CDN must not mix them.
    patch_vary_headers(response, ["Cookie"])
    return response
