"""Password reset whose answer takes as long whether or not the address has
an account: the view only queues the work, and a Celery task looks the
address up and sends the email. Links are built from SITE_URL, never from
the request's Host header."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm

from accounts import tasks


class QueuedPasswordResetForm(PasswordResetForm):
    def save(self, **ignored):
        """PasswordResetView calls this with the request; the task needs none of it."""
        tasks.send_password_reset.delay(email=self.cleaned_data["email"])


def send_password_reset(*, email: str) -> None:
    """Django's reset email to each active account with this address, if any."""
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return
    site = urlsplit(settings.SITE_URL)
    form.save(domain_override=site.netloc, use_https=site.scheme == "https")
