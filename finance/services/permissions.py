"""The Finance group: what finance staff may see and do. Captains and
other staff get none of it unless they are added to the group."""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

FINANCE_GROUP = "Finance"

FINANCE_PERMISSIONS = {
    "donations": ["view_donation", "view_donor", "view_refund", "view_dispute", "view_fund", "view_recurringplan"],
    "receipts": ["view_receipt", "view_voidnotice", "view_yearendstatement"],
    "finance": [
        "view_auditlogentry",
        "view_giftimport",
        "view_offlinegift",
        "view_payout",
        "view_payoutline",
        "export_gifts",
        "import_gifts",
        "view_finance_reports",
    ],
}


def ensure_finance_group() -> Group:
    """Create the group or bring its permissions up to date; safe to run
    any number of times."""
    group, _ = Group.objects.get_or_create(name=FINANCE_GROUP)
    wanted = Q()
    for app_label, codenames in FINANCE_PERMISSIONS.items():
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    group.permissions.set(Permission.objects.filter(wanted))
    return group
