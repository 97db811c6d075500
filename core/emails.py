"""A transactional email built from a pair of templates: `<name>.txt`
for the text part and `<name>.html` for the HTML one, with the charity's
name in their context. Receipts and statements have their own builder
(receipts/emails.py); this one serves the shorter notices."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def templated_message(
    template: str, *, subject: str, context: dict, to: str, message_id: str | None = None
) -> EmailMultiAlternatives:
    context = {**context, "org_name": settings.ORG_NAME}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id} if message_id else None,
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def stable_message_id(local_part: str) -> str:
    """Stable per email: sent twice (a worker that died between sending
    and marking it sent), it is one message to mail clients."""
    domain = urlsplit(settings.SITE_URL).hostname or "hopefund.invalid"
    return f"<{local_part}@{domain}>"
