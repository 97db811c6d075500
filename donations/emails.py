"""Emails about monthly gifts (receipts live in the receipts app). Each one
that links to the donor's page makes the link as it is built, just before
sending, so every email carries a link that works for the full
MONTHLY_LINK_MAX_AGE_DAYS and an old email's link dies on its own."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from core.emails import stable_message_id, templated_message
from core.money import format_money
from donations import selectors
from donations.models import PlanChange


def renewal_failed_message(donation) -> EmailMultiAlternatives:
    return templated_message(
        "donations/email/renewal_failed",
        subject=f"Your monthly gift to {settings.ORG_NAME} could not be charged",
        context={
            "donor": donation.donor,
            "amount": format_money(donation.charged_minor, donation.currency),
            "campaign": donation.campaign,
            "manage_url": selectors.plan_management_url(donation.recurring_plan),
        },
        to=donation.donor.email,
        # Sent again only if its worker died before it was marked sent.
        message_id=stable_message_id(f"renewal-failed-{donation.invoice_id}"),
    )


# What each kind of change says, after "Your monthly gift to <campaign>".
_CHANGE_SUBJECTS = {
    PlanChange.Kind.AMOUNT: "has been changed",
    PlanChange.Kind.STOPPED: "has been stopped",
    PlanChange.Kind.FUNDS: "now goes to new funds",
    PlanChange.Kind.CARD: "now uses a new card",
    PlanChange.Kind.PAUSED: "has been paused",
    PlanChange.Kind.RESUMED: "has resumed",
}


def plan_change_message(change: PlanChange) -> EmailMultiAlternatives:
    """Tells the donor what their link or portal was used for (and when the
    card is next charged), so a change they did not make does not go
    unnoticed."""
    plan = change.plan
    stopped = change.kind == PlanChange.Kind.STOPPED
    if change.kind in (PlanChange.Kind.AMOUNT, PlanChange.Kind.STOPPED):
        template = "plan_stopped" if stopped else "plan_changed"
    else:
        template = "plan_update"
    return templated_message(
        f"donations/email/{template}",
        subject=f"Your monthly gift to {settings.ORG_NAME} {_CHANGE_SUBJECTS[change.kind]}",
        context={
            "donor": plan.donor,
            "campaign": plan.campaign,
            "change": change,
            "kind": change.kind,
            "old_amount": format_money(change.old_monthly_minor, plan.currency),
            "new_amount": format_money(change.new_monthly_minor, plan.currency),
            "made_at": change.made_at,
            "next_charge_on": change.next_charge_on,
            "manage_url": None if stopped else selectors.plan_management_url(plan),
        },
        to=plan.donor.email,
        message_id=stable_message_id(f"plan-change-{change.pk}"),
    )


def fresh_link_message(plan) -> EmailMultiAlternatives:
    return templated_message(
        "donations/email/plan_fresh_link",
        subject=f"Your link to your monthly gift to {settings.ORG_NAME}",
        context={
            "donor": plan.donor,
            "campaign": plan.campaign,
            "manage_url": selectors.plan_management_url(plan),
            "max_age_days": settings.MONTHLY_LINK_MAX_AGE_DAYS,
        },
        to=plan.donor.email,
    )
