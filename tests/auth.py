"""Logging people in for tests, the way the site lets them in."""

from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from accounts import selectors


def log_in(client, user):
    """Log `user` in on `client` and return it. Staff, finance and
    superusers then give their second factor on the real verify page (a
    fresh backup code each time), as they must before any admin or finance
    page opens; everyone else needs only the password step. Each second
    factor counts one attempt against LOGIN_RATE_LIMIT from the client's
    address, so a test may log in ten such people a minute."""
    client.force_login(user)
    if selectors.needs_second_factor(user):
        device, _ = StaticDevice.objects.get_or_create(user=user, name="Test backup codes")
        code = StaticToken.random_token()
        device.token_set.create(token=code)
        verify = reverse("second-factor-verify")
        # The page first, as a browser would: it sets the CSRF cookie that a
        # client checking CSRF needs for the form.
        assert client.get(verify).status_code == 200
        response = client.post(verify, {"code": code, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
        assert response.status_code == 302, f"the second factor was refused ({response.status_code})"
    return client


def sign_in_donor(client, donor):
    """Sign `donor` in to the donor portal on `client`, by following a
    sign-in link as the donor would from its email; returns the client."""
    from datetime import timedelta

    from django.utils import timezone

    from donors.models import SignInLink
    from donors.services.sign_in import token_for

    link = SignInLink.objects.create(donor=donor, expires_at=timezone.now() + timedelta(minutes=5))
    response = client.get(reverse("donors:sign-in-link", kwargs={"token": token_for(link)}))
    assert response.status_code == 302, f"the sign-in link was refused ({response.status_code})"
    return client
