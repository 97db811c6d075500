"""Who is signed in to the donor portal.

A donor signs in with a link emailed to them (donors.services.sign_in)
and no password; what they have then is this session: the donor's id in
Django's session, which ends when the browser closes (a session cookie)
or after an hour with no portal request. It lives beside a fundraiser's
or staff member's login without touching it: signing a donor out forgets
only the donor."""

import time
from functools import wraps

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from donations.models import Donor

SESSION_KEY = "donor_portal"
IDLE_SECONDS = 3600
# How stale the idle clock may get before a request writes it again: so
# that not every page view writes the session row.
_CLOCK_RESOLUTION_SECONDS = 60


def sign_in(request, donor: Donor) -> None:
    # A new session key: whoever held the old one (a fixed or planted
    # cookie) does not share the donor's session.
    request.session.cycle_key()
    request.session[SESSION_KEY] = {"donor": donor.pk, "seen": int(time.time())}
    request.session.set_expiry(0)


def sign_out(request) -> None:
    request.session.pop(SESSION_KEY, None)


def signed_in_donor(request) -> Donor | None:
    """The donor this request is signed in as, or None (never signed in,
    idle for over an hour, or erased since); keeps an active session's
    idle clock running."""
    state = request.session.get(SESSION_KEY)
    if not isinstance(state, dict):
        return None
    now = int(time.time())
    if now - state.get("seen", 0) > IDLE_SECONDS:
        sign_out(request)
        return None
    donor = Donor.objects.filter(pk=state.get("donor"), erased_at__isnull=True).first()
    if donor is None:
        sign_out(request)
        return None
    if now - state["seen"] >= _CLOCK_RESOLUTION_SECONDS:
        request.session[SESSION_KEY] = {**state, "seen": now}
    return donor


def donor_required(view):
    """A portal page: `request.donor` is the signed-in donor; anyone else
    is sent to the sign-in page, which brings them back after."""

    @wraps(view)
    def signed_in_only(request, *args, **kwargs):
        request.donor = signed_in_donor(request)
        if request.donor is None:
            return redirect(f"{reverse('donors:sign-in')}?next={request.path}")
        return view(request, *args, **kwargs)

    return signed_in_only


def donor_required_api(view):
    """A portal API: 401 JSON without a donor session."""

    @wraps(view)
    def signed_in_only(request, *args, **kwargs):
        request.donor = signed_in_donor(request)
        if request.donor is None:
            return JsonResponse(
                {"error": {"code": "not_signed_in", "message": "Sign in with the link we email you first."}},
                status=401,
            )
        return view(request, *args, **kwargs)

    return signed_in_only
