"""Sign-up (throttled, and the same answer whether or not the address has
an account), the verification link, and a page to send it again."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts import verification
from accounts.forms import SignupForm
from accounts.views import address_and_typed_email, person_and_address, safe_next, with_next
from core import rate_limit


def _too_many_sign_ups(request, wait: int):
    context = {"form": SignupForm(), "next": safe_next(request), "rate_limited_for": wait}
    return render(request, "accounts/signup.html", context, status=429)


# Counted like logins: per client address and per address typed, so nobody's
# inbox can be filled with notes sent from many client addresses. With Redis
# down that cannot be counted: refused (503), as the resends below are.
@rate_limit.limit_posts(
    "signup",
    rate_setting="SIGNUP_RATE_LIMIT",
    answer=_too_many_sign_ups,
    identities=address_and_typed_email,
    fail_safe=True,
)
@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        verification.sign_up(
            email=data["email"], first_name=data["first_name"], last_name=data["last_name"], password=data["password1"]
        )
        # The same answer whether or not the address already had an account.
        return redirect(with_next(reverse("signup-sent"), safe_next(request)))
    return render(
        request, "accounts/signup.html", {"form": form, "next": safe_next(request)}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def verify_email(request, token: str):
    """GET asks to confirm (mail scanners that open links change nothing);
    POST confirms the address."""
    if request.method == "GET":
        return render(request, "accounts/verify_email.html", {"token": token})
    try:
        user = verification.verify_email(token=token)
    except verification.VerificationFailed as failure:
        return render(request, "accounts/verify_email.html", {"failure": str(failure)}, status=400)
    messages.success(request, "Thank you: your email address is confirmed.")
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect(settings.LOGIN_REDIRECT_URL)
    return redirect("login")


def _too_many_resends(request, wait: int):
    return render(request, "accounts/verify_email_needed.html", {"rate_limited_for": wait}, status=429)


@login_required
@rate_limit.limit_posts(
    "verify-resend",
    rate_setting="SIGNUP_RATE_LIMIT",
    answer=_too_many_resends,
    identities=person_and_address,
    fail_safe=True,
)
@require_http_methods(["GET", "POST"])
def resend_verification(request):
    if not verification.needs_verification(request.user):
        messages.info(request, "Your email address is already confirmed.")
        return redirect(settings.LOGIN_REDIRECT_URL)
    if request.method == "POST":
        if verification.send_verification_email(user=request.user):
            messages.success(request, f"We sent a new link to {request.user.email}.")
        else:
            messages.warning(request, "We could not send the email just now; try again in a few minutes.")
        return redirect(safe_next(request) or "resend-verification")
    return render(request, "accounts/verify_email_needed.html", {})


@require_GET
def signup_sent(request):
    return render(request, "accounts/check_email.html", {"next": safe_next(request)})
