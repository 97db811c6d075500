"""Log in (rate-limited), password reset, and a person's own pages. Sign-up
and email verification are in verification_views.py."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.forms import EmailLoginForm
from accounts.password_reset import QueuedPasswordResetForm
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

password_reset_view = _limited_form(
    "password-reset",
    template="registration/password_reset_form.html",
    blank_form=lambda request: QueuedPasswordResetForm(),
)(auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm))


@login_required
def my_pages(request):
    return render(request, "accounts/my_pages.html", {"pages": campaign_selectors.pages_of(request.user)})
