"""Emails about monthly gifts (receipts live in the receipts app)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from core.money import format_money
from donations import selectors


def renewal_failed_message(donation) -> EmailMultiAlternatives:
    context = {
        "donor": donation.donor,
        "amount": format_money(donation.charged_minor, donation.currency),
        "campaign": donation.campaign,
        "manage_url": selectors.plan_management_url(donation.recurring_plan),
        "org_name": settings.ORG_NAME,
    }
    message = EmailMultiAlternatives(
        subject=f"Your monthly gift to {settings.ORG_NAME} could not be charged",
        body=render_to_string("donations/email/renewal_failed.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[donation.donor.email],
    )
    message.attach_alternative(render_to_string("donations/email/renewal_failed.html", context), "text/html")
    return message
