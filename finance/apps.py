from django.apps import AppConfig
from django.db.models.signals import post_migrate


class FinanceConfig(AppConfig):
    name = "finance"

    def ready(self):
        from donations.services import stripe_events
        from finance.services.permissions import ensure_finance_group
        from finance.stripe_events import PAYOUT_EVENTS, enqueue_payout_fetch

        stripe_events.register_handler(PAYOUT_EVENTS, enqueue_payout_fetch)

        # Permissions exist only after every app has migrated, so the group
        # is kept in step here rather than in a data migration.
        post_migrate.connect(lambda **kwargs: ensure_finance_group(), sender=self, weak=False)
