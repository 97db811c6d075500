"""Erasing a donor (GDPR Art. 17, within Art. 17(3)(b)): every personal
detail of theirs, in every table, stored email and stored event, is
replaced by a placeholder, while the books keep what the law asks them to
keep: each gift's amount, date, fund and id, each receipt's number and
amounts, the plans, refunds and moves. The Donor row stays (so the gifts
still have their donor and the totals still count them once), named
"Erased donor" with the address `erased-<id>@erased.invalid`, and
stamped `erased_at`. Their active monthly plans are stopped and their
Stripe customers deleted. The Erasure row records who, when, why and how
many rows of each table changed; never what was erased."""

import logging
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from donations.models import Donor, RecurringPlan
from donations.services import recurring
from finance.services.audit import os_user
from payments import stripe as stripe_gateway
from privacy import selectors
from privacy.models import Channel, DataRequest, Erasure
from receipts.models import EmailSuppression

logger = logging.getLogger(__name__)

ERASED_FIRST_NAME = "Erased"
ERASED_LAST_NAME = "donor"
ERASED_NAME = f"{ERASED_FIRST_NAME} {ERASED_LAST_NAME}"
ERASED_TEXT = "[erased]"
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
# How django's file backend separates the messages of one file.
MESSAGE_SEPARATOR = "\n" + "-" * 79 + "\n"
# Shorter values (a house number, "Apt 2") are replaced only where a
# string is nothing else, never inside other words.
SHORTEST_SUBSTRING = 4


class AlreadyErased(Exception):
    """The donor was erased before: nothing more to do."""


def placeholder_email(donor_id: int) -> str:
    return f"erased-{donor_id}@erased.invalid"


@dataclass
class Scrubber:
    """Replaces one donor's details wherever they appear in a string or a
    JSON value: their email addresses by the placeholder address, their
    names, address lines and postcodes (inside longer strings too), their
    first and last names as whole words, and strings that are only their
    city or region."""

    emails: list[str]
    substrings: list[str]
    words: list[str]
    exact: set[str]
    replacement_email: str

    @classmethod
    def for_donor(cls, donor: Donor, rows: selectors.DonorRows) -> "Scrubber":
        emails, names, firsts, lasts, lines, places = {donor.email}, set(), set(), set(), set(), set()
        people = [donor.__dict__, *rows.donations.values(*(f"donor_{f}" for f in Donor.DETAIL_FIELDS))]
        for person in people:
            get = lambda name, person=person: (person.get(name) or person.get(f"donor_{name}") or "").strip()  # noqa: E731
            firsts.add(get("first_name"))
            lasts.add(get("last_name"))
            names.add(f"{get('first_name')} {get('last_name')}".strip())
            lines.update((get("address_line1"), get("address_line2"), get("postal_code")))
            places.update((get("city"), get("region")))
        for declaration in rows.gift_aid_declarations:
            firsts.add(declaration.first_name.strip())
            lasts.add(declaration.last_name.strip())
            names.add(declaration.full_name)
            lines.update((declaration.house_name_or_number, declaration.address, declaration.postcode))
        emails.update(
            rows.donations.exclude(dedication_notify_email="").values_list("dedication_notify_email", flat=True)
        )
        names.update(rows.donations.exclude(dedication_name="").values_list("dedication_name", flat=True))
        substrings = {value for value in names | lines if len(value) >= SHORTEST_SUBSTRING}
        short = {value for value in names | lines if 0 < len(value) < SHORTEST_SUBSTRING}
        return cls(
            emails=sorted((e.lower() for e in emails if e), key=len, reverse=True),
            substrings=sorted(substrings, key=len, reverse=True),
            words=sorted({w for w in firsts | lasts if len(w) >= 2}, key=len, reverse=True),
            exact={value.lower() for value in places | short | firsts | lasts if value},
            replacement_email=placeholder_email(donor.pk),
        )

    def text(self, value: str, *, words: bool = True) -> str:
        """`words`: also the first and last names as words inside longer
        text (free text the donor or staff wrote about them); without,
        only strings that are nothing but one of them (a record's or an
        event's fields, where "Hope" may be a campaign's name too)."""
        if not value:
            return value
        if value.strip().lower() in self.exact:
            return ERASED_TEXT
        for email in self.emails:
            value = re.sub(re.escape(email), self.replacement_email, value, flags=re.IGNORECASE)
        for part in self.substrings:
            value = re.sub(re.escape(part), ERASED_TEXT, value, flags=re.IGNORECASE)
        for word in self.words if words else ():
            value = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", ERASED_TEXT, value, flags=re.IGNORECASE)
        return value

    def json(self, value, *, words: bool = False):
        if isinstance(value, str):
            return self.text(value, words=words)
        if isinstance(value, dict):
            return {key: self.json(item, words=words) for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item, words=words) for item in value]
        return value

    def mentions(self, value: str) -> bool:
        lowered = value.lower()
        return any(email in lowered for email in self.emails)


