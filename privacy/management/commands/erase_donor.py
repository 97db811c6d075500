"""manage.py erase_donor EMAIL --reason TEXT

Erase the donor with this email (privacy.services.erasure): their name,
email, address, messages and dedications in every table, stored email
and stored Stripe event are replaced; amounts, dates, funds, gift ids and
receipt numbers stay. Their active monthly plans are stopped and their
Stripe customers deleted. Recorded as a privacy.Erasure with the OS user
and the reason. An unknown email exits 1 with one line; a donor erased
before is a no-op that says so."""

from django.core.management.base import BaseCommand, CommandError

from payments import stripe as stripe_gateway
from privacy import selectors
from privacy.models import Channel
from privacy.services import erasure


class Command(BaseCommand):
    help = "Erase one donor's personal details everywhere, keeping the books."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The donor's email address.")
        parser.add_argument("--reason", required=True, help="Why (the donor's request, its date): kept in the audit.")

    def handle(self, *args, email, reason, **options):
        if not reason.strip():
            raise CommandError("Give the reason for the erasure with --reason.")
        donor = selectors.donor_by_email(email)
        if donor is None:
            raise CommandError(f"No donor has the email address {email.strip()!r}.")
        kept_until = selectors.gift_aid_records_kept_until(donor)
        if kept_until is not None and donor.erased_at is None:
            self.stderr.write(
                f"Note: Gift Aid was claimed on this donor's gifts; HMRC may ask to see their declaration "
                f"until {kept_until:%Y-%m-%d}, and erasure replaces the name and address on it."
            )
        try:
            done = erasure.erase_donor(donor=donor, reason=reason, actor=None, channel=Channel.COMMAND)
        except erasure.AlreadyErased as exc:
            self.stdout.write(str(exc))
            return
        except stripe_gateway.StripeUnavailable as exc:
            raise CommandError(f"Stripe could not be reached, so nothing was erased: {exc}") from exc
        tables = ", ".join(f"{label} {count}" for label, count in done.changed.items())
        self.stdout.write(f"Donor {donor.pk} erased (erasure {done.pk}). Rows changed: {tables}.")
