"""Donors: one per email address (case-insensitive), and the details a gift
may change on that record.

Anyone can type anyone's email into the donate form, so a gift's details
are stored on the gift itself (Donation.DONOR_DETAIL_FIELDS) and change the
shared record only once the gift has succeeded: a declined or abandoned
gift changes nothing anyone else sees. Changing a donor's details in any
other way is for staff, or for the donor through a signed link (the donor
portal)."""

from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone

from donations.models import Donation, Donor
from donations.services import update_choices

if TYPE_CHECKING:
    from donations.services.gifts import DonorDetails

# Donors named in one query: well under PostgreSQL's parameter limit.
_PER_QUERY = 5000


def donor_for(*, details: "DonorDetails") -> Donor:
    """The donor with this email address, created with these details if
    there is none; an existing donor's details are left as they are."""
    fields = {name: getattr(details, name) for name in Donor.DETAIL_FIELDS}
    donor, _created = Donor.objects.get_or_create(email=details.email.lower(), defaults=fields)
    return donor


def gift_fields(details: "DonorDetails | Donor") -> dict[str, str]:
    """The donor's details (as given with a request, or as on record) as a
    new gift's fields."""
    return {field: getattr(details, name) for name, field in Donation.DONOR_DETAIL_FIELDS.items()}


def lock(donor_ids: list[int]) -> None:
    """Lock these donors' rows, in id order: transactions locking several
    donors all take them in one order."""
    list(Donor.objects.select_for_update().filter(pk__in=donor_ids).order_by("pk").values_list("pk", flat=True))


def apply_details_of_paid_gift(donation: Donation) -> None:
    """The donor's record takes the details given with a gift that has just
    succeeded. A detail the gift left empty never erases one on record.
    The donor's row is locked before it is compared (lock order: ...
    GivingTotal -> Donor), so two of their gifts succeeding at once each
    compare against what the other wrote, not against a stale copy."""
    donor = donation.donor = Donor.objects.select_for_update().get(pk=donation.donor_id)
    given = _given_with(donation)
    changed = [name for name, value in given.items() if getattr(donor, name) != value]
    # The choice of updates is recorded as given, changed or not.
    update_choices.record_choices_of_paid_gifts([donation])
    if not changed:
        return
    for name in changed:
        setattr(donor, name, given[name])
    donor.save(update_fields=[*changed, "updated_at"])


def _given_with(donation: Donation) -> dict[str, str | bool]:
    """What a paid gift changes on its donor's record: each detail it gave
    (an empty one never erases one on record), and the choice of impact
    updates if it was asked for, no as well as yes."""
    given: dict[str, str | bool] = {name: value for name, value in donation.donor_details.items() if value}
    if donation.donor_wants_updates is not None:
        given["wants_updates"] = donation.donor_wants_updates
    return given


def donors_by_email(emails: set[str]) -> dict[str, Donor]:
    """The donors with these (lower-cased) email addresses, by email
    (one query per few thousand)."""
    ordered = sorted(emails)
    found: dict[str, Donor] = {}
    for start in range(0, len(ordered), _PER_QUERY):
        for donor in Donor.objects.filter(email__in=ordered[start : start + _PER_QUERY]):
            found[donor.email] = donor
    return found


def apply_details_of_paid_gifts(donations: list[Donation]) -> None:
    """apply_details_of_paid_gift for many gifts that have just succeeded,
    given oldest first: each donor ends as if their gifts had succeeded one
    after the other (each detail as the last gift that gave it), locked
    in one query and saved in one per few thousand. Each gift's `donor` is
    then its donor's record as locked and saved here, as for one gift."""
    given: dict[int, dict[str, str | bool]] = {}
    for donation in donations:
        given.setdefault(donation.donor_id, {}).update(_given_with(donation))
    ordered = sorted(given)
    locked: dict[int, Donor] = {}
    changed: list[Donor] = []
    for start in range(0, len(ordered), _PER_QUERY):
        for donor in (
            Donor.objects.select_for_update().filter(pk__in=ordered[start : start + _PER_QUERY]).order_by("pk")
        ):
            locked[donor.pk] = donor
            details = {name: value for name, value in given[donor.pk].items() if getattr(donor, name) != value}
            if details:
                for name, value in details.items():
                    setattr(donor, name, value)
                changed.append(donor)
    _save_details(changed)
    update_choices.record_choices_of_paid_gifts(donations)
    for donation in donations:
        donation.donor = locked[donation.donor_id]


def _save_details(changed: list[Donor]) -> None:
    """One UPDATE ... FROM unnest(arrays) per few thousand donors: Django's
    bulk_update writes a CASE of one branch per row per column, which
    PostgreSQL takes minutes to plan and run for tens of thousands."""
    fields = [Donor._meta.get_field(name) for name in (*Donor.DETAIL_FIELDS, "wants_updates")]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    assignments = ", ".join(f"{connection.ops.quote_name(field.column)} = given.{field.column}" for field in fields)
    arrays = ", ".join(f"%s::{'boolean' if field.name == 'wants_updates' else 'text'}[]" for field in fields)
    statement = (
        f"UPDATE {connection.ops.quote_name(Donor._meta.db_table)} AS donor "
        f"SET {assignments}, updated_at = %s "
        f"FROM unnest(%s::bigint[], {arrays}) AS given(id, {columns}) WHERE donor.id = given.id"
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        for start in range(0, len(changed), _PER_QUERY):
            batch = changed[start : start + _PER_QUERY]
            cursor.execute(
                statement,
                [now, [donor.pk for donor in batch], *([getattr(donor, f.name) for donor in batch] for f in fields)],
            )
