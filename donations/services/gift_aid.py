"""Gift Aid declarations: made with a gift, cancelled by the donor (the
signed link in their receipt) or by staff (the admin). Never deleted: a
cancellation is stamped on the declaration, which keeps covering the
gifts made before it (donations.selectors.gift_aid_declaration_for)."""

from django.db import transaction
from django.utils import timezone

from core.money import format_money
from donations import gift_aid
from donations.models import Donation, GiftAidDeclaration


def record_declaration_with_gift(*, donation: Donation, source: str) -> GiftAidDeclaration:
    """The declaration the donor made with `donation` (saved, in the
    caller's transaction), in HMRC's model wording for its amount and the
    charity that receives it, with the name and home address given with the
    gift. The request was checked (donations.forms): a UK postcode and a
    street address."""
    entity = donation.campaign.entity
    return GiftAidDeclaration.objects.create(
        donor=donation.donor,
        entity=entity if entity.pk else None,
        charity_name=entity.name,
        first_name=donation.donor_first_name,
        last_name=donation.donor_last_name,
        house_name_or_number=gift_aid.house_name_or_number(donation.donor_address_line1),
        address=", ".join(
            part for part in (donation.donor_address_line1, donation.donor_address_line2, donation.donor_city) if part
        ),
        postcode=gift_aid.normalised_postcode(donation.donor_postal_code),
        wording=gift_aid.wording(amount=format_money(donation.charged_minor, donation.currency), charity=entity.name),
        wording_version=gift_aid.WORDING_VERSION,
        scope=GiftAidDeclaration.Scope.PAST_AND_FUTURE,
        declared_at=timezone.now(),
        source=source,
        donation=donation,
    )


@transaction.atomic
def cancel_declaration(*, declaration: GiftAidDeclaration, source: str, by: str = "") -> bool:
    """Stamp `declaration` cancelled now, by `source` (and `by`, the member
    of staff who recorded it). False, changing nothing, if it already was:
    the first cancellation is the one on record."""
    return bool(
        GiftAidDeclaration.objects.filter(pk=declaration.pk, cancelled_at__isnull=True).update(
            cancelled_at=timezone.now(), cancellation_source=source, cancelled_by=by
        )
    )
