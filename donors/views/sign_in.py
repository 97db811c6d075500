"""Signing in to the donor portal by an emailed link: asking for one (the
page and the JSON API, answering the same whether or not the address is
known), following it, and signing out."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import rate_limit
from core.json_body import BadJsonBody, json_body
from donations.views import too_many_attempts
from donors import session
from donors.forms import SignInForm
from donors.services import sign_in

# Counted per client address, the page and the API together; the address
# typed has its own count in the service (over it: the same answer, no email).
ADDRESS_SCOPE = "donor-sign-in"


def _requested() -> dict:
    """The one answer to every valid request, known address or not."""
    return {
        "detail": "If this address belongs to a donor, a link to sign in is on its way to it. It works once, "
        f"within {settings.DONOR_SIGN_IN_LINK_MINUTES} minutes."
    }


def safe_next(request) -> str:
    """`next` from the form or the query, if it is a path on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _too_many_requests_page(request, wait: int):
    context = {"form": SignInForm(), "next": safe_next(request), "rate_limited_for": wait}
    response = render(request, "donors/sign_in.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limit.limit_posts(ADDRESS_SCOPE, rate_setting="DONOR_SIGN_IN_CLIENT_RATE_LIMIT", answer=_too_many_requests_page)
def sign_in_page(request):
    next_path = safe_next(request)
    form = SignInForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "donors/sign_in.html", {"form": form, "next": next_path}, status=400)
        sign_in.request_link(email=form.cleaned_data["email"], next_path=next_path)
        # The same page whether or not a link was sent.
        return render(request, "donors/sign_in_sent.html", {"minutes": _minutes()})
    context = {"form": form, "next": next_path, "signed_out": "signed_out" in request.GET}
    return render(request, "donors/sign_in.html", context)


# The JSON API is not cookie-authenticated, so CSRF does not apply to it:
# asking for a link opens no session, and the link goes to the address's owner.
@csrf_exempt
@require_POST
@rate_limit.limit_posts(ADDRESS_SCOPE, rate_setting="DONOR_SIGN_IN_CLIENT_RATE_LIMIT", answer=too_many_attempts)
def sign_in_api(request):
    try:
        body = json_body(request)
    except BadJsonBody as bad:
        return JsonResponse({"errors": {"__all__": [bad.message]}}, status=bad.status)
    if not isinstance(body, dict):
        return JsonResponse({"errors": {"__all__": ["The request body must be a JSON object."]}}, status=400)
    email = body.get("email")
    form = SignInForm({"email": email if isinstance(email, str) else ""})
    if not form.is_valid():
        message = "Enter a valid email address." if email is not None else "This field is required."
        return JsonResponse({"errors": {"email": [message]}}, status=400)
    sign_in.request_link(email=form.cleaned_data["email"])
    return JsonResponse(_requested(), status=202)


def _minutes() -> int:
    return settings.DONOR_SIGN_IN_LINK_MINUTES


def _private(response):
    """The token page: nothing keeps it, and no link from it tells another
    site (or our own logs, beyond the masking) the token."""
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def follow_link(request, token: str):
    """The link in the email: signs the donor in once and sends them on to
    the portal (or where they were going). A used or expired link is a 410
    page, a forged one a 404 page, each with the form to ask for a new one;
    a used link opened again in the browser it signed in goes to the portal."""
    try:
        signed_in = sign_in.use_link(token=token)
    except sign_in.LinkRefused as refused:
        already = session.signed_in_donor(request)
        if refused.reason == refused.USED and already is not None and already.pk == refused.donor_id:
            # Opened again in the browser it signed in (a double click, the
            # email opened twice): that browser holds the donor's session.
            return _private(redirect(reverse("donors:portal")))
        status = 404 if refused.reason == refused.FORGED else 410
        context = {"reason": refused.reason, "form": SignInForm(), "next": "", "minutes": _minutes()}
        return _private(render(request, "donors/sign_in_link_refused.html", context, status=status))
    session.sign_in(request, signed_in.donor)
    target = signed_in.next_path
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return _private(redirect(target or reverse("donors:portal")))


@require_POST
def sign_out(request):
    """Forgets the donor only: a fundraiser's login in the same browser stays."""
    session.sign_out(request)
    return redirect(f"{reverse('donors:sign-in')}?signed_out=1")
