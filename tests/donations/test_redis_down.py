"""With Redis down (the shared cache, and possibly the broker) while
PostgreSQL and Stripe are up, donors can still give: every use of the cache
on a gift's path fails open, the refund form's one-time token fails safe,
and a task that cannot be queued is parked (core/task_queue.py) to be
queued again once the broker is back, never answered as a 500. Redis
is really unreachable here: the cache and the broker point at a port where
nothing listens."""

import logging
import socket
import time
from types import SimpleNamespace

import pytest
from kombu.exceptions import OperationalError

from core import shared_cache, task_queue
from core.models import ParkedTask
from donations.models import Donation, Refund
from donations.selectors import plan_management_path
from hopefund.celery import app as celery_app
from hopefund.settings.base import redis_cache
from receipts.models import Receipt
from tests.donations.test_refunds import opened_form, paid_gift, refund_url, refunder  # noqa: F401 (fixtures)
from tests.gifts import THREE_D_SECURE_PAYMENT_METHOD, gift_body, give, start_card_form

pytestmark = pytest.mark.django_db

NOBODY_LISTENS = "redis://127.0.0.1:1/0"


def outage_logs(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "core.shared_cache"]


@pytest.fixture
def cut_redis(settings, caplog):
    """`cut_redis()` points the cache at a dead Redis, or at `location`
    (setting CACHES makes Django drop its cache connections). This
    process's memory of the outage is forgotten at each cut and after the
    test, so no other test inherits it."""

    def cut(location: str = NOBODY_LISTENS) -> None:
        shared_cache.outage.reset()
        settings.CACHES = redis_cache(location)

    caplog.set_level(logging.ERROR, logger="core.shared_cache")
    yield cut
    shared_cache.outage.reset()


@pytest.fixture
def redis_down(cut_redis):
    cut_redis()


def test_with_redis_down_a_card_gift_is_recorded_charged_receipted_and_answered_201(
    client, campaign, redis_down, fake_stripe, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = give(client)

    assert response.status_code == 201, response.content
    donation = Donation.objects.get(public_id=response.json()["id"])
    assert donation.status == Donation.Status.SUCCEEDED
    assert len(fake_stripe.calls_to("charge")) == 1
    assert Receipt.objects.get(donation=donation).status == Receipt.Status.SENT
    assert len(mailoutbox) == 1
    assert len(outage_logs(caplog)) == 1
    assert "unreachable" in outage_logs(caplog)[0].getMessage()


def test_a_stalled_redis_costs_a_gift_one_socket_timeout_not_one_per_cache_call(client, campaign, cut_redis, caplog):
    # Accepts connections and never answers, like a Redis that hangs.
    with socket.create_server(("127.0.0.1", 0)) as stalled:
        cut_redis(f"redis://127.0.0.1:{stalled.getsockname()[1]}/0")
        started = time.monotonic()
        response = give(client)
        took = time.monotonic() - started

    assert response.status_code == 201, response.content
    # One read timeout (0.5 s), then no more Redis calls for the request's
    # remaining limits and breaker; the rest is the gift itself.
    assert took < 2.5
    assert "Timeout" in outage_logs(caplog)[0].getMessage()


def test_once_redis_is_back_the_limits_count_again(client, campaign, settings, monkeypatch, redis_down):
    clock = SimpleNamespace(now=time.monotonic())
    monkeypatch.setattr(shared_cache, "time", SimpleNamespace(monotonic=lambda: clock.now))
    settings.DONATION_RATE_LIMIT = "1/m"
    assert give(client, gift_body(donor__email="first@example.org")).status_code == 201

    settings.CACHES = redis_cache(settings.REDIS_URL)
    clock.now += shared_cache.RECHECK_AFTER_SECONDS
    answers = [give(client, gift_body(donor__email=f"d{n}@example.org")).status_code for n in range(2)]

    assert answers == [201, 429]


def test_with_redis_down_the_card_form_gets_its_setup_intent(client, campaign, redis_down, fake_stripe):
    response = start_card_form(client)

    assert response.status_code == 201, response.content
    assert response.json()["client_secret"]


def test_an_outage_is_logged_once_not_for_every_gift(client, campaign, redis_down, caplog):
    for number in range(3):
        assert give(client, gift_body(donor__email=f"donor{number}@example.org")).status_code == 201

    assert Donation.objects.filter(status=Donation.Status.SUCCEEDED).count() == 3
    assert len(outage_logs(caplog)) == 1


def test_with_redis_down_a_gift_in_flight_is_answered_from_the_ledger_without_asking_stripe(
    client, campaign, redis_down, fake_stripe
):
    given = give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD))
    assert given.status_code == 201
    stripe_lookups_before = len(fake_stripe.calls_to("retrieve_payment_intent"))

    status = client.get(f"/api/donations/{given.json()['id']}/")

    assert status.status_code == 200
    assert status.json()["status"] == Donation.Status.REQUIRES_ACTION
    assert len(fake_stripe.calls_to("retrieve_payment_intent")) == stripe_lookups_before


