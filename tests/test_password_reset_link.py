"""The password-reset email's link is built from SITE_URL: a forged Host
header cannot send a victim's reset token to the attacker's site."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_reset_link_points_at_site_url_whatever_host_the_request_named(client, settings, mailoutbox):
    settings.SITE_URL = "https://give.example.org"
    settings.ALLOWED_HOSTS = ["give.example.org", "evil.example"]
    UserFactory(email="casey@example.org")

    client.post("/accounts/password-reset/", {"email": "casey@example.org"}, HTTP_HOST="evil.example")

    [mail] = mailoutbox
    assert "https://give.example.org/accounts/reset/" in mail.body
    assert "evil.example" not in mail.body
