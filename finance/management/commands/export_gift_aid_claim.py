"""manage.py export_gift_aid_claim [--since DATE] [--until DATE]
[--output PATH or -] [--adjustments PATH] [--dry-run]

A Gift Aid claim: HMRC's schedule (finance.gift_aid_schedule) of the gifts
paid in those days that may be claimed and no claim has claimed, as CSV
(standard output by default), recorded as a claim (finance.GiftAidClaim)
so that no later claim takes them again. Claimed gifts refunded since an
earlier claim are that claim's overclaim: they go, one a line, to the
adjustments file (--adjustments, else beside --output as
NAME-adjustments.csv; required when the schedule goes to standard
output), and one line on standard error gives the tax to enter as
Charities Online's "adjustment for previously overclaimed tax".
--dry-run writes the same files and records nothing.

Bad input (a date, --since after --until, a file that cannot be written)
exits 1 with one line, having recorded and written nothing."""

from contextlib import ExitStack
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from finance import gift_aid_schedule as schedule
from finance.export_forms import GiftExportForm
from finance.files import replaced_when_complete
from finance.services import gift_aid_claims


class Command(BaseCommand):
    help = "Write a Gift Aid claim schedule (HMRC's columns) and record it, with its adjustments for refunds."

    def add_arguments(self, parser):
        parser.add_argument("--since", default="", help="First day of gifts included, YYYY-MM-DD.")
        parser.add_argument("--until", default="", help="Last day of gifts included, YYYY-MM-DD.")
        parser.add_argument("--output", "-o", default="-", help="The schedule's file, or - for standard output.")
        parser.add_argument(
            "--adjustments", default="", help="The file of refunded gifts claimed before (default: beside --output)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Write the files, record nothing.")

    def handle(self, *args, since, until, output, adjustments, dry_run, **options):
        form = GiftExportForm(data={"since": since, "until": until})
        if not form.is_valid():
            raise CommandError(form.one_line())
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
        to_stdout = output == "-"
        if adjustments:
            adjustments_path = Path(adjustments)
        elif not to_stdout:
            adjustments_path = Path(output).with_name(f"{Path(output).stem}-adjustments.csv")
        else:
            adjustments_path = None

        try:
            plan = self._claim(since, until, dry_run=dry_run, output=output, adjustments_path=adjustments_path)
        except IntegrityError as exc:
            raise CommandError(
                "Another Gift Aid claim took some of these gifts at the same moment: run it again."
            ) from exc
        self.stderr.write(_summary(plan, dry_run=dry_run, adjustments_path=adjustments_path))

    def _claim(self, since, until, *, dry_run: bool, output: str, adjustments_path):
        to_stdout = output == "-"
        # The files become theirs only once the claim is recorded: a file
        # that cannot be written, or a run that fails, records nothing.
        with ExitStack() as files, transaction.atomic():
            schedule_file = None if to_stdout else files.enter_context(replaced_when_complete(Path(output)))
            plan = gift_aid_claims.make_claim(since=since, until=until, dry_run=dry_run)
            if plan.adjustments:
                if adjustments_path is None:
                    raise CommandError(
                        f"{len(plan.adjustments)} gift(s) claimed before were refunded since: give --adjustments PATH "
                        "for their adjustment (the schedule is going to standard output)."
                    )
                adjustments_file = files.enter_context(replaced_when_complete(adjustments_path))
                adjustments_file.write(schedule.adjustments_csv(plan.adjustments).encode())
            text = schedule.schedule_csv(plan.gifts)
            if schedule_file is None:
                self.stdout.write(text, ending="")
            else:
                schedule_file.write(text.encode())
        return plan


def _summary(plan, *, dry_run: bool, adjustments_path) -> str:
    """One line for finance: what the schedule claims, and the overclaim to
    enter as the adjustment."""
    pounds = schedule.pounds
    if dry_run:
        lead = "Dry run, nothing recorded:"
    elif plan.claim is not None:
        lead = f"Gift Aid claim {plan.claim.pk}:"
    else:
        lead = "Nothing to claim, nothing recorded:"
    claimed = (
        f"{len(plan.gifts)} gift(s) of £{pounds(plan.claimed_minor)} on the schedule "
        f"(Gift Aid £{pounds(schedule.tax_on(plan.claimed_minor))})."
    )
    if not plan.adjustments:
        return f"{lead} {claimed} No adjustment for previously overclaimed tax."
    # Each line's tax as the adjustments file states it, so the two agree.
    overclaimed = sum(schedule.tax_on(gift.amount_minor) for gift in plan.adjustments)
    return (
        f"{lead} {claimed} Adjustment for previously overclaimed tax: "
        f"£{pounds(overclaimed)} ({len(plan.adjustments)} gift(s) of "
        f"£{pounds(plan.given_back_minor)} refunded since claimed, listed in {adjustments_path})."
    )
