"""The public giving pages, rendered once and shared between anonymous
visitors through Redis, and revalidated by ETag.

A cached page keeps the versions (campaigns/page_versions.py) of what it
shows and is served only while they are unchanged: a gift, a refund, an
edit, a hidden page or a new update shows on the very next request. The
versions are read before the page's rows, so a page drawn before a change
commits is stored under the old versions and never served after it.

A page is stored with the headers it was drawn with (the security
headers among them) and served from SharedPageMiddleware, before the
rest of the middleware runs. Only what is the same for every visitor is
shared: signed-in visitors (their name, their team's join button, the
logout form's CSRF token), requests with messages waiting and pages that
set a cookie are their visitor's own, marked private. Searches are not
cached (every query string would be a key); leaderboard page numbers are.

Answers carry an ETag and `Cache-Control: public, max-age=0, s-maxage=1`:
a CDN may serve a page for a second and then revalidate it (a 304 costs
one Redis read), so with the invalidation here a visitor sees a new gift
within the two seconds docs/contract.md promises; a browser revalidates
every time, so a donor who reloads after giving sees the gift at once."""

import hashlib
from dataclasses import dataclass

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
    """Mark `view` as drawing pages that SharedPageMiddleware may share
    between anonymous visitors; the view marks each page it may share by
    setting `response.shareable`."""
    view.shared_for_visitors = True
    return view


