"""POST /anymail/<esp>/tracking/: the configured email provider's tracking
webhook, and nothing else of anymail's (no other provider, no inbound
mail). Which provider is read from EMAIL_BACKEND on each request, so a
path is live exactly when its provider is the one we send through."""

from django.conf import settings
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt

from core import email_provider


@csrf_exempt  # the provider cannot send a CSRF token; anymail checks ANYMAIL_WEBHOOK_SECRET
def tracking_webhook(request, esp: str):
    if esp != email_provider.tracking_webhook_esp(settings.EMAIL_BACKEND):
        raise Http404("No tracking webhook for this email provider.")
    view = email_provider.tracking_webhook_view(settings.EMAIL_BACKEND)
    return view.as_view()(request)
