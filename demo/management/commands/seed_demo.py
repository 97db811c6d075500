from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.seed import seed_demo


class Command(BaseCommand):
    help = "Create or refresh the Dressember-style demo campaign, funds, teams and logins."

    def handle(self, *args, **options):
        if not settings.DEMO_SEEDING_ALLOWED:
            # The demo's logins have a published password, finance staff's among them.
            raise CommandError(
                "seed_demo runs only with the dev or test settings: it creates logins with a published password."
            )
        campaign, logins = seed_demo()
        self.stdout.write(f"Demo campaign: {settings.SITE_URL}{campaign.get_absolute_url()}")
        for login in logins:
            codes = " ".join(login.backup_codes)
            second_factor = f", then one of the backup codes {codes}" if codes else ""
            self.stdout.write(f"Demo {login.role} login: {login.email} / {login.password}{second_factor}")
