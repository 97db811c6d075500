import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from finance.services.permissions import FINANCE_GROUP, FINANCE_PERMISSIONS, ensure_finance_group

pytestmark = pytest.mark.django_db


def test_migrating_creates_the_finance_group_with_export_import_and_ledger_views():
    group = Group.objects.get(name=FINANCE_GROUP)
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert {
        ("finance", "export_gifts"),
        ("finance", "import_gifts"),
        ("donations", "view_donation"),
        ("donations", "view_refund"),
        ("finance", "view_payout"),
        ("receipts", "resend_email"),
    } <= codenames
    # The one row finance may change is a donor's details, as the admin's
    # donor import does; nothing is added or deleted.
    writes = {codename for _, codename in codenames if codename.startswith(("add_", "change_", "delete_"))}
    assert writes == {"change_donor"}


def test_every_permission_the_finance_group_lists_exists():
    group = Group.objects.get(name=FINANCE_GROUP)
    granted = set(group.permissions.values_list("content_type__app_label", "codename"))

    listed = {(app, codename) for app, codenames in FINANCE_PERMISSIONS.items() for codename in codenames}

    assert granted == listed


def test_finance_staff_cannot_refund_moderate_or_change_gifts(finance_user):
    for permission in (
        "donations.refund_donation",
        "donations.add_refund",
        "donations.change_donation",
        "campaigns.moderate_page",
        "campaigns.change_team",
    ):
        assert not finance_user.has_perm(permission), permission


def test_finance_staff_may_move_gifts_and_read_the_moves(finance_user):
    assert finance_user.has_perm("donations.move_donation")
    assert finance_user.has_perm("donations.view_giftmove")
    assert not finance_user.has_perm("donations.change_giftmove")


def test_ensuring_the_group_again_restores_a_removed_permission_and_adds_no_second_group():
    group = Group.objects.get(name=FINANCE_GROUP)
    group.permissions.remove(group.permissions.get(codename="export_gifts"))

    ensure_finance_group()

    assert Group.objects.filter(name=FINANCE_GROUP).count() == 1
    assert group.permissions.filter(codename="export_gifts").exists()


def test_the_demo_finance_login_can_export_and_the_demo_captain_cannot():
    from demo.seed import seed_demo

    seed_demo()
    users = get_user_model().objects
    assert users.get(email="finance@hopefund.example").has_perm("finance.export_gifts")
    assert not users.get(email="captain@hopefund.example").has_perm("finance.export_gifts")
