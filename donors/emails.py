"""The donor portal's emails: the sign-in link (transactional: it goes to
a suppressed address too, since the donor asked for it just now)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from core.emails import stable_message_id, templated_message


def sign_in_message(link, *, url: str) -> EmailMultiAlternatives:
    return templated_message(
        "donors/email/sign_in",
        subject=f"Your link to sign in to {settings.ORG_NAME}",
        context={"donor": link.donor, "url": url, "minutes": settings.DONOR_SIGN_IN_LINK_MINUTES},
        to=link.donor.email,
        # Sent again only if its worker died before it was marked sent.
        message_id=stable_message_id(f"sign-in-{link.public_id}"),
    )
