"""Organisations given as (`donor.organization`): one per name, whatever
its case, and the details a paid gift changes on that record, as
donations.services.donors does for a donor: a gift stores the name and
address as given (Donation.ORGANIZATION_DETAIL_FIELDS), and only once it
has succeeded do they, and the gift's donor as the contact, change the
shared record, so a declined gift changes nothing anyone else sees."""

from dataclasses import asdict, dataclass

from django.db.models.functions import Lower
from django.utils import timezone

from campaigns import services as campaign_services
from campaigns.models import Organization
from donations.models import Donation

# Organisations named in one query: well under PostgreSQL's parameter limit.
_PER_QUERY = 5000


@dataclass(frozen=True)
class OrganizationDetails:
    """An organisation as a request gave it: its name and postal address."""

    ADDRESS_FIELDS = Organization.ADDRESS_FIELDS

    name: str
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""


def organization_for(*, details: OrganizationDetails | None) -> Organization | None:
    """The organisation of this name (any case), created with these
    details if there is none; an existing one is left as it is. None for
    a person's own gift."""
    if details is None:
        return None
    return campaign_services.organization_named(**asdict(details))


def organizations_by_name(oldest_first: list[OrganizationDetails]) -> dict[str, Organization]:
    """Every organisation named, by lower-cased name, the new ones inserted
    in one statement with the details first given (as offline imports
    insert donors: no savepoint per row)."""
    first_seen: dict[str, OrganizationDetails] = {}
    for details in oldest_first:
        first_seen.setdefault(details.name.lower(), details)
    Organization.objects.bulk_create(
        [Organization(**asdict(details)) for details in first_seen.values()], ignore_conflicts=True, batch_size=1000
    )
    found: dict[str, Organization] = {}
    names = sorted(first_seen)
    for start in range(0, len(names), _PER_QUERY):
        for organization in Organization.objects.alias(lower_name=Lower("name")).filter(
            lower_name__in=names[start : start + _PER_QUERY]
        ):
            found[organization.name.lower()] = organization
    return found


def gift_fields(details: "OrganizationDetails | Organization | None") -> dict[str, str]:
    """The organisation (as given with a request, or as on record for a
    monthly plan's renewal) as a new gift's fields; none for a person's
    own gift."""
    if details is None:
        return {}
    return {field: getattr(details, name) for name, field in Donation.ORGANIZATION_DETAIL_FIELDS.items()}


def apply_details_of_paid_gifts(donations: list[Donation]) -> None:
    """The organisations of gifts that have just succeeded (oldest first)
    take the address each gave (an empty part never erases one on record)
    and its donor as their contact, each as its latest gift gave them.
    The name stays as first given: it is what the record is matched by.
    Lock order: ... Donor -> Organization, rows locked in id order."""
    given: dict[int, dict[str, str]] = {}
    for donation in donations:
        if donation.organization_id is None:
            continue
        details = {name: value for name, value in donation.organization_details.items() if value and name != "name"}
        details["contact_name"] = donation.donor_full_name
        details["contact_email"] = donation.donor.email
        given.setdefault(donation.organization_id, {}).update(details)
    if not given:
        return
    changed: list[Organization] = []
    names: set[str] = set()
    for organization in Organization.objects.select_for_update().filter(pk__in=sorted(given)).order_by("pk"):
        wanted = given[organization.pk]
        differs = {name: value for name, value in wanted.items() if getattr(organization, name) != value}
        for name, value in differs.items():
            setattr(organization, name, value)
        if differs:
            changed.append(organization)
            names.update(differs)
    if changed:
        now = timezone.now()
        for organization in changed:
            organization.updated_at = now
        Organization.objects.bulk_update(changed, [*sorted(names), "updated_at"], batch_size=1000)
