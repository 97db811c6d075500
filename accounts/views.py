"""Sign up, log in (rate-limited), password reset, and a person's own pages."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms import EmailLoginForm, SignupForm
from campaigns import selectors as campaign_selectors
from core import rate_limit


def _address_and_typed_email(request) -> list[str]:
    """Per client address and per email address typed."""
    identities = [f"address:{rate_limit.client_address(request)}"]
    typed = (request.POST.get("username") or request.POST.get("email") or "").strip().lower()
    if typed:
        identities.append(f"email:{typed[:254]}")
    return identities


def _limited_form(scope: str, *, template: str, blank_form):
    """Count each POST against LOGIN_RATE_LIMIT, per client address and per
    email address typed; over the limit, answer 429 with the form and a
    message saying when to try again, and do nothing else."""

    def too_many_attempts(request, wait: int):
        return render(request, template, {"form": blank_form(request), "rate_limited_for": wait}, status=429)

    return rate_limit.limit_posts(
        scope, rate_setting="LOGIN_RATE_LIMIT", answer=too_many_attempts, identities=_address_and_typed_email
    )


login_view = _limited_form("login", template="registration/login.html", blank_form=EmailLoginForm)(
    auth_views.LoginView.as_view(authentication_form=EmailLoginForm, redirect_authenticated_user=True)
)


class SiteUrlPasswordResetView(auth_views.PasswordResetView):
    """The reset link is built from SITE_URL, never from the request's Host
    header, which whoever asks for the reset controls."""

    def form_valid(self, form):
        site = urlsplit(settings.SITE_URL)
        self.extra_email_context = {"protocol": site.scheme, "domain": site.netloc}
        return super().form_valid(form)


password_reset_view = _limited_form(
    "password-reset",
    template="registration/password_reset_form.html",
    blank_form=lambda request: PasswordResetForm(),
)(SiteUrlPasswordResetView.as_view())


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.register(
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            password=data["password1"],
        )
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        messages.success(request, "Welcome! Your account is ready.")
        return redirect(_safe_next(request) or settings.LOGIN_REDIRECT_URL)
    return render(
        request, "accounts/signup.html", {"form": form, "next": _safe_next(request)}, status=400 if form.errors else 200
    )


@login_required
def my_pages(request):
    return render(request, "accounts/my_pages.html", {"pages": campaign_selectors.pages_of(request.user)})
