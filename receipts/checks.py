"""Deployment checks for donor email."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def tracking_webhook_is_protected(app_configs, **kwargs):
    """Without the secret, anymail accepts tracking calls from anyone, who
    could then suppress donors' addresses for impact updates."""
    if settings.ANYMAIL.get("WEBHOOK_SECRET"):
        return []
    return [
        Warning(
            "ANYMAIL_WEBHOOK_SECRET is not set, so /anymail/<esp>/tracking/ accepts unauthenticated calls.",
            hint="Set ANYMAIL_WEBHOOK_SECRET to user:password and configure the same basic auth at your provider.",
            id="hopefund.W001",
        )
    ]
