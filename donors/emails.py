"""The donor portal's emails: the sign-in link (transactional: it goes to
a suppressed address too, since the donor asked for it just now)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def sign_in_message(link, *, url: str) -> EmailMultiAlternatives:
    context = {
        "donor": link.donor,
        "url": url,
        "minutes": settings.DONOR_SIGN_IN_LINK_MINUTES,
        "org_name": settings.ORG_NAME,
    }
    domain = urlsplit(settings.SITE_URL).hostname or "hopefund.invalid"
    message = EmailMultiAlternatives(
        subject=f"Your link to sign in to {settings.ORG_NAME}",
        body=render_to_string("donors/email/sign_in.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[link.donor.email],
        # Sent again only if its worker died before it was marked sent.
        headers={"Message-ID": f"<sign-in-{link.public_id}@{domain}>"},
    )
    message.attach_alternative(render_to_string("donors/email/sign_in.html", context), "text/html")
    return message
