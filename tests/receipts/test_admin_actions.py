"""Sending failed emails again from the admin needs receipts.resend_email:
seeing the list of receipts is not enough."""

import pytest
from django.contrib.auth.models import Group, Permission

from finance.services.permissions import FINANCE_GROUP
from receipts.models import Receipt
from tests.auth import log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_receipt(make_gift):
    """A receipt the provider refused once for good."""
    make_gift(send_receipt=False)
    Receipt.objects.update(status=Receipt.Status.FAILED, attempts=1)
    return Receipt.objects.get()


def send_again(client, receipt, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            "/admin/receipts/receipt/", {"action": "send_failed_again", "_selected_action": [receipt.pk]}, follow=True
        )


def test_staff_who_may_only_see_receipts_cannot_send_one_again(
    client, failed_receipt, mailoutbox, django_capture_on_commit_callbacks
):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_receipt"))
    log_in(client, viewer)

    response = send_again(client, failed_receipt, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    failed_receipt.refresh_from_db()
    assert (failed_receipt.status, failed_receipt.attempts) == (Receipt.Status.FAILED, 1)
    assert mailoutbox == []


def test_finance_staff_send_a_failed_receipt_again(
    client, failed_receipt, mailoutbox, django_capture_on_commit_callbacks
):
    finance = UserFactory(is_staff=True)
    finance.groups.add(Group.objects.get(name=FINANCE_GROUP))
    log_in(client, finance)

    response = send_again(client, failed_receipt, django_capture_on_commit_callbacks)

    assert "1 failed email(s) queued to send again" in response.content.decode()
    failed_receipt.refresh_from_db()
    assert failed_receipt.status == Receipt.Status.SENT
    assert len(mailoutbox) == 1
