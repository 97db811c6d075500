"""Fixed-window attempt limits kept in the shared cache (Redis), so every
web process counts together.

When Redis is unreachable a limit cannot count. By default it then lets
the attempt through (fails open; core/shared_cache.py logs the outage):
refusing every donor while Redis restarts is the worse failure, and for
the few seconds that lasts a gift's card attempts are left to Stripe's own
fraud screening. A limit that is the only thing between an attacker and a
password, or a person's inbox, passes `fail_safe=True` and is refused
instead (SharedCacheDown; limit_posts answers 503 with Retry-After)."""

import re
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core import shared_cache
from core.shared_cache import REFUSE, SharedCacheDown

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "10/m" -> (10, 60): at most 10 attempts a minute; "30/10m" -> (30,
    600): at most 30 in ten minutes."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*", rate or "")
    if not match or int(match.group(1)) < 1 or int(match.group(2) or 1) < 1:
        raise ImproperlyConfigured(f"A rate limit looks like 10/m (per s, m, h or d, or 30/10m), not {rate!r}")
    return int(match.group(1)), int(match.group(2) or 1) * UNIT_SECONDS[match.group(3)]


def seconds_until_allowed(*, scope: str, identity: str, rate: str, fail_safe: bool = False) -> int:
    """Count one attempt; 0 if it is allowed, otherwise how many seconds
    until the window resets. With Redis unreachable: 0, or with
    `fail_safe` SharedCacheDown."""
    allowed, window = parse_rate(rate)
    now = time.time()
    key = f"rate:{scope}:{identity}:{int(now // window)}"
    try:
        attempts = shared_cache.count_in_window(key, window=window, when_down=REFUSE)
    except SharedCacheDown:
        if fail_safe:
            raise
        return 0
    if attempts <= allowed:
        return 0
    return max(1, int(window - now % window))


def client_address(request) -> str:
    """The address the request came from, for every per-address limit.

    With TRUSTED_PROXY_COUNT = 0 (no proxy) that is REMOTE_ADDR. gunicorn
    always sets REMOTE_ADDR to its socket peer, so behind a proxy that is
    the proxy, for every client alike (--forwarded-allow-ips only makes
    gunicorn trust the scheme headers). With N trusted proxies, each
    appending the address it saw to X-Forwarded-For (nginx:
    $proxy_add_x_forwarded_for), the Nth entry from the right is the one
    the outermost proxy saw; entries left of it came from the client and
    are ignored, so forging the header changes nothing. A header with fewer
    than N entries was written by our proxies alone (a request that entered
    past the outermost one, e.g. a probe inside the network): its leftmost
    entry is the furthest address any of them saw. No header at all means
    no proxy was passed: REMOTE_ADDR."""
    remote_addr = request.META.get("REMOTE_ADDR") or "unknown"
    trusted_proxies = settings.TRUSTED_PROXY_COUNT
    if not trusted_proxies:
        return remote_addr
    forwarded_for = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not forwarded_for:
        return remote_addr
    return forwarded_for[-min(trusted_proxies, len(forwarded_for))]


class RateLimited(Exception):
    """Over a limit: the caller answers 429, telling when to try again."""

    def __init__(self, seconds: int):
        super().__init__(f"Too many attempts; try again in {seconds} seconds.")
        self.seconds = seconds


def by_client_address(request) -> list[str]:
    return [client_address(request)]


def limit_posts(
    scope: str,
    *,
    rate_setting: str,
    answer: Callable[[HttpRequest, int], HttpResponse],
    identities: Callable[[HttpRequest], list[str]] = by_client_address,
    fail_safe: bool = False,
):
    """A view decorator: count each POST once per identity (by default the
    client address) against the rate in settings.<rate_setting>; over the
    limit for any of them, do nothing else and return `answer(request,
    seconds to wait)`, a 429 in the view's own form (JSON for an API, the
    page with a notice for a form). With Redis unreachable the POST goes
    through, or with `fail_safe` is answered 503 with Retry-After."""

    def decorator(view):
        @wraps(view)
        def limited(request, *args, **kwargs):
            if request.method != "POST":
                return view(request, *args, **kwargs)
            rate = getattr(settings, rate_setting)
            try:
                waits = [
                    seconds_until_allowed(scope=scope, identity=identity, rate=rate, fail_safe=fail_safe)
                    for identity in identities(request)
                ]
            except SharedCacheDown as down:
                return briefly_unavailable(request, down)
            if max(waits):
                return answer(request, max(waits))
            return view(request, *args, **kwargs)

        return limited

    return decorator


def briefly_unavailable(request: HttpRequest, down: SharedCacheDown) -> HttpResponse:
    """503 for a request refused because a limit it must pass cannot be
    counted: nothing was done, and it can be sent again shortly."""
    response = render(request, "briefly_unavailable.html", {"retry_after": down.retry_after}, status=503)
    response["Retry-After"] = str(down.retry_after)
    return response
