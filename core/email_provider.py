"""Which email provider's tracking webhook (bounces, complaints,
unsubscribes) Hopefund listens to: only the one EMAIL_BACKEND sends
through. Every other provider's webhook, and every inbound one, stays
unmounted, so nobody can feed us events from a provider we do not use."""

from anymail import urls as anymail_urls
from django.views import View

ANYMAIL_BACKENDS = "anymail.backends."


def tracking_webhook_esp(email_backend: str) -> str | None:
    """'anymail.backends.postmark.EmailBackend' -> 'postmark', the <esp> of
    /anymail/<esp>/tracking/; None for a backend without a tracking webhook
    (SMTP, file, locmem, anymail's test and console backends)."""
    if not email_backend.startswith(ANYMAIL_BACKENDS):
        return None
    esp = email_backend.removeprefix(ANYMAIL_BACKENDS).split(".")[0]
    return esp if esp in _tracking_views() else None


def tracking_webhook_view(email_backend: str) -> type[View] | None:
    """anymail's tracking view for the backend's provider (its `esp_name`
    is what the tracking signal reports), or None."""
    esp = tracking_webhook_esp(email_backend)
    return _tracking_views()[esp] if esp else None


def _tracking_views() -> dict[str, type[View]]:
    suffix = "_tracking_webhook"
    return {
        pattern.name.removesuffix(suffix): pattern.callback.view_class
        for pattern in anymail_urls.urlpatterns
        if pattern.name.endswith(suffix)
    }
