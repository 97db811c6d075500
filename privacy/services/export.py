"""Everything held on one donor, as one JSON document (GDPR Art. 15 access
and Art. 20 portability): the rows privacy.selectors.donor_rows finds,
each as its fields. Money is integer minor units with its currency, as
stored; dates and times are ISO 8601. Nothing of anyone else: rows shared
with others (a campaign, a fund, an organisation) are named, not copied,
and an import file gives only the donor's own lines. Secrets are left out
(link tokens and their hashes)."""

import datetime
import decimal
import json
import uuid

from django.db import models, transaction
from django.utils import timezone

from donations.models import Donor
from finance.services.audit import os_user
from privacy import selectors
from privacy.models import Channel, DataExport

FORMAT_VERSION = 1

# What an export never gives: the hashes and tokens that open links, and
# the bookkeeping of the outbox and of idempotent requests.
LEFT_OUT = {
    "pdf_token_hash",
    "unsubscribe_token",
    "token_hash",
    "idempotency_key",
    "idempotency_fingerprint",
    "claimed_by",
    "claimed_at",
    "charge_attempt_started_at",
    "link_version",
    "content",
}


def export_donor_data(*, donor: Donor, channel: str, user=None) -> dict:
    """The donor's data, and an audit row saying who exported it."""
    with transaction.atomic():
        document = donor_document(donor)
        DataExport.objects.create(donor=donor, channel=channel, user=user, actor=_actor(channel, user))
    return document


def as_json(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def donor_document(donor: Donor) -> dict:
    rows = selectors.donor_rows(donor)
    by_gift = _grouped
    allocations = by_gift(rows.allocations, "donation_id")
    refunds = by_gift(rows.refunds, "donation_id")
    disputes = by_gift(rows.disputes, "donation_id")
    moves = by_gift(rows.moves, "donation_id")
    offline = by_gift(rows.offline_gifts, "donation_id")
    cards = by_gift(rows.dedication_cards, "donation_id")
    notes = by_gift(rows.thank_you_notes, "donation_id")
    receipts = by_gift(rows.receipts, "donation_id")
    claims = by_gift(rows.gift_aid_claim_lines, "donation_id")
    void_notices = {notice.receipt_id: row(notice) for notice in rows.void_notices}
    gifts = []
    for gift in rows.donations.select_related("campaign", "team", "fundraiser", "fund"):
        gifts.append(
            {
                **row(gift),
                "campaign": gift.campaign.title,
                "team": gift.team.name if gift.team else None,
                "fundraiser": gift.fundraiser.name if gift.fundraiser else None,
                "fund": gift.fund.name,
                "allocations": allocations.get(gift.pk, []),
                "refunds": refunds.get(gift.pk, []),
                "disputes": disputes.get(gift.pk, []),
                "moves": moves.get(gift.pk, []),
                "offline_gift": (offline.get(gift.pk) or [None])[0],
                "dedication_card": (cards.get(gift.pk) or [None])[0],
                "thank_you_note": (notes.get(gift.pk) or [None])[0],
                "gift_aid_claims": claims.get(gift.pk, []),
                "receipts": [
                    {**receipt, "void_notice": void_notices.get(receipt["id"])} for receipt in receipts.get(gift.pk, [])
                ],
            }
        )
    parts = by_gift(rows.plan_parts, "plan_id")
    changes = by_gift(rows.plan_changes, "plan_id")
    plans = [{**row(plan), "parts": parts.get(plan.pk, []), "changes": changes.get(plan.pk, [])} for plan in rows.plans]
    return {
        "format": "hopefund.donor-data",
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "notes": (
            "Money is in minor units (cents, pence) of the currency beside it; times are ISO 8601 in UTC. "
            "Ids are ours (id) or Stripe's (*_id)."
        ),
        "donor": {**row(donor), "update_funds": sorted(donor.update_funds.values_list("slug", flat=True))},
        "current_preferences": {
            "wants_updates": donor.wants_updates,
            "update_funds": sorted(donor.update_funds.values_list("slug", flat=True)),
            "suppressed": [row(suppression) for suppression in rows.suppressions],
        },
        "gifts": gifts,
        "monthly_plans": plans,
        "year_end_statements": [row(statement) for statement in rows.statements],
        "update_consents": [row(consent) for consent in rows.consents],
        "gift_aid_declarations": [row(declaration) for declaration in rows.gift_aid_declarations],
        "impact_update_deliveries": [
            {**row(delivery), "update_title": delivery.update.title, "update_sent": plain(delivery.update.created_at)}
            for delivery in rows.update_deliveries
        ],
        "email_suppressions": [row(suppression) for suppression in rows.suppressions],
        "organizations": [_organization(organization, donor) for organization in rows.organizations],
        "team_invites": [{**row(invite), "team": invite.team.name} for invite in rows.team_invites],
        "email_provider_events": [row(event) for event in rows.provider_events],
        "stripe_events": [row(event) for event in rows.stripe_events],
        "offline_gift_files": [_import_lines(gift_import, donor.email) for gift_import in rows.gift_imports],
        "staff_exports_naming_the_donor": [row(entry) for entry in rows.audit_entries],
        "data_requests": [row(request) for request in rows.data_requests],
    }


def row(instance: models.Model) -> dict:
    """A row's own fields (a foreign key as its id), as JSON values."""
    values = {}
    for field in instance._meta.concrete_fields:
        if field.name in LEFT_OUT or field.attname in LEFT_OUT:
            continue
        values[field.attname if field.is_relation else field.name] = plain(getattr(instance, field.attname))
    return values


def plain(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def _grouped(queryset, key: str) -> dict:
    grouped = {}
    for instance in queryset:
        grouped.setdefault(getattr(instance, key), []).append(row(instance))
    return grouped


def _organization(organization, donor: Donor) -> dict:
    """An organisation the donor gave for: its contact only if that is them."""
    values = row(organization)
    if organization.contact_email != donor.email:
        values["contact_name"] = values["contact_email"] = None
    return values


def _import_lines(gift_import, email: str) -> dict:
    _header, lines = selectors.import_rows_of(gift_import, email)
    return {
        "id": gift_import.pk,
        "public_id": str(gift_import.public_id),
        "file_name": gift_import.file_name,
        "created_at": gift_import.created_at.isoformat(),
        "your_lines": lines,
    }


def _actor(channel: str, user) -> str:
    if user is not None:
        return user.get_username()
    if channel == Channel.PORTAL:
        return "the donor"
    return os_user()
