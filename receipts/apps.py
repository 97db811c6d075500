from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    name = "receipts"

    def ready(self):
        from donations.services import effects
        from receipts import checks, signals  # noqa: F401  (registers the deploy check, connects the tracking webhook)
        from receipts import services as receipt_services

        # Inside the gift's own transaction, under its row lock: a paid gift
        # is never without its receipt, a refunded one never keeps it whole.
        effects.register(effects.ON_SUCCEEDED, receipt_services.issue_receipt, receipt=True)
        effects.register(effects.ON_REFUNDED, receipt_services.reissue_after_refund, receipt=True)
