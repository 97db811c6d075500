"""The retention schedule (privacy.services.retention): each kind is
pruned once its RETAIN_* days are over and not a day before; what the
books and the inbox need stays; a second run changes nothing."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from donations.models import Donation, StripeEvent
from donations.services import stripe_events
from donors.models import SignInLink
from finance.models import GiftImport
from privacy import tasks
from privacy.services import retention
from receipts.models import EmailSuppression, ProviderEvent
from receipts.services.suppression import record_provider_event
from tests.auth import log_in
from tests.factories import DonorFactory, UserFactory
from tests.gifts import THREE_D_SECURE_PAYMENT_METHOD, gift_body, give
from tests.stripe_events import payment_intent_event, post_event

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def aged(model, pk, *, days: float, field: str = "received_at") -> None:
    model.objects.filter(pk=pk).update(**{field: timezone.now() - timedelta(days=days)})


def stored_event(event_id: str, *, status=StripeEvent.Status.PROCESSED, days: float) -> StripeEvent:
    event = StripeEvent.objects.create(
        event_id=event_id,
        type="charge.succeeded",
        payload={"id": event_id, "type": "charge.succeeded", "data": {"object": {"billing_details": {"name": "Ada"}}}},
        status=status,
    )
    aged(StripeEvent, event.pk, days=days)
    return event


# --- Stripe events ------------------------------------------------------------


def test_stripe_payloads_older_than_the_setting_are_pruned_and_younger_ones_kept(settings):
    settings.RETAIN_STRIPE_EVENT_PAYLOAD_DAYS = 90
    old = stored_event("evt_old", days=90 + 1)
    ignored = stored_event("evt_ignored", status=StripeEvent.Status.IGNORED, days=91)
    young = stored_event("evt_young", days=90 - 1)

    pruned = retention.prune_personal_data()

    assert pruned.stripe_event_payloads == 2
    for event in (old, ignored):
        event.refresh_from_db()
        assert event.payload == {"id": event.event_id, "type": "charge.succeeded", "pruned": True}
        assert event.payload_pruned_at is not None
    young.refresh_from_db()
    assert young.payload["data"]["object"]["billing_details"] == {"name": "Ada"}
    assert young.payload_pruned_at is None


@pytest.mark.parametrize("status", [StripeEvent.Status.RECEIVED, StripeEvent.Status.FAILED])
def test_an_event_with_work_left_keeps_its_payload_however_old(status):
    event = stored_event("evt_pending", status=status, days=1000)

    assert retention.prune_personal_data().stripe_event_payloads == 0
    event.refresh_from_db()
    assert "data" in event.payload


def test_a_pruned_event_delivered_again_is_still_a_duplicate(client, campaign, django_capture_on_commit_callbacks):
    give(client, gift_body(payment_method=THREE_D_SECURE_PAYMENT_METHOD))
    gift = Donation.objects.get()
    succeeded = payment_intent_event("payment_intent.succeeded", gift, status="succeeded")
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, succeeded)
    aged(StripeEvent, StripeEvent.objects.get().pk, days=1000)
    retention.prune_personal_data()

    with django_capture_on_commit_callbacks(execute=True):
        again = post_event(client, succeeded)

    assert again.status_code == 200 and again.json()["duplicate"] is True
    event = StripeEvent.objects.get()
    assert event.status == StripeEvent.Status.PROCESSED and event.payload["pruned"] is True


def test_reprocessing_a_pruned_event_says_why_it_cannot_and_changes_nothing():
    event = stored_event("evt_old", days=1000)
    retention.prune_personal_data()

    with pytest.raises(CommandError, match=r"evt_old: its payload was pruned on \d{4}-\d\d-\d\d"):
        call_command("reprocess_stripe_events", "--event", "evt_old")
    with pytest.raises(stripe_events.PayloadPruned):
        stripe_events.reprocess_stripe_event(event_pk=event.pk)
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.PROCESSED


def test_the_admin_shows_a_pruned_event_and_says_so(client):
    event = stored_event("evt_old", days=1000)
    retention.prune_personal_data()
    log_in(client, UserFactory(is_staff=True, is_superuser=True))

    page = client.get(f"/admin/donations/stripeevent/{event.pk}/change/")

    assert page.status_code == 200
    assert (
        "Pruned on" in page.content.decode() and "only the event&#x27;s id and type are kept" in page.content.decode()
    )


# --- The email provider's events ------------------------------------------------


def test_provider_events_are_deleted_after_the_setting_and_their_suppressions_stay(settings):
    settings.RETAIN_PROVIDER_EVENT_DAYS = 30
    record_provider_event(esp_name="postmark", event_id="1", event_type="bounced", recipient="ada@example.org")
    record_provider_event(esp_name="postmark", event_id="2", event_type="delivered", recipient="bob@example.org")
    old, young = ProviderEvent.objects.get(event_id="1"), ProviderEvent.objects.get(event_id="2")
    aged(ProviderEvent, old.pk, days=31)
    aged(ProviderEvent, young.pk, days=29)

    assert retention.prune_personal_data().provider_events == 1

    assert list(ProviderEvent.objects.values_list("event_id", flat=True)) == ["2"]
    assert EmailSuppression.objects.get().email == "ada@example.org"


# --- Import files -------------------------------------------------------------


def an_import(status, *, days: float, finished: bool = True) -> GiftImport:
    gift_import = GiftImport.objects.create(file_name="gifts.csv", content="email,amount\nada@example.org,50\n")
    gift_import.status = status
    gift_import.save()
    if finished:
        aged(GiftImport, gift_import.pk, days=days, field="finished_at")
    aged(GiftImport, gift_import.pk, days=days, field="created_at")
    return gift_import


def test_finished_import_files_are_emptied_after_the_setting_and_others_kept(settings):
    settings.RETAIN_IMPORT_FILE_DAYS = 365
    done = an_import(GiftImport.Status.IMPORTED, days=366)
    rejected = an_import(GiftImport.Status.REJECTED, days=400)
    recent = an_import(GiftImport.Status.IMPORTED, days=364)
    running = an_import(GiftImport.Status.RUNNING, days=1000, finished=False)

    assert retention.prune_personal_data().import_files == 2

    for gift_import in (done, rejected):
        gift_import.refresh_from_db()
        assert (gift_import.content, gift_import.content_pruned_at is not None) == ("", True)
        assert gift_import.status in GiftImport.FINAL_STATUSES
    for gift_import in (recent, running):
        gift_import.refresh_from_db()
        assert gift_import.content.startswith("email,amount") and gift_import.content_pruned_at is None


def test_the_import_pages_and_admin_say_when_the_file_was_pruned(client):
    gift_import = an_import(GiftImport.Status.IMPORTED, days=1000)
    retention.prune_personal_data()
    log_in(client, UserFactory(is_staff=True, is_superuser=True))

    detail = client.get(f"/finance/imports/{gift_import.public_id}/").content.decode()
    listing = client.get("/finance/imports/").content.decode()
    admin = client.get(f"/admin/finance/giftimport/{gift_import.pk}/change/").content.decode()

    assert "File pruned on" in detail and "the gifts it imported are kept" in detail
    assert "(file pruned on" in listing
    assert "File pruned on" in admin


# --- Runs ---------------------------------------------------------------------


# --- Donor sign-in links -------------------------------------------------------


def test_sign_in_links_are_deleted_the_setting_after_they_expired_and_younger_ones_kept(settings):
    settings.RETAIN_SIGN_IN_LINK_DAYS = 30
    donor = DonorFactory()
    now = timezone.now()
    old = SignInLink.objects.create(donor=donor, expires_at=now - timedelta(days=30 + 1))
    young = SignInLink.objects.create(donor=donor, expires_at=now - timedelta(days=30 - 1))
    working = SignInLink.objects.create(donor=donor, expires_at=now + timedelta(minutes=20))

    assert retention.prune_personal_data().sign_in_links == 1

    assert set(SignInLink.objects.values_list("pk", flat=True)) == {young.pk, working.pk}
    assert not SignInLink.objects.filter(pk=old.pk).exists()


def test_a_second_run_prunes_nothing_more():
    stored_event("evt_old", days=1000)
    an_import(GiftImport.Status.IMPORTED, days=1000)

    first = retention.prune_personal_data()
    second = retention.prune_personal_data()

    assert (first.stripe_event_payloads, first.import_files) == (1, 1)
    assert second == retention.Pruned(stripe_event_payloads=0, provider_events=0, import_files=0, sign_in_links=0)


def test_runs_in_batches_without_missing_a_row(monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    for n in range(5):
        stored_event(f"evt_{n}", days=1000)

    assert retention.prune_personal_data().stripe_event_payloads == 5
    assert not StripeEvent.objects.filter(payload_pruned_at__isnull=True).exists()


def test_the_command_prints_counts_per_kind_and_a_dry_run_changes_nothing(capsys):
    stored_event("evt_old", days=1000)

    call_command("prune_personal_data", "--dry-run")
    dry = capsys.readouterr().out
    assert "Stripe event payloads: 1" in dry and "Dry run: nothing was pruned." in dry
    assert StripeEvent.objects.get().payload_pruned_at is None

    call_command("prune_personal_data")
    done = capsys.readouterr().out
    assert "Stripe event payloads: 1" in done and "Email provider events: 0" in done
    assert "Offline-gift import files: 0" in done
    assert StripeEvent.objects.get().payload_pruned_at is not None


def test_the_daily_task_prunes_and_is_on_beat(settings):
    stored_event("evt_old", days=1000)

    assert tasks.prune_personal_data() == {
        "stripe_event_payloads": 1,
        "provider_events": 0,
        "import_files": 0,
        "sign_in_links": 0,
    }
    assert settings.CELERY_BEAT_SCHEDULE["prune-personal-data"]["task"] == "privacy.tasks.prune_personal_data"
