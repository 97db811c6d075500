"""The donor's email preferences from their portal: impact updates about
every fund, only about the funds they choose, or none. Receipts and
statements are not theirs to turn off (they are the charity's records of
the donor's own gifts) and never change here."""

from django.db import transaction

from donations import update_consent
from donations.models import Donor, UpdateConsent
from donations.services import update_choices
from receipts.services import suppression

ALL, CHOSEN, NONE = "all", "chosen", "none"


def save_preferences(*, donor_id: int, choice: str, fund_ids: list[int]) -> update_choices.UpdateChoice:
    """The donor's choice, recorded with the words the portal showed; with
    updates on, an unsubscribe of their address (and only that, never a
    bounce or a spam complaint) is lifted in the same transaction. Raises
    update_choices.UnknownFund, having written nothing, for a fund that
    cannot be chosen."""
    wants_updates = choice != NONE
    chosen = fund_ids if choice == CHOSEN else []
    names = list(update_choices.choosable_funds().filter(pk__in=chosen).values_list("name", flat=True))
    with transaction.atomic():
        made = update_choices.choose_updates(
            donor_id=donor_id,
            wants_updates=wants_updates,
            fund_ids=chosen,
            source=UpdateConsent.Source.PORTAL,
            wording=update_consent.portal_wording(wants_updates=wants_updates, fund_names=names),
        )
        if wants_updates:
            suppression.lift_unsubscribe(email=Donor.objects.values_list("email", flat=True).get(pk=donor_id))
    return made
