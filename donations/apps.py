from django.apps import AppConfig


class DonationsConfig(AppConfig):
    name = "donations"

    def ready(self):
        from donations import checks  # noqa: F401  (registers the receipt hooks check)
