from django.core.management.base import BaseCommand, CommandError

from donations.models import StripeEvent
from donations.services import stripe_events


class Command(BaseCommand):
    help = (
        "Apply stored Stripe events again. By default every event not yet "
        "processed (received or failed); --failed only the failed ones; "
        "--event ID one event, whatever its status. Safe to repeat."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--failed", action="store_true", help="only events whose processing failed")
        which.add_argument("--event", metavar="ID", help="one event, by its Stripe id (evt_...)")

    def handle(self, *args, failed: bool, event: str | None, **options):
        if event:
            found = StripeEvent.objects.filter(event_id=event).values_list("pk", "payload_pruned_at").first()
            if found is None:
                raise CommandError(f"no stored event with id {event!r}")
            if found[1] is not None:
                raise CommandError(
                    f"{event}: its payload was pruned on {found[1]:%Y-%m-%d} (the retention schedule); "
                    "only its id and type are kept, so it cannot be applied again"
                )
            run = [found[0]]
        else:
            statuses = (
                [StripeEvent.Status.FAILED] if failed else [StripeEvent.Status.RECEIVED, StripeEvent.Status.FAILED]
            )
            run = list(
                StripeEvent.objects.filter(status__in=statuses).order_by("received_at").values_list("pk", flat=True)
            )

        failures = 0
        for event_pk in run:
            try:
                done = stripe_events.reprocess_stripe_event(event_pk=event_pk)
            except Exception as exc:  # reported per event; the run goes on
                failures += 1
                stored = StripeEvent.objects.get(pk=event_pk)
                self.stderr.write(f"{stored.event_id} {stored.type}: failed: {type(exc).__name__}: {exc}")
            else:
                self.stdout.write(f"{done.event_id} {done.type}: {done.status}")
        self.stdout.write(f"{len(run) - failures} of {len(run)} event(s) applied.")
        if failures:
            raise CommandError(f"{failures} event(s) failed again; see above.")
