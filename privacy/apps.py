from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PrivacyConfig(AppConfig):
    """A donor's data rights and the retention schedule: exporting all we
    hold on a donor, erasing it where the law allows, and pruning what is
    kept only for a while."""

    name = "privacy"

    def ready(self):
        from donations.services import stripe_events
        from finance.services.permissions import ensure_finance_group
        from privacy.stripe_events import CUSTOMER_EVENTS, forget_erased_customer

        stripe_events.register_handler(CUSTOMER_EVENTS, forget_erased_customer)

        # The Finance group holds privacy's permissions (export_donor_data,
        # erase_donor), which exist only once this app has migrated: after
        # finance's own post_migrate, so the group is brought up to date
        # again here.
        post_migrate.connect(lambda **kwargs: ensure_finance_group(), sender=self, weak=False)