def erase_donor(*, donor: Donor, reason: str, actor=None, channel: str = Channel.COMMAND) -> Erasure:
    """Erase the donor (see the module). `actor` is the staff user, or None
    for a command (the OS user is recorded). Raises AlreadyErased for a
    donor erased before. Stripe unreachable: StripeUnavailable, and
    nothing is erased."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("Give the reason for the erasure.")
    with transaction.atomic():
        donor = Donor.objects.select_for_update().get(pk=donor.pk)
        if donor.erased_at is not None:
            raise AlreadyErased(f"Donor {donor.pk} was erased on {donor.erased_at:%Y-%m-%d}; nothing more to do.")
        rows = selectors.donor_rows(donor)
        scrub = Scrubber.for_donor(donor, rows)
        customers = selectors.stripe_customer_ids(rows)
        changed = Counter()

        # The frozen copies and the events first: what finds them reads the
        # donor's email, which is replaced further down.
        for receipt in rows.receipts:
            changed["receipts.receipt"] += _update(
                receipt, record=_erased_record(receipt.record, scrub), last_error=scrub.text(receipt.last_error)
            )
        for statement in rows.statements:
            changed["receipts.yearendstatement"] += _update(
                statement, record=_erased_record(statement.record, scrub), last_error=scrub.text(statement.last_error)
            )
        for event in rows.stripe_events:
            changed["donations.stripeevent"] += _update(
                event,
                payload=scrub.json(event.payload),
                last_error=scrub.text(event.last_error),
                ignored_reason=scrub.text(event.ignored_reason),
            )
        for entry in rows.audit_entries:
            changed["finance.auditlogentry"] += _update(entry, filters=scrub.json(entry.filters))
        for gift_import in rows.gift_imports:
            changed["finance.giftimport"] += _update(gift_import, content=_erased_csv(gift_import.content, scrub))
        for event in rows.provider_events:
            changed["receipts.providerevent"] += _update(event, recipient=scrub.replacement_email)
        # The suppression stays, under the placeholder: nothing more is
        # sent to the erased row, and the real address is no longer held.
        for suppression in rows.suppressions:
            changed["receipts.emailsuppression"] += _update(suppression, email=scrub.replacement_email)
        # And one in any case: no impact update or card is ever queued for
        # the placeholder (receipts and notices, being transactional, still
        # are, and fail at the provider: the address does not exist).
        EmailSuppression.objects.get_or_create(
            email=scrub.replacement_email, defaults={"reason": EmailSuppression.Reason.UNSUBSCRIBED}
        )
        for invite in rows.team_invites:
            changed["campaigns.teaminvite"] += _update(invite, email=f"erased-invite-{invite.pk}@erased.invalid")
        for organization in rows.organizations.filter(contact_email=donor.email):
            changed["campaigns.organization"] += _update(organization, contact_name="", contact_email="")

        # The gifts and what hangs off them.
        for gift in rows.donations:
            changed["donations.donation"] += _update(
                gift,
                donor_first_name=ERASED_FIRST_NAME,
                donor_last_name=ERASED_LAST_NAME,
                **{f"donor_{name}": "" for name in Donor.ADDRESS_FIELDS},
                message="",
                dedication="",
                dedication_kind="",
                dedication_name="",
                dedication_notify_email="",
                failure_message=scrub.text(gift.failure_message),
            )
        for card in rows.dedication_cards:
            changed["receipts.dedicationcard"] += _update(
                card, email=f"erased-card-{card.pk}@erased.invalid", last_error=scrub.text(card.last_error)
            )
        for label, queryset in (
            ("donations.refund", rows.refunds),
            ("donations.dispute", rows.disputes),
            ("donations.giftmove", rows.moves),
            ("receipts.voidnotice", rows.void_notices),
            ("receipts.updatedelivery", rows.update_deliveries),
            ("donations.updateconsent", rows.consents),
        ):
            for instance in queryset:
                changed[label] += _update(instance, **_scrubbed_text_fields(instance, scrub))
        # A note's words may name the donor; its signature and page are the fundraiser's.
        for note in rows.thank_you_notes:
            changed["receipts.thankyounote"] += _update(
                note, text=scrub.text(note.text), last_error=scrub.text(note.last_error)
            )
        for declaration in rows.gift_aid_declarations:
            changed["donations.giftaiddeclaration"] += _update(
                declaration,
                first_name=ERASED_FIRST_NAME,
                last_name=ERASED_LAST_NAME,
                house_name_or_number="",
                address="",
                postcode="",
            )
        changed["admin.logentry"] += _erase_admin_log(donor, scrub)

        for plan in rows.plans.exclude(status=RecurringPlan.Status.CANCELED):
            recurring.cancel(plan=plan, by_donor=False)
            changed["donations.recurringplan (stopped)"] += 1

        changed["donations.donor"] += _update(
            donor,
            email=scrub.replacement_email,
            first_name=ERASED_FIRST_NAME,
            last_name=ERASED_LAST_NAME,
            wants_updates=False,
            erased_at=timezone.now(),
            **dict.fromkeys(Donor.ADDRESS_FIELDS, ""),
        )
        request_filter = Q(donor=donor, status=DataRequest.Status.OPEN)
        changed["privacy.datarequest (closed)"] += DataRequest.objects.filter(request_filter).update(
            status=DataRequest.Status.DONE, handled_at=timezone.now(), handled_by=actor
        )
        changed["email files"] += _erase_email_files(scrub)

        deleted = []
        for customer_id in customers:
            deleted.append({"id": customer_id, "deleted": stripe_gateway.delete_customer(customer_id)})
        erasure = Erasure.objects.create(
            donor=donor,
            channel=channel,
            user=actor,
            actor=actor.get_username() if actor is not None else os_user(),
            reason=reason,
            changed={label: count for label, count in sorted(changed.items()) if count},
            stripe_customers=deleted,
        )
    logger.info("donor %s erased: %s", donor.pk, erasure.changed)
    return erasure


def _update(instance: models.Model, **values) -> int:
    """Write the values that differ (in SQL, past save() and its clocks);
    1 if the row changed, else 0."""
    changes = {name: value for name, value in values.items() if getattr(instance, name) != value}
    if not changes:
        return 0
    type(instance)._base_manager.filter(pk=instance.pk).update(**changes)
    for name, value in changes.items():
        setattr(instance, name, value)
    return 1


TEXT_FIELDS = (models.CharField, models.TextField)


def _scrubbed_text_fields(instance: models.Model, scrub: Scrubber) -> dict:
    values = {}
    for field in instance._meta.concrete_fields:
        if isinstance(field, TEXT_FIELDS) and not field.choices and not field.unique:
            values[field.attname] = scrub.text(getattr(instance, field.attname))
        elif isinstance(field, models.JSONField):
            values[field.attname] = scrub.json(getattr(instance, field.attname))
    return values


def _erased_record(record: dict, scrub: Scrubber) -> dict:
    """A receipt's or statement's frozen record with the donor's details
    replaced; the amounts, dates, numbers and the charity's own details
    stay. For a gift given as an organisation, `donor_name` and the
    address are the organisation's and stay; the contact is the person."""
    record = dict(record or {})
    if not record:
        return record
    record["donor_first_name"] = ERASED_FIRST_NAME
    record["donor_email"] = scrub.replacement_email
    if record.get("contact"):
        record["contact"] = ERASED_NAME
    else:
        record["donor_name"] = ERASED_NAME
        record["donor_address_lines"] = []
    if record.get("dedication"):
        record["dedication"] = ""
    return scrub.json(record)