def test_with_redis_down_a_refund_form_is_refused_with_503_and_refunds_nothing(
    client,
    paid_gift,  # noqa: F811 (the fixture)
    refunder,  # noqa: F811 (the fixture)
    cut_redis,
    fake_stripe,
):
    form = {**opened_form(client, paid_gift), "amount": "10.00", "reason": "duplicate"}
    cut_redis()

    refused = client.post(refund_url(paid_gift), form)

    assert refused.status_code == 503
    assert refused["Retry-After"] == str(shared_cache.RETRY_AFTER_SECONDS)
    assert "Refunds are paused for a moment, so nothing was refunded" in refused.content.decode()
    assert Refund.objects.count() == 0
    assert fake_stripe.calls_to("refund") == []
    paid_gift.refresh_from_db()
    assert paid_gift.refunded_minor == 0


def test_with_redis_down_logging_in_is_refused_with_503_rather_than_unlimited(client, redis_down, django_user_model):
    django_user_model.objects.create_user("ada@example.org", password="a long password")

    response = client.post("/accounts/login/", {"username": "ada@example.org", "password": "a long password"})

    assert response.status_code == 503
    assert response["Retry-After"] == str(shared_cache.RETRY_AFTER_SECONDS)
    assert "nothing was done" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.fixture
def broker_down(monkeypatch):
    """Celery really queueing, to a broker where nothing listens (the
    producers made for the broker as it was are set aside meanwhile).
    Calling it brings the broker back (eager, as in every unit test)."""
    as_it_was = {name: celery_app.conf[name] for name in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=NOBODY_LISTENS)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)

    def back() -> None:
        celery_app.conf.update(as_it_was)

    yield back
    back()


@pytest.mark.django_db(transaction=True)
def test_with_redis_and_the_broker_down_a_paid_gift_is_recorded_and_answered_and_its_tasks_parked(
    client, campaign, redis_down, broker_down
):
    response = give(client)

    assert response.status_code == 201, response.content
    donation = Donation.objects.get(public_id=response.json()["id"])
    assert donation.status == Donation.Status.SUCCEEDED
    # Issued in the gift's own transaction; its email waits to be queued again.
    receipt = Receipt.objects.get(donation=donation)
    assert receipt.status == Receipt.Status.PENDING
    assert sorted(ParkedTask.objects.values_list("task", "args")) == [
        ("donations.tasks.record_processing_fee", [donation.pk]),
        ("receipts.tasks.send_email", ["receipt", receipt.pk]),
    ]


@pytest.mark.django_db(transaction=True)
def test_tasks_parked_while_the_broker_was_down_run_once_it_is_back_and_are_forgotten(
    client, campaign, redis_down, broker_down, mailoutbox
):
    donation_id = give(client).json()["id"]
    broker_down()  # back

    assert task_queue.requeue_parked() == 2

    donation = Donation.objects.get(public_id=donation_id)
    assert donation.stripe_fee_minor is not None
    assert Receipt.objects.get(donation=donation).status == Receipt.Status.SENT
    assert len(mailoutbox) == 1
    assert not ParkedTask.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_requeue_the_broker_fails_part_way_forgets_no_parked_task(client, campaign, redis_down, broker_down):
    give(client)

    with pytest.raises(OperationalError):
        task_queue.requeue_parked()

    assert ParkedTask.objects.count() == 2


def test_a_parked_task_that_no_longer_exists_is_dropped_and_logged_and_the_rest_requeued(caplog):
    ParkedTask.objects.create(task="donations.tasks.renamed_since", args=[1])
    ParkedTask.objects.create(task="donations.tasks.record_missing_fees", args=[])

    assert task_queue.requeue_parked() == 2

    assert not ParkedTask.objects.exists()
    assert "donations.tasks.renamed_since no longer exists" in caplog.text


def test_with_redis_down_an_expired_plan_link_is_answered_as_usual_and_sends_no_fresh_link(
    client, monthly_plan, link_clock, mailoutbox, settings, cut_redis, django_capture_on_commit_callbacks
):
    expired = plan_management_path(monthly_plan)
    link_clock.now += (settings.MONTHLY_LINK_MAX_AGE_DAYS + 1) * 24 * 3600
    mailoutbox.clear()
    cut_redis()

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(expired, {"action": "email_fresh_link"})

    assert answer.status_code == 200
    assert "a new link is on its way" in answer.content.decode()
    assert mailoutbox == []
