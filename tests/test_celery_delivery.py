"""Celery's delivery settings are what docs/architecture.md ("Delivery and
sweeps") says, and every task that moves money, mail or fees has a sweep
on beat."""

import socket
import time
from datetime import timedelta

import pytest
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.db import DatabaseError, connection
from kombu.exceptions import OperationalError

from donations.models import StripeEvent
from hopefund.celery import app
from receipts import tasks

# Each of our tasks -> the beat entry that queues again what it never did,
# or why it needs none. A new task must be added here (and to the docs).
SWEPT_BY = {
    "donations.tasks.process_stripe_event": "redrive-stripe-events",
    "donations.tasks.drain_stripe_events": "redrive-stripe-events",
    "donations.tasks.record_processing_fee": "record-missing-fees",
    "donations.tasks.record_processing_fees": "record-missing-fees",
    "donations.tasks.send_plan_change_notice": "resend-donor-notices",
    "donations.tasks.send_fresh_plan_link": "resend-donor-notices",
    "donations.tasks.send_renewal_failed_notice": "resend-donor-notices",
    "donations.tasks.settle_stale_gift": "settle-stale-gifts",
    "receipts.tasks.send_email": "resend-stalled-emails",
    "receipts.tasks.send_emails": "resend-stalled-emails",
    "finance.tasks.run_gift_import": "resume-stalled-imports",
    "finance.tasks.fetch_payout": "fetch-recent-payouts",
    "receipts.tasks.send_last_years_statements": "send-year-end-statements",
    "receipts.tasks.send_other_years_statements": "send-other-years-statements",
    # The retention schedule, daily; a lost run is made good the next day.
    "privacy.tasks.prune_personal_data": "prune-personal-data",
}
NEEDS_NO_SWEEP = {
    # The sweeps themselves: beat queues them again every period.
    "donations.tasks.redrive_stripe_events",
    "donations.tasks.record_missing_fees",
    "donations.tasks.resend_donor_notices",
    "donations.tasks.end_finished_pauses",
    "donations.tasks.settle_stale_gifts",
    "receipts.tasks.resend_stalled_emails",
    "finance.tasks.resume_stalled_imports",
    "finance.tasks.fetch_recent_payouts",
    # Nothing is stored to sweep: the person waiting asks again.
    "accounts.tasks.send_password_reset",
    "donors.tasks.send_sign_in_link",
    # A lost confirmation of a donor's erasure request loses no request:
    # staff see it open in the admin, the donor on their Your data page.
    "privacy.tasks.send_request_confirmation",
    # Queues an impact update's deliveries; staff start it again to go on
    # (receipts.services.impact_updates.start_sending_update).
    "receipts.tasks.queue_update_batch",
    # Beat queues it again every few seconds, as the sweeps.
    "core.tasks.requeue_parked_tasks",
    # Queued through core.task_queue (parked while Redis is down) and
    # acknowledged late; nothing marks a statement as due a correction, so
    # one lost past that waits for the next refund of that year's gifts
    # (docs/architecture.md, "Delivery and sweeps").
    "receipts.tasks.correct_statements",
}
OUR_APPS = (
    "core.",
    "accounts.",
    "campaigns.",
    "donations.",
    "finance.",
    "pages.",
    "receipts.",
    "demo.",
    "donors.",
    "privacy.",
)
LONG_TASKS = (
    "finance.tasks.run_gift_import",
    "receipts.tasks.send_last_years_statements",
    "receipts.tasks.send_other_years_statements",
)


def our_tasks() -> set[str]:
    app.loader.import_default_modules()
    return {name for name in app.tasks if name.startswith(OUR_APPS)}


def test_a_task_is_acknowledged_after_it_ran_and_delivered_again_if_its_worker_died():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.worker_cancel_long_running_tasks_on_connection_loss is False


def test_a_dead_workers_tasks_come_back_within_minutes_but_never_while_one_still_runs():
    options = app.conf.broker_transport_options
    visibility = options["visibility_timeout"]
    # Redis gives them back once a worker's periodic scan finds them overdue.
    assert visibility + options["unacked_restore_interval"] * options["unacked_restore_throttle"] <= 180
    assert app.conf.task_time_limit < visibility
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    for name in our_tasks() - set(LONG_TASKS):
        assert (app.tasks[name].time_limit or app.conf.task_time_limit) < visibility, name