def _erased_csv(content: str, scrub: Scrubber) -> str:
    """An import file with the donor's details replaced on their own lines
    (those with their email); other donors' lines are left as they were."""
    return "\n".join(scrub.text(line) if scrub.mentions(line) else line for line in content.split("\n"))


def _erase_admin_log(donor: Donor, scrub: Scrubber) -> int:
    """The admin's history names a donor as str(donor): "Name <email>"."""
    donor_type = ContentType.objects.get_for_model(Donor)
    entries = LogEntry.objects.filter(
        Q(content_type=donor_type, object_id=str(donor.pk)) | Q(object_repr__icontains=donor.email)
    )
    count = 0
    for entry in entries:
        count += _update(
            entry, object_repr=scrub.text(entry.object_repr), change_message=scrub.text(entry.change_message)
        )
    return count


def _erase_email_files(scrub: Scrubber) -> int:
    """With the file email backend (development and the sandbox), the
    messages kept on disk that were to the donor or name them are removed;
    a file left with none is deleted. Returns the files changed."""
    if settings.EMAIL_BACKEND != FILE_BACKEND:
        return 0
    folder = Path(getattr(settings, "EMAIL_FILE_PATH", "") or "")
    if not folder.is_dir():
        return 0
    needles = [needle.lower() for needle in (*scrub.emails, *scrub.substrings)]
    changed = 0
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if not any(needle in text.lower() for needle in needles):
            continue
        kept = [message for message in text.split(MESSAGE_SEPARATOR) if not _mentions(message, needles)]
        kept = [message for message in kept if message.strip()]
        if kept:
            path.write_text(MESSAGE_SEPARATOR.join(kept) + MESSAGE_SEPARATOR)
        else:
            os.remove(path)
        changed += 1
    return changed


def _mentions(message: str, needles: list[str]) -> bool:
    lowered = message.lower()
    return any(needle in lowered for needle in needles)
