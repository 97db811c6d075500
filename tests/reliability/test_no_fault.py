"""The stack unbroken: the baseline row of the table, and proof that the
audit finds every gift exact when nothing went wrong."""

import time

import pytest

from tests.reliability.traffic import give_many

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]


def test_gifts_on_the_unbroken_stack_are_each_charged_recorded_and_receipted_once(stack, settle):
    started = time.monotonic()
    answers = give_many(stack.web.url, 20)

    assert [answer.status for answer in answers] == [201] * 20
    result = settle(fault="none (baseline)", attempted=20, since=started, within=60, server_errors=0)
    result.assert_exact()
    assert (result.recorded, result.charged, result.receipts_sent) == (20, 20, 20)
