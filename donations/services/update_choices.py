"""A donor's choice of impact updates (Donor.wants_updates and
Donor.update_funds) and its consent record (UpdateConsent): every choice
applied to a donor appends one, with the words they were shown, where
they made it (the donate form, the API, the portal, an update's
unsubscribe link) and the gift it came with, if any."""

from dataclasses import dataclass

from django.db import transaction

from campaigns.models import Fund
from donations import update_consent
from donations.models import Donation, Donor, UpdateConsent

Source = UpdateConsent.Source

# Consent records written in one INSERT, and donors named in one query: a
# batch of paid gifts may be large.
_PER_INSERT = 2000
_PER_QUERY = 5000


class UnknownFund(ValueError):
    """A fund chosen that is not one donors can choose."""


@dataclass(frozen=True)
class UpdateChoice:
    """A donor's choice as it stands after a change: the record written,
    and whether updates went from off to on."""

    consent: UpdateConsent
    turned_on: bool


def choosable_funds():
    """The funds a donor may ask for updates about: the active ones."""
    return Fund.objects.filter(is_active=True).order_by("sort_order", "name")


def choose_updates(
    *, donor_id: int, wants_updates: bool, fund_ids: list[int], source: str, wording: str
) -> UpdateChoice:
    """The donor's own choice (the portal, or staff on their word): updates
    or none, and with updates, about every fund (no fund_ids) or only the
    funds given. Raises UnknownFund, having written nothing, for a fund
    that is not active."""
    wanted = list(choosable_funds().filter(pk__in=fund_ids)) if wants_updates else []
    if len(wanted) != len(set(fund_ids)) and wants_updates:
        raise UnknownFund("Choose funds from the list.")
    with transaction.atomic():
        donor = Donor.objects.select_for_update().get(pk=donor_id)
        turned_on = wants_updates and not donor.wants_updates
        if donor.wants_updates != wants_updates:
            donor.wants_updates = wants_updates
            donor.save(update_fields=["wants_updates", "updated_at"])
        donor.update_funds.set(wanted)
        consent = UpdateConsent.objects.create(
            donor=donor,
            wants_updates=wants_updates,
            fund_slugs=sorted(fund.slug for fund in wanted),
            source=source,
            wording=wording,
        )
    return UpdateChoice(consent=consent, turned_on=turned_on)


def refuse_updates(*, donor_id: int, source: str, wording: str) -> UpdateConsent | None:
    """No more impact updates (an update's unsubscribe link): the donor's
    choice becomes no and is recorded, unless it was no already (a mail
    app may post the one-click unsubscribe more than once). The funds the
    donor chose stay, should they turn updates on again."""
    with transaction.atomic():
        donor = Donor.objects.select_for_update().filter(pk=donor_id).first()
        if donor is None or not donor.wants_updates:
            return None
        donor.wants_updates = False
        donor.save(update_fields=["wants_updates", "updated_at"])
        return UpdateConsent.objects.create(
            donor=donor,
            wants_updates=False,
            fund_slugs=_chosen_slugs([donor.pk]).get(donor.pk, []),
            source=source,
            wording=wording,
        )


def wording_of_gift(donation: Donation) -> str:
    """The words the donor was shown with a gift's choice."""
    if donation.donor_updates_source == Source.DONATE_FORM:
        return update_consent.DONATE_FORM
    return update_consent.API


def record_choices_of_paid_gifts(donations: list[Donation]) -> None:
    """A consent record for each of these just-paid gifts that carried a
    choice of updates (its donor's record has just taken it): where it was
    asked, its words, the gift, and the funds the donor had chosen (a gift
    changes only yes or no). Offline gifts carry none. A few queries per
    batch, whatever its size."""
    chosen = [donation for donation in donations if donation.donor_wants_updates is not None]
    if not chosen:
        return
    slugs = _chosen_slugs(sorted({donation.donor_id for donation in chosen}))
    UpdateConsent.objects.bulk_create(
        [
            UpdateConsent(
                donor_id=donation.donor_id,
                wants_updates=donation.donor_wants_updates,
                fund_slugs=slugs.get(donation.donor_id, []),
                source=donation.donor_updates_source or Source.API,
                wording=wording_of_gift(donation),
                donation_id=donation.pk,
            )
            for donation in chosen
        ],
        batch_size=_PER_INSERT,
    )


def _chosen_slugs(donor_ids: list[int]) -> dict[int, list[str]]:
    """The slugs of the funds each donor chose (one query per few thousand)."""
    found: dict[int, list[str]] = {}
    for start in range(0, len(donor_ids), _PER_QUERY):
        rows = (
            Donor.update_funds.through.objects.filter(donor_id__in=donor_ids[start : start + _PER_QUERY])
            .order_by("fund__slug")
            .values_list("donor_id", "fund__slug")
        )
        for donor_id, slug in rows:
            found.setdefault(donor_id, []).append(slug)
    return found
