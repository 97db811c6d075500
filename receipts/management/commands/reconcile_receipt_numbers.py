from django.core.management.base import BaseCommand, CommandError

from receipts import selectors
from receipts.services import receipts


class Command(BaseCommand):
    help = (
        "Compare each gift's copy of its standing receipt's number (what the gift export shows) with its "
        "receipts. Exits 1 and lists every difference; --fix sets the copies to the receipts' numbers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="repair the copies that differ")

    def handle(self, *args, fix: bool, **options):
        stale = list(selectors.gifts_with_stale_receipt_number().values_list("public_id", "receipt_number", "standing"))
        if not stale:
            self.stdout.write("Every gift's receipt number matches its receipts.")
            return
        for public_id, copy, standing in stale:
            self.stdout.write(f"gift {public_id}: shows {copy or '(none)'}, its receipts say {standing or '(none)'}")
        if fix:
            self.stdout.write(f"Fixed {receipts.repair_receipt_numbers()} gift(s).")
            return
        raise CommandError(f"{len(stale)} gift(s) show the wrong receipt number; run with --fix to repair.")
