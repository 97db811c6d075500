"""What a fault left behind, read from the ledger, the mail the stack
sent and localstripe: every gift charged once, recorded, fee'd and
receipted once, and totals equal to the ledger. The suite's summary table
prints one of these per fault."""

import email
from collections import Counter
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


def succeeded_intents_by_gift() -> Counter:
    """How many succeeded PaymentIntents localstripe holds for each gift."""
    intents = sdk_client().v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    return Counter(
        intent.metadata["donation_id"]
        for intent in intents
        if intent.status == "succeeded" and "donation_id" in (intent.to_dict().get("metadata") or {})
    )


def audit(*, fault: str, attempted: int, mail_dir: Path, recovery_seconds: float | None = None) -> Audit:
    """Every online gift of this test's database, checked against Stripe
    and the mail sent. A gift charged but not recorded as succeeded, or
    succeeded without its fee or one sent receipt email, is lost; a second
    charge, receipt or receipt email is a duplicate."""
    gifts = list(Donation.objects.filter(source=Donation.Source.ONLINE))
    charges = succeeded_intents_by_gift()
    receipts = Counter(Receipt.objects.values_list("donation_id", flat=True))
    sent = {
        receipt.donation_id: receipt
        for receipt in Receipt.objects.filter(status=Receipt.Status.SENT).select_related("donation")
    }
    emails = Counter(message["Message-ID"] for message in delivered_messages(mail_dir))
    problems = []
    duplicates = lost = charged = 0
    for gift in gifts:
        times_charged = charges.get(str(gift.public_id), 0)
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
        if gift.status != Donation.Status.SUCCEEDED:
            lost += 1
            problems.append(f"{gift.public_id}: charged but {gift.status}")
        elif gift.stripe_fee_minor is None:
            lost += 1
            problems.append(f"{gift.public_id}: no Stripe fee recorded")
        elif receipt is None:
            lost += 1
            problems.append(f"{gift.public_id}: no receipt sent")
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