def test_an_email_is_tried_again_after_2_to_64_seconds_each_wait_shorter_than_the_visibility_timeout():
    waits = [tasks.retry_countdown(retries) for retries in range(settings.EMAIL_SEND_RETRIES)]

    assert waits == [2, 4, 8, 16, 32, 64]
    assert max(waits) < app.conf.broker_transport_options["visibility_timeout"]
    assert timedelta(seconds=max(waits)) < tasks.IDLE_FOR  # the sweep leaves a retry to its countdown


def test_tasks_longer_than_the_visibility_timeout_are_acknowledged_as_they_start():
    for name in LONG_TASKS:
        task = app.tasks[name]
        assert task.acks_late is False, name
        assert task.time_limit > app.conf.broker_transport_options["visibility_timeout"], name


def test_workers_and_beat_wait_out_a_redis_outage_of_any_length():
    assert app.conf.broker_connection_retry_on_startup is True
    assert app.conf.broker_connection_max_retries is None


@pytest.fixture
def stalled_redis():
    """A port that takes connections and never answers: Redis stalled."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


@pytest.fixture
def refused_redis():
    """A port nobody listens on: Redis down."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.mark.parametrize("broker", ["refused_redis", "stalled_redis"])
# send_task publishes whatever task_always_eager says, as .delay() in production.
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_queueing_a_task_while_redis_is_down_or_stalled_fails_within_seconds_instead_of_hanging(broker, request):
    started = time.monotonic()
    with pytest.raises(OperationalError), app.connection_for_write(request.getfixturevalue(broker)) as connection:
        # What .delay() does in a web request, against that broker.
        app.send_task("donations.tasks.redrive_stripe_events", connection=connection)
    assert time.monotonic() - started < 5


def test_every_task_that_moves_money_mail_or_fees_has_a_sweep_on_beat():
    assert our_tasks() == set(SWEPT_BY) | NEEDS_NO_SWEEP
    schedule = settings.CELERY_BEAT_SCHEDULE
    for task, entry in SWEPT_BY.items():
        assert entry in schedule, task
    for entry in schedule.values():
        assert entry["task"] in our_tasks(), entry


@pytest.mark.parametrize(
    "entry",
    [
        "redrive-stripe-events",
        "record-missing-fees",
        "resend-donor-notices",
        "resend-stalled-emails",
        "resume-stalled-imports",
    ],
)
def test_work_accepted_while_the_broker_was_down_is_swept_within_half_a_minute_of_its_return(entry):
    sweep = settings.CELERY_BEAT_SCHEDULE[entry]
    assert sweep["schedule"] <= 30
    # A tick no worker took in time is dropped, not piled up behind others.
    assert sweep["options"]["expires"] == sweep["schedule"]


def test_tasks_parked_while_the_broker_was_down_are_queued_again_within_seconds_of_its_return():
    requeue = settings.CELERY_BEAT_SCHEDULE["requeue-parked-tasks"]
    assert requeue["task"] == "core.tasks.requeue_parked_tasks"
    assert requeue["schedule"] <= 5
    assert requeue["options"]["expires"] == requeue["schedule"]


@pytest.mark.django_db(transaction=True)
def test_a_task_after_one_that_met_a_dead_database_connection_connects_afresh():
    """A pool process keeps its connection between tasks
    (CELERY_DB_REUSE_MAX), so one that PostgreSQL dropped, or a proxy
    reset, must be replaced before the next task, not met by every task
    until the 200th."""
    task = app.tasks["donations.tasks.redrive_stripe_events"]
    connection.ensure_connection()
    connection.connection.close()  # the server went away: the socket is dead
    with pytest.raises(DatabaseError):
        StripeEvent.objects.count()  # the task that met the outage

    task_postrun.send(sender=task, task_id="lost", task=task, args=(), kwargs={}, retval=None, state="FAILURE")
    task_prerun.send(sender=task, task_id="next", task=task, args=(), kwargs={})

    assert StripeEvent.objects.count() == 0
