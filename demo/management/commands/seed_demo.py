from django.conf import settings
from django.core.management.base import BaseCommand

from demo.seed import seed_demo


class Command(BaseCommand):
    help = "Create or refresh the Dressember-style demo campaign, funds, teams and logins."

    def handle(self, *args, **options):
        campaign, logins = seed_demo()
        self.stdout.write(f"Demo campaign: {settings.SITE_URL}{campaign.get_absolute_url()}")
        for login in logins:
            codes = " ".join(login.backup_codes)
            second_factor = f", then one of the backup codes {codes}" if codes else ""
            self.stdout.write(f"Demo {login.role} login: {login.email} / {login.password}{second_factor}")
