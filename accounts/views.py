"""Log in (rate-limited, the admin's login too), password reset, the
second factor staff need, and a person's own pages. Sign-up and email
verification are in verification_views.py."""

from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.forms import AuthenticatorCodeForm, EmailLoginForm, SecondFactorCodeForm
from accounts.password_reset import QueuedPasswordResetForm
from campaigns import selectors as campaign_selectors
from core import rate_limit


def address_and_typed_email(request) -> list[str]:
    """Rate-limit identities: per client address and per email address typed."""
    identities = [f"address:{rate_limit.client_address(request)}"]
    typed = (request.POST.get("username") or request.POST.get("email") or "").strip().lower()
    if typed:
        identities.append(f"email:{typed[:254]}")
    return identities


def _limited_form(scope: str, *, template: str, blank_form, page_context=lambda request: {}):
    """Count each POST against LOGIN_RATE_LIMIT, per client address and per
    email address typed; over the limit, answer 429 with the form and a
    message saying when to try again, and do nothing else. Fails safe: with
    Redis down nobody can count guesses, so the POST is refused (503)."""

    def too_many_attempts(request, wait: int):
        context = {**page_context(request), "form": blank_form(request), "rate_limited_for": wait}
        return render(request, template, context, status=429)

    return rate_limit.limit_posts(
        scope,
        rate_setting="LOGIN_RATE_LIMIT",
        answer=too_many_attempts,
        identities=address_and_typed_email,
        fail_safe=True,
    )


login_view = _limited_form("login", template="registration/login.html", blank_form=EmailLoginForm)(
    auth_views.LoginView.as_view(authentication_form=EmailLoginForm, redirect_authenticated_user=True)
)


def _admin_login_page(request) -> dict:
    """What the admin's login template needs around its form."""
    return {
        **admin.site.each_context(request),
        "title": "Log in",
        "app_path": request.get_full_path(),
        REDIRECT_FIELD_NAME: request.GET.get(REDIRECT_FIELD_NAME, ""),
    }


# The same limit and the same counts as /accounts/login/: trying passwords
# on both pages gains an attacker nothing.
admin_login_view = _limited_form(
    "login", template="admin/login.html", blank_form=AdminAuthenticationForm, page_context=_admin_login_page
)(admin.site.login)

password_reset_view = _limited_form(
    "password-reset",
    template="registration/password_reset_form.html",
    blank_form=lambda request: QueuedPasswordResetForm(),
)(auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm))


def safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


@login_required
def my_pages(request):
    return render(request, "accounts/my_pages.html", {"pages": campaign_selectors.pages_of(request.user)})


def with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}" if next_url else url


def person_and_address(request) -> list[str]:
    """Rate-limit identities of a logged-in person: per account and per client address."""
    return [f"user:{request.user.pk}", f"address:{rate_limit.client_address(request)}"]


def _limited_codes(page, blank_form):
    """Count each code typed against LOGIN_RATE_LIMIT, per person and per
    client address; over the limit, answer 429 with the page and a notice.
    Fails safe, like the password's limit."""
    return rate_limit.limit_posts(
        "second-factor",
        rate_setting="LOGIN_RATE_LIMIT",
        identities=person_and_address,
        fail_safe=True,
        answer=lambda request, wait: page(request, form=blank_form(), status=429, rate_limited_for=wait),
    )


def _second_factor_given(request, device) -> None:
    # A new session key at the step up, as at login: a session id planted
    # or seen before this point is worth no more than a password.
    request.session.cycle_key()
    django_otp.login(request, device)


def _verify_page(request, *, form, status: int = 200, rate_limited_for: int = 0):
    context = {"form": form, "next": safe_next(request), "rate_limited_for": rate_limited_for}
    return render(request, "accounts/second_factor_verify.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@_limited_codes(_verify_page, SecondFactorCodeForm)
def second_factor_verify(request):
    """The second step for staff, finance and superusers: a code from
    their app or a backup code, then on to where they were going."""
    next_url = safe_next(request)
    if request.user.is_verified():
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    if not selectors.has_second_factor(request.user):
        return redirect(with_next(reverse("second-factor-setup"), next_url))
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.verify_second_factor(user=request.user, code=form.cleaned_data["code"])
        if device is not None:
            _second_factor_given(request, device)
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
        form.add_error("code", "That code did not work. Check it and try again; each backup code works once.")
    return _verify_page(request, form=form, status=400 if form.errors else 200)


def _setup_page(request, *, form, status: int = 200, rate_limited_for: int = 0):
    device = services.start_authenticator_setup(user=request.user)
    secret = b32encode(device.bin_key).decode()
    qr_code = segno.make(device.config_url, error="m").svg_inline(scale=4, title="QR code for your authenticator app")
    context = {
        "form": form,
        "next": safe_next(request),
        "rate_limited_for": rate_limited_for,
        "otpauth_uri": device.config_url,
        "secret_groups": [secret[start : start + 4] for start in range(0, len(secret), 4)],
        # segno draws it from the URI above: no markup of anyone else's.
        "qr_code": mark_safe(qr_code),
    }
    return render(request, "accounts/second_factor_setup.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_setup(request):
    """Set up an authenticator app: its secret as a QR code, a link and
    text; a first code to prove it works; then the backup codes, shown on
    this one page and never again. Only for someone with no second factor
    yet: a password alone never adds another."""
    if selectors.has_second_factor(request.user):
        return redirect(with_next(reverse("second-factor-verify"), safe_next(request)))
    return _set_up_authenticator(request)


@_limited_codes(_setup_page, AuthenticatorCodeForm)
def _set_up_authenticator(request):
    form = AuthenticatorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = services.confirm_authenticator(user=request.user, code=form.cleaned_data["code"])
        if confirmed is not None:
            device, backup_codes = confirmed
            _second_factor_given(request, device)
            next_url = safe_next(request) or resolve_url(settings.LOGIN_REDIRECT_URL)
            return render(request, "accounts/backup_codes.html", {"backup_codes": backup_codes, "next": next_url})
        form.add_error("code", "That code did not match. Check the time on your phone and type the newest code.")
    return _setup_page(request, form=form, status=400 if form.errors else 200)
