from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    name = "receipts"

    def ready(self):
        from receipts import checks, signals  # noqa: F401  (registers the deploy check, connects the tracking webhook)
