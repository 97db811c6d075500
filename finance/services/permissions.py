"""The Finance group: what finance staff may see and do. Captains and
other staff get none of it unless they are added to the group.

Finance reads the ledger (and the organisations gifts were given as), exports it, imports offline gifts and donors'
details (the admin's donor import changes donors, so it needs
change_donor), moves a gift to another fundraiser, team or fund of its
campaign (donations.move_donation: a correction of where money counts,
kept in donations.GiftMove), and sends failed receipts, notices and
statements again, records a donor's cancelled Gift Aid declaration and
reads the Gift Aid claims made, and downloads or erases a donor's data
(privacy.export_donor_data, privacy.erase_donor). Refunding moves money and is granted to people one by
one (donations.refund_donation), as is everything else that changes a row."""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

FINANCE_GROUP = "Finance"

FINANCE_PERMISSIONS = {
    "campaigns": ["view_fund", "view_organization", "view_receiptingentity"],
    "donations": [
        "view_donation",
        "view_donor",
        "change_donor",
        "view_refund",
        "view_dispute",
        "view_recurringplan",
        "move_donation",
        "view_giftmove",
        "view_giftaiddeclaration",
        "cancel_giftaiddeclaration",
    ],
    "receipts": ["view_receipt", "view_voidnotice", "view_yearendstatement", "resend_email"],
    "finance": [
        "view_auditlogentry",
        "view_giftimport",
        "view_offlinegift",
        "view_payout",
        "view_payoutline",
        "export_gifts",
        "import_gifts",
        "view_finance_reports",
        "view_giftaidclaim",
        "view_giftaidclaimline",
    ],
    # Donors' data rights: download everything held on a donor, erase one
    # (the admin's Donor actions), and see the requests, exports and erasures.
    "privacy": ["export_donor_data", "erase_donor", "view_datarequest", "view_dataexport", "view_erasure"],
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
