from django.apps import AppConfig


class DonorsConfig(AppConfig):
    """The donor's own side of Hopefund: signing in by an emailed link and
    the portal of their gifts, receipts, statements, plans and choices."""

    name = "donors"
