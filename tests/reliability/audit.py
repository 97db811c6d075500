"""What a fault left behind, read from the ledger, the mail the stack
sent and localstripe: every gift charged once, recorded, fee'd and
receipted once, and totals equal to the ledger. The suite's summary table
prints one of these per fault."""

import email
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from donations.models import Donation
from donations.selectors import counters_out_of_step
from receipts.emails import message_id
from receipts.models import Receipt
from tests.localstripe import sdk_client

# Django's file-based email backend separates the messages of a file so.
MESSAGE_SEPARATOR = "\n" + "-" * 79 + "\n"


@dataclass
class Audit:
    fault: str
    attempted: int
    recorded: int
    charged: int
    receipts_sent: int
    duplicates: int
    lost: int
    recovery_seconds: float | None = None
    # 5xx answers to donors and pages (None: not a row about them).
    server_errors: int | None = None
    problems: list[str] = field(default_factory=list)

    def assert_exact(self) -> None:
        assert not self.problems, "\n".join(self.problems)
        assert (self.duplicates, self.lost) == (0, 0)


def delivered_messages(mail_dir: Path) -> list[email.message.Message]:
    messages = []
    for path in sorted(mail_dir.glob("*")):
        for text in path.read_text(errors="replace").split(MESSAGE_SEPARATOR):
            if text.strip():
                messages.append(email.message_from_string(text))
    return messages


def succeeded_charges_by_gift() -> dict[str, list[int]]:
    """For each gift, what localstripe refunded of each of its succeeded
    PaymentIntents' charges (one entry per charge)."""
    charges = defaultdict(list)
    for intent in sdk_client().v1.payment_intents.list(params={"limit": 100}).auto_paging_iter():
        fields = intent.to_dict()
        if intent.status == "succeeded" and "donation_id" in (fields.get("metadata") or {}):
            # localstripe expands the intent's charge.
            charges[intent.metadata["donation_id"]].append(
                (fields.get("latest_charge") or {}).get("amount_refunded", 0)
            )
    return charges


def status_for(gift: Donation, *, refunded_minor: int) -> str:
    """The status Stripe's refunds give a paid gift."""
    if refunded_minor >= gift.charged_minor:
        return Donation.Status.REFUNDED
    return Donation.Status.PARTIALLY_REFUNDED if refunded_minor else Donation.Status.SUCCEEDED


def audit(*, fault: str, attempted: int, mail_dir: Path, recovery_seconds: float | None = None) -> Audit:
    """Every online gift of this test's database, checked against Stripe
    and the mail sent. A gift charged but not recorded as paid (with what
    Stripe refunded of it), or paid without its fee or, unless refunded in
    full, one sent receipt for what it kept emailed once, is lost; a second
    charge, standing receipt or receipt email is a duplicate. (A refund
    voids a receipt, and a partial one issues a corrected receipt in its
    place: only receipts that are not void stand.)"""
    gifts = list(Donation.objects.filter(source=Donation.Source.ONLINE))
    charges = succeeded_charges_by_gift()
    receipts = Counter(Receipt.objects.exclude(status=Receipt.Status.VOID).values_list("donation_id", flat=True))
    sent = {
        receipt.donation_id: receipt
        for receipt in Receipt.objects.filter(status=Receipt.Status.SENT).select_related("donation")
    }
    emails = Counter(message["Message-ID"] for message in delivered_messages(mail_dir))
    problems = []
    duplicates = lost = charged = 0
    for gift in gifts:
        times_charged = len(charges.get(str(gift.public_id), ()))
        charged += times_charged > 0
        if times_charged > 1:
            duplicates += 1
            problems.append(f"{gift.public_id}: charged {times_charged} times")
        if receipts[gift.pk] > 1:
            duplicates += 1
            problems.append(f"{gift.public_id}: {receipts[gift.pk]} receipts")
        if not times_charged:
            if gift.status == Donation.Status.SUCCEEDED:
                problems.append(f"{gift.public_id}: succeeded without a charge")
            continue
        receipt = sent.get(gift.pk)
        refunded = sum(charges[str(gift.public_id)])
        expected = status_for(gift, refunded_minor=refunded)
        if (gift.status, gift.refunded_minor) != (expected, refunded):
            lost += 1
            problems.append(
                f"{gift.public_id}: charged, {refunded} refunded, but {gift.status} with {gift.refunded_minor} refunded"
            )
        elif gift.stripe_fee_minor is None:
            lost += 1
            problems.append(f"{gift.public_id}: no Stripe fee recorded")
        elif expected == Donation.Status.REFUNDED:
            if receipts[gift.pk]:
                problems.append(f"{gift.public_id}: refunded in full, yet a receipt stands")
        elif receipt is None:
            lost += 1
            problems.append(f"{gift.public_id}: no receipt sent")
        elif receipt.amount_minor != gift.kept_minor:
            problems.append(
                f"{gift.public_id}: receipt {receipt.number} for {receipt.amount_minor}, not {gift.kept_minor}"
            )
        elif (copies := emails[message_id(receipt)]) != 1:
            if copies:
                duplicates += 1
            else:
                lost += 1
            problems.append(f"{gift.public_id}: receipt {receipt.number} emailed {copies} times")
    if out_of_step := counters_out_of_step():
        problems.append(f"totals differ from the ledger: {out_of_step}")
    return Audit(
        fault=fault,
        attempted=attempted,
        recorded=len(gifts),
        charged=charged,
        receipts_sent=len(sent),
        duplicates=duplicates,
        lost=lost,
        recovery_seconds=recovery_seconds,
        problems=problems,
    )
