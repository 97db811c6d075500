"""Privacy's part of the Stripe webhook inbox, registered with donations'
inbox by PrivacyConfig.ready(): when an erased donor's customer is
deleted (privacy.services.erasure asks Stripe to), Stripe sends
`customer.deleted` carrying the customer as it was, name and email
included. Its stored payload must not bring them back."""

from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from donations.models import Donor, RecurringPlan
from privacy.models import Erasure

CUSTOMER_EVENTS = ("customer.deleted",)
# What a Stripe customer holds of the person.
PERSONAL_FIELDS = ("email", "name", "phone", "address", "shipping", "description")


def forget_erased_customer(customer: dict) -> bool:
    """Blank the person's details on the event's own object (the stored
    payload's `data.object`, which the inbox saves with the event once its
    handler returns) when the customer was an erased donor's."""
    if not _is_erased_donors(customer["id"]):
        return True
    for field in PERSONAL_FIELDS:
        if field in customer:
            customer[field] = None
    return True


def _is_erased_donors(customer_id: str) -> bool:
    """Whether the customer is an erased donor's. Stripe sends the event
    as soon as the erasure deletes the customer, which is before the
    erasure commits: so first wait on the lock of every donor whose plan
    uses the customer (an erasure holds its donor's until it commits), and
    read them as they are then."""
    with transaction.atomic():
        owners = Donor.objects.select_for_update().filter(
            pk__in=RecurringPlan.objects.filter(stripe_customer_id=customer_id).values("donor_id")
        )
        if any(owner.erased_at is not None for owner in owners):
            return True
    # A customer the erasure found only in stored events (one made in the
    # dashboard) is named in its record.
    return (
        Erasure.objects.annotate(customers=Cast("stripe_customers", TextField()))
        .filter(customers__contains=f'"{customer_id}"')
        .exists()
    )
