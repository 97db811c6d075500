"""The retention schedule (docs/privacy.md): what is pruned once its
RETAIN_* days are over, so personal data is kept no longer than it is
needed (GDPR Art. 5(1)(e)).

- Stripe events' payloads (billing names, emails, card brand, last four
  digits and expiry), of events processed or ignored: the row stays with
  its event id and type, so a delivery of the same event again is still
  known as a duplicate; the payload becomes a stub and the row is stamped
  `payload_pruned_at`. An event still received or failed is kept whole:
  it has work left to do.
- The email provider's tracking events (ProviderEvent: an address and
  what happened to a message): deleted. The suppressions they caused stay
  (an address that bounced still gets no updates).
- The files of offline-gift imports that are finished: emptied and
  stamped `content_pruned_at`; the gifts they wrote stay.
- Donor-portal sign-in links that expired: deleted. While kept they show
  staff when a donor's portal was opened, for a donor who says it was
  not them.

Each kind is pruned in batches of primary keys (no run holds every row),
each batch one UPDATE or DELETE that checks again what it touches; a run
that stops half-way, or two runs at once, leave nothing half-pruned, and a
second run finds nothing more to do."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import JSONObject
from django.utils import timezone

from donations.models import StripeEvent
from donors.models import SignInLink
from finance.models import GiftImport
from receipts.models import ProviderEvent

BATCH = 1000


@dataclass(frozen=True)
class Pruned:
    """How many of each kind a run pruned (or, dry, would prune)."""

    stripe_event_payloads: int
    provider_events: int
    import_files: int
    sign_in_links: int

    def lines(self) -> list[str]:
        return [
            f"Stripe event payloads: {self.stripe_event_payloads}",
            f"Email provider events: {self.provider_events}",
            f"Offline-gift import files: {self.import_files}",
            f"Donor sign-in links: {self.sign_in_links}",
        ]


def stripe_events_due(now: datetime) -> QuerySet:
    cutoff = now - timedelta(days=settings.RETAIN_STRIPE_EVENT_PAYLOAD_DAYS)
    return StripeEvent.objects.filter(
        status__in=(StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED),
        payload_pruned_at__isnull=True,
        received_at__lt=cutoff,
    )


def provider_events_due(now: datetime) -> QuerySet:
    return ProviderEvent.objects.filter(received_at__lt=now - timedelta(days=settings.RETAIN_PROVIDER_EVENT_DAYS))


def import_files_due(now: datetime) -> QuerySet:
    cutoff = now - timedelta(days=settings.RETAIN_IMPORT_FILE_DAYS)
    return GiftImport.objects.filter(
        Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, created_at__lt=cutoff),
        status__in=GiftImport.FINAL_STATUSES,
        content_pruned_at__isnull=True,
    )


def sign_in_links_due(now: datetime) -> QuerySet:
    return SignInLink.objects.filter(expires_at__lt=now - timedelta(days=settings.RETAIN_SIGN_IN_LINK_DAYS))


def prune_personal_data(*, dry_run: bool = False, now: datetime | None = None) -> Pruned:
    """Prune everything past its retention period; with `dry_run`, only
    count it. Safe to run again at any time."""
    now = now or timezone.now()
    if dry_run:
        return Pruned(
            stripe_event_payloads=stripe_events_due(now).count(),
            provider_events=provider_events_due(now).count(),
            import_files=import_files_due(now).count(),
            sign_in_links=sign_in_links_due(now).count(),
        )
    return Pruned(
        stripe_event_payloads=_in_batches(
            lambda: stripe_events_due(now),
            lambda due: due.update(
                payload=JSONObject(id=F("event_id"), type=F("type"), pruned=Value(True)), payload_pruned_at=now
            ),
        ),
        provider_events=_in_batches(lambda: provider_events_due(now), lambda due: due.delete()[0]),
        import_files=_in_batches(
            lambda: import_files_due(now), lambda due: due.update(content="", content_pruned_at=now)
        ),
        sign_in_links=_in_batches(lambda: sign_in_links_due(now), lambda due: due.delete()[0]),
    )


def _in_batches(due, prune) -> int:
    """prune(a batch of `due()` rows, by pk) until none is left: each batch
    is chosen by key and pruned by one statement that applies the
    conditions again (a row another run pruned meanwhile is skipped)."""
    total, after = 0, 0
    while True:
        keys = list(due().filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not keys:
            return total
        total += prune(due().filter(pk__in=keys))
        after = keys[-1]
