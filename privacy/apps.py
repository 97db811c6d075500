from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """A donor's data rights and the retention schedule: exporting all we
    hold on a donor, erasing it where the law allows, and pruning what is
    kept only for a while."""

    name = "privacy"
