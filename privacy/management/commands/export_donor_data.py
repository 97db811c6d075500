"""manage.py export_donor_data EMAIL [--output PATH or -]

Everything held on the donor with this email, as JSON (GDPR Art. 15 and
20; privacy.services.export), to standard output by default. Each export
is recorded (privacy.DataExport, with the OS user who ran it). An
unknown email, or a file that cannot be written, exits 1 with one line,
having recorded and written nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from finance.files import replaced_when_complete
from privacy import selectors
from privacy.models import Channel
from privacy.services import export


class Command(BaseCommand):
    help = "Write everything held on one donor as JSON."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The donor's email address.")
        parser.add_argument("--output", "-o", default="-", help="The file to write, or - for standard output.")

    def handle(self, *args, email, output, **options):
        donor = selectors.donor_by_email(email)
        if donor is None:
            raise CommandError(f"No donor has the email address {email.strip()!r}.")
        with transaction.atomic():
            text = export.as_json(export.export_donor_data(donor=donor, channel=Channel.COMMAND))
            if output == "-":
                self.stdout.write(text, ending="")
            else:
                with replaced_when_complete(Path(output)) as file:
                    file.write(text.encode())