class SharedPageMiddleware:
    """Serves the shared pages, and stores them with the headers the rest of
    the stack gave them, so that a hit carries every one of them.

    It sits right after SecurityMiddleware (its HTTPS redirect and headers
    apply to every answer) and WhiteNoise (static files), before the rest:
    a hit for a visitor with no session or messages cookie, on a page this
    process has drawn before (so it knows the page's versions), costs one
    Redis round trip and none of the other middleware (building the CSP
    header alone costs about as much as a trivial request). Every other
    request for a marked view is looked up in process_view, once the
    visitor is known."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = None
        if request.path in _page_paths and not _has_visitor_cookies(request):
            key = _entry_key(request)
        if key is not None and key in _versions_seen:
            lookup = request.shared_page_lookup = _lookup(key)
            if lookup.is_current():
                return _answer(request, lookup.entry)
        response = self.get_response(request)
        return _share(request, response)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "shared_for_visitors", False) or hasattr(request, "shared_page_lookup"):
            return None
        if len(_page_paths) >= VERSIONS_SEEN_MAX:
            _page_paths.clear()
        _page_paths.add(request.path)
        key = None if _own_visit(request) else _entry_key(request)
        if key is None:
            return None
        # The versions' tokens are read before the page's rows are, so a
        # change committed while the page is drawn leaves it stale under
        # the tokens it is stored with.
        lookup = request.shared_page_lookup = _lookup(key)
        if lookup.is_current():
            response = _answer(request, lookup.entry)
            response.served_shared = True
            return response
        return None


def _share(request, response):
    """A drawn page: shared (stored, public) when this visitor may share it,
    private otherwise."""
    shareable = getattr(response, "shareable", None)
    if shareable is None or getattr(response, "served_shared", False):
        return response
    lookup = getattr(request, "shared_page_lookup", None)
    # A page that sets a cookie was drawn for this visitor alone.
    if lookup is None or response.cookies:
        patch_cache_control(response, private=True, no_cache=True)
        return response
    if response.status_code != 200:
        return response
    response["ETag"] = f'"{hashlib.md5(response.content, usedforsecurity=False).hexdigest()}"'
    patch_cache_control(response, public=True, max_age=0, s_maxage=CDN_MAX_AGE_SECONDS)
    # A signed-in visitor's cookie gets another page: a CDN must not mix them.
    patch_vary_headers(response, ["Cookie"])
    stored = {"versions": shareable.versions, "tokens": None}
    if lookup.tokens is not None and lookup.versions == shareable.versions:
        stored.update(tokens=lookup.tokens, body=response.content, headers=dict(response.items()))
    # else its versions were not known before it was drawn: keep only
    # which they are, so that the next request reads them first.
    _remember(lookup.key, shareable.versions)
    shared_cache.set(lookup.key, stored, timeout=max(1, shareable.max_seconds), when_down=None)
    if _revalidated(request, response["ETag"]):
        return _not_modified(response.headers)
    return response


# Which versions each page has, as this process last saw: with them, one
# Redis round trip reads the page and its versions' tokens together. Pages
# are few and their versions change only with their slugs; the bound is
# against query strings that are not pages.
_versions_seen: dict[str, list[str]] = {}
VERSIONS_SEEN_MAX = 20_000
# The paths of the shared pages' views this process has answered: only
# requests for them are looked up before the rest of the stack, as working
# out the key costs any other request a tenth of a trivial answer.
_page_paths: set[str] = set()


def _remember(key: str, versions: list[str]) -> list[str]:
    if len(_versions_seen) >= VERSIONS_SEEN_MAX:
        _versions_seen.clear()
    _versions_seen[key] = versions
    return versions


@dataclass
class _Lookup:
    """What the shared cache holds for a page: `versions` and their current
    `tokens` are None when not known yet or when Redis cannot be reached."""

    key: str
    versions: list[str] | None
    entry: dict | None
    tokens: dict | None

    def is_current(self) -> bool:
        """The stored page was drawn from the versions as they are now."""
        return (
            self.entry is not None
            and "headers" in self.entry
            and self.tokens is not None
            and self.entry["versions"] == self.versions
            and self.entry["tokens"] == self.tokens
        )


def _lookup(key: str) -> _Lookup:
    versions = _versions_seen.get(key)
    if versions is None:
        entry = shared_cache.get(key, when_down=None)
        if entry is None:
            return _Lookup(key, None, None, None)
        versions = _remember(key, entry["versions"])
        return _Lookup(key, versions, entry, page_versions.current(versions))
    found = shared_cache.get_many([key, *versions], when_down=None)
    if found is None:
        return _Lookup(key, versions, None, None)
    entry = found.pop(key, None)
    # A version with no token yet gets one before the page is drawn.
    tokens = found if len(found) == len(versions) else page_versions.current(versions)
    return _Lookup(key, versions, entry, tokens)


def _entry_key(request) -> str | None:
    """The shared page's key for this request's address, or None when a
    page is never shared there (not a GET, or a query beyond page numbers)."""
    if request.method != "GET":
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


def _has_visitor_cookies(request) -> bool:
    """A session or messages cookie: the visitor may be signed in or have
    messages waiting. Without either they can be neither."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES or MESSAGES_COOKIE in request.COOKIES


def _own_visit(request) -> bool:
    """Signed in, or with messages waiting. Asked only with their cookies:
    otherwise asking would cost more than the shared page (the user object
    passes through django-otp's wrapper)."""
    if not _has_visitor_cookies(request):
        return False
    return request.user.is_authenticated or bool(len(messages.get_messages(request)))


def _revalidated(request, etag: str) -> bool:
    # META, not request.headers: that builds a dict of every header, a
    # tenth of a hit's cost, to read one.
    return etag in (tag.strip() for tag in request.META.get("HTTP_IF_NONE_MATCH", "").split(","))


def _answer(request, entry: dict) -> HttpResponse:
    """The stored page with the headers it was drawn with (its ETag, its
    caching and every security header the stack gave it), or a 304."""
    if _revalidated(request, entry["headers"]["ETag"]):
        return _not_modified(entry["headers"])
    return HttpResponse(entry["body"], headers=entry["headers"])


def _not_modified(headers) -> HttpResponseNotModified:
    response = HttpResponseNotModified()
    for name, value in headers.items():
        if name.lower() not in ("content-type", "content-length"):
            response[name] = value
    return response
