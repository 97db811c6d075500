"""Privacy's part of the Stripe webhook inbox, registered with donations'
inbox by PrivacyConfig.ready(): when an erased donor's customer is
deleted (privacy.services.erasure asks Stripe to), Stripe sends
`customer.deleted` carrying the customer as it was, name and email
included. Its stored payload must not bring them back."""

from django.db.models import TextField
from django.db.models.functions import Cast

from privacy.models import Erasure

CUSTOMER_EVENTS = ("customer.deleted",)
# What a Stripe customer holds of the person.
PERSONAL_FIELDS = ("email", "name", "phone", "address", "shipping", "description")


def forget_erased_customer(customer: dict) -> bool:
    """Blank the person's details on the event's own object (the stored
    payload's `data.object`, which the inbox saves with the event once its
    handler returns) when the customer was an erased donor's."""
    erased = (
        Erasure.objects.annotate(customers=Cast("stripe_customers", TextField()))
        .filter(customers__contains=f'"{customer["id"]}"')
        .exists()
    )
    if not erased:
        return True
    for field in PERSONAL_FIELDS:
        if field in customer:
            customer[field] = None
    return True
