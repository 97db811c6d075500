"""Staff sessions: an idle timeout, and a second factor before the admin
and finance pages (settings.MIDDLEWARE says where each runs)."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.shortcuts import redirect
from django.urls import reverse

from accounts import selectors

LAST_SEEN_SESSION_KEY = "staff_last_seen"
# The last-seen time is written at most this often, not on every request,
# so that a busy staff session is not a session write per page; the idle
# limit is therefore kept to within a minute.
LAST_SEEN_PRECISION_SECONDS = 60


def start_idle_clock(sender, request, user, **kwargs):
    """At login (the user_logged_in signal, connected in AccountsConfig)."""
    if selectors.needs_second_factor(user):
        request.session[LAST_SEEN_SESSION_KEY] = time.time()


class StaffIdleTimeoutMiddleware:
    """Log out staff, finance and superusers whose last request was more
    than STAFF_SESSION_IDLE_SECONDS ago: a session left open on a shared
    computer stops being a way into donors' details. Everyone else keeps
    Django's session as it is. The request then goes on as a visitor's, so
    a page that needs a login sends them to it and back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if selectors.needs_second_factor(request.user):
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_SESSION_KEY)
            if last_seen is not None and now - last_seen > settings.STAFF_SESSION_IDLE_SECONDS:
                logout(request)
                minutes = max(1, settings.STAFF_SESSION_IDLE_SECONDS // 60)
                messages.info(request, f"You were logged out after {minutes} minutes without activity.")
            elif last_seen is None or now - last_seen >= LAST_SEEN_PRECISION_SECONDS:
                request.session[LAST_SEEN_SESSION_KEY] = now
        return self.get_response(request)


class SecondFactorRequiredMiddleware:
    """Staff, finance and superusers who have given only their password are
    sent to the second-factor page (which sets one up if they have none)
    before any admin or finance page, then back.

    Enforced here, once, by the URL namespace the request resolved to,
    rather than by OTPAdminSite plus the finance decorator: every admin view
    (model pages, custom admin URLs, import-export's) and every finance page
    is covered, including ones added later, and the admin needs no login
    form of its own that asks for a code but cannot set one up."""

    PROTECTED_NAMESPACES = frozenset({"admin", "finance"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not self.PROTECTED_NAMESPACES.intersection(request.resolver_match.namespaces):
            return None
        if not selectors.needs_second_factor(request.user) or request.user.is_verified():
            return None
        query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
        return redirect(f"{reverse('second-factor-verify')}?{query}")
