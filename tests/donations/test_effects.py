"""The effects of a status change: receipts' hooks are registered once at
start-up, and a missing receipt hook stops a gift from succeeding rather
than leaving it without a receipt."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from donations import checks
from donations.models import Donation
from donations.services import effects
from receipts.models import Receipt
from receipts.services import receipts as receipt_services
from tests.factories import DonationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def without_receipt_hooks(monkeypatch):
    monkeypatch.setitem(effects._HOOKS, effects.ON_SUCCEEDED, [])


def test_receipts_registers_its_hooks_once_and_registering_again_changes_nothing():
    before = {moment: list(hooks) for moment, hooks in effects._HOOKS.items()}

    effects.register(
        effects.ON_SUCCEEDED, receipt_services.issue_receipt, receipt=True, bulk=receipt_services.issue_receipts
    )
    effects.register(effects.ON_REFUNDED, receipt_services.reissue_after_refund, receipt=True)

    assert before == effects._HOOKS
    assert [hook.function for hook in effects._HOOKS[effects.ON_SUCCEEDED] if hook.receipt] == [
        receipt_services.issue_receipt
    ]
    assert effects.moments_without_receipt_hook() == []
    assert checks.receipt_hooks_are_registered(None) == []


def test_the_start_up_check_names_a_moment_without_a_receipt_hook(without_receipt_hooks):
    [error] = checks.receipt_hooks_are_registered(None)

    assert error.id == "hopefund.E001"
    assert "'succeeded'" in error.msg


def test_without_the_receipt_hook_a_gift_does_not_succeed_silently(campaign, without_receipt_hooks):
    with pytest.raises(ImproperlyConfigured, match="receipt hook"):
        DonationFactory(succeeded=True, through_services=True, campaign=campaign)

    assert not Donation.objects.filter(status=Donation.Status.SUCCEEDED).exists()
    assert not Receipt.objects.exists()


def test_an_unknown_moment_is_refused():
    with pytest.raises(ImproperlyConfigured, match="moment"):
        effects.register("paid-twice", receipt_services.issue_receipt)
