from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    name = "receipts"

    def ready(self):
        # The deploy check; the tracking webhook's receiver; and the modules
        # that register their kinds of email with receipts.outbox, which
        # must all be known before the first send or sweep.
        from receipts import checks, signals  # noqa: F401
        from receipts.services import impact_updates, receipts, statements  # noqa: F401
