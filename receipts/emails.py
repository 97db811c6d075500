"""The messages: receipts (with their PDF), void notices, year-end
statements, impact updates, fundraisers' gift notices (of gifts paid on
their page or moved to it) and dedication cards, each rendered from templates in
templates/receipts/email/ as plain text and HTML.

Every message carries a Message-ID derived from what it is, so a message
sent twice (see receipts.outbox.send_email) is one message to mail
clients."""

import base64
from urllib.parse import urlsplit

from anymail.message import attach_inline_image
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string, select_template
from django.urls import reverse

from core.money import format_money
from donations import selectors as donation_selectors
from donations.models import DedicationKind
from receipts import documents


def receipt_message(receipt, *, pdf_url: str) -> EmailMultiAlternatives:
    """The receipt's email and PDF, drawn from its stored record; `pdf_url`
    is this email's own download link (receipts.services.receipts.pdf_link)."""
    facts = documents.ReceiptFacts.from_record(receipt.record)
    plan = receipt.donation.recurring_plan
    message = _message(
        "receipt",
        {
            "facts": facts,
            "pdf_url": pdf_url,
            # Every monthly receipt lets the donor change or stop the gift.
            "manage_url": donation_selectors.plan_management_url(plan) if plan else None,
            "gift_aid_cancel_url": _gift_aid_cancel_url(receipt, facts),
            # The donor portal, where every gift and receipt can be found
            # again: by name, since the portal's app sits above this one.
            "portal_url": settings.SITE_URL + reverse("donors:portal"),
        },
        to=facts.donor_email,
        message_id=message_id(receipt),
        country=facts.country,
    )
    pdf = documents.receipt_pdf(facts, is_void=receipt.status == receipt.Status.VOID)
    message.attach(f"receipt-{facts.number}.pdf", pdf, "application/pdf")
    return message


def _gift_aid_cancel_url(receipt, facts) -> str | None:
    """A UK receipt's link to cancel the Gift Aid declaration covering its
    gift, while that declaration stands (None otherwise): like the PDF
    link, made for this email and never part of the record."""
    if not facts.gift_aid:
        return None
    declaration = donation_selectors.gift_aid_declaration_for(receipt.donation)
    if declaration is None or declaration.is_cancelled:
        return None
    return donation_selectors.gift_aid_cancel_url(declaration)


def message_id(receipt) -> str:
    """Stable per receipt: if a receipt is ever sent twice, mail clients see
    one message."""
    return _message_id(f"receipt-{receipt.number}")


def void_notice_message(notice) -> EmailMultiAlternatives:
    """Drawn from the voided receipt's stored record, and why it is void:
    refunded, or taken back by the donor's bank in a dispute the charity
    lost (both final, so the gift's status at sending still says which)."""
    facts = documents.ReceiptFacts.from_record(notice.receipt.record)
    taken_back = notice.receipt.donation.status == notice.receipt.donation.Status.DISPUTE_LOST
    return _message(
        "void_notice",
        {"facts": facts, "taken_back_by_bank": taken_back},
        to=facts.donor_email,
        message_id=_message_id(f"void-{facts.number}"),
        country=facts.country,
    )


def _page_notice_context(donation, *, recipient, fundraiser, team, amount: str) -> dict:
    """What a notice to a page's owner or captain says of a gift on the
    page (`fundraiser`, else `team`): the donor as the captain's dashboard
    names them, the amount, the page and the recipient's own dashboard."""
    page = fundraiser or team
    return {
        "org_name": settings.ORG_NAME,
        "recipient": recipient,
        "donor_name": donation_selectors.ANONYMOUS if donation.anonymous else donation.donor_full_name,
        "amount": amount,
        "page_title": page.name,
        "page_url": settings.SITE_URL + page.get_absolute_url(),
        "dashboard_url": settings.SITE_URL + _dashboard_path(fundraiser=fundraiser, team=team, recipient=recipient),
    }


def gift_notice_message(notice) -> EmailMultiAlternatives:
    """To a page's owner or captain: who gave (as the public page names
    them), how much, and their message; never the donor's address."""
    donation = notice.donation
    return _message(
        "gift_notice",
        {
            **_page_notice_context(
                donation,
                recipient=notice.recipient,
                fundraiser=donation.fundraiser,
                team=donation.team,
                amount=format_money(donation.charged_minor, donation.currency),
            ),
            "message": donation.message,
        },
        to=notice.recipient.email,
        message_id=_message_id(f"gift-notice-{donation.public_id}-{notice.recipient_id}"),
    )


def move_notice_message(notice) -> EmailMultiAlternatives:
    """To the owner or a captain of the page finance moved a gift to: who
    gave (as the public page names them), what now counts for the page (what
    the gift kept when it moved); never the donor's address, nor finance's
    reason for the move."""
    move = notice.move
    return _message(
        "move_notice",
        {
            **_page_notice_context(
                move.donation,
                recipient=notice.recipient,
                fundraiser=move.to_fundraiser,
                team=move.to_team,
                amount=format_money(move.kept_minor, move.currency),
            ),
        },
        to=notice.recipient.email,
        message_id=_message_id(f"move-notice-{move.pk}-{notice.recipient_id}"),
    )


def dedication_card_message(card) -> EmailMultiAlternatives:
    """To the person a donor asked us to tell: who gave (as the public page
    names them, or "Someone"), to what, and in whose honour or memory;
    never the amount, nor the donor's address."""
    donation = card.donation
    return _message(
        "dedication_card",
        {
            "org_name": settings.ORG_NAME,
            "donor_name": "Someone" if donation.anonymous else donation.donor_full_name or "Someone",
            "campaign": donation.campaign.title,
            # "in memory of", mid-sentence.
            "in_words": DedicationKind(donation.dedication_kind).label.lower(),
            "name": donation.dedication_name,
        },
        to=card.email,
        message_id=_message_id(f"dedication-card-{donation.public_id}"),
    )


def _dashboard_path(*, fundraiser, team, recipient) -> str:
    """Where the person told of a gift on `fundraiser` or `team` can see it
    and thank the donor: the fundraiser page's dashboard for its owner, the
    team's for a captain."""
    if fundraiser is not None and (fundraiser.owner_id == recipient.pk or team is None):
        return reverse("campaigns:manage-fundraiser", args=[fundraiser.campaign.slug, fundraiser.slug])
    return reverse("campaigns:manage-team", args=[team.campaign.slug, team.slug])


def thank_you_note_message(note) -> EmailMultiAlternatives:
    """A fundraiser's note to the donor of a gift on their page, from the
    charity: it names the fundraiser as the page does and quotes the note.
    No Reply-To: the fundraiser's address is theirs to give, and a reply
    reaches the charity, which can pass it on."""
    donation = note.donation
    return _message(
        "thank_you_note",
        {
            "org_name": settings.ORG_NAME,
            "donor_first_name": donation.donor_first_name or donation.donor.first_name,
            "signed_as": note.signed_as,
            "page_name": note.page_name,
            "page_url": note.page_url,
            "text": note.text,
            "amount": format_money(donation.charged_minor, donation.currency),
            "given_on": donation.succeeded_at,
        },
        to=donation.donor.email,
        message_id=_message_id(f"thank-you-{donation.public_id}"),
    )


def statement_message(statement) -> EmailMultiAlternatives:
    """Drawn from the statement's stored record, in its country's wording."""
    facts = documents.StatementFacts.from_record(statement.record)
    giver = f"org-{statement.organization_id}" if statement.organization_id else str(statement.donor_id)
    # The default entity's statements keep the ids they had before entities.
    entity = f"entity-{statement.entity_id}-" if statement.entity_id else ""
    corrected = f"-corrected-{statement.pk}" if statement.replaces_id else ""
    return _message(
        "statement",
        {"facts": facts},
        to=facts.donor_email,
        message_id=_message_id(f"statement-{facts.period_label}-{entity}{giver}{corrected}"),
        country=facts.country,
    )


def update_message(delivery) -> EmailMultiAlternatives:
    """An impact update for one donor, with RFC 8058 one-click unsubscribe."""
    unsubscribe_url = settings.SITE_URL + reverse("receipts:unsubscribe", kwargs={"token": delivery.unsubscribe_token})
    return _update_message(
        delivery.update,
        to=delivery.donor.email,
        unsubscribe_url=unsubscribe_url,
        message_id=_message_id(f"update-{delivery.update_id}-{delivery.donor_id}"),
    )


def update_test_message(update, *, to: str) -> EmailMultiAlternatives:
    """What donors will get, sent to a member of staff. Its unsubscribe link
    leads nowhere: it belongs to no donor."""
    return _update_message(
        update,
        to=to,
        unsubscribe_url=settings.SITE_URL + reverse("receipts:unsubscribe", kwargs={"token": "test"}),
        message_id=None,
    )


def update_preview(update) -> dict:
    """Subject, text and HTML of an update as donors will see it, with its
    image inline, for the admin's preview."""
    context = _update_context(update, unsubscribe_url="#", image_src=_image_data_uri(update))
    return {
        "subject": update.title,
        "text": render_to_string("receipts/email/update.txt", context),
        "html": render_to_string("receipts/email/update.html", context),
    }


def _update_message(update, *, to: str, unsubscribe_url: str, message_id: str | None) -> EmailMultiAlternatives:
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    if message_id:
        headers["Message-ID"] = message_id
    message = EmailMultiAlternatives(
        subject=update.title, from_email=settings.DEFAULT_FROM_EMAIL, to=[to], headers=headers
    )
    image_src = None
    if update.image:
        with update.image.open("rb") as image:
            content_id = attach_inline_image(message, image.read(), filename=update.image.name.rsplit("/", 1)[-1])
        image_src = f"cid:{content_id}"
    context = _update_context(update, unsubscribe_url=unsubscribe_url, image_src=image_src)
    message.body = render_to_string("receipts/email/update.txt", context)
    message.attach_alternative(render_to_string("receipts/email/update.html", context), "text/html")
    return message


def _update_context(update, *, unsubscribe_url: str, image_src: str | None) -> dict:
    # Updates are news, not documents: they sign off with the charity as it is now.
    return {
        "org_name": settings.ORG_NAME,
        "org_address": settings.ORG_ADDRESS,
        "update": update,
        "unsubscribe_url": unsubscribe_url,
        "image_src": image_src,
    }


def _image_data_uri(update) -> str | None:
    if not update.image:
        return None
    with update.image.open("rb") as image:
        content = image.read()
    kind = update.image.name.rsplit(".", 1)[-1].lower().replace("jpg", "jpeg")
    return f"data:image/{kind};base64,{base64.b64encode(content).decode()}"


def _message(template: str, context: dict, *, to: str, message_id: str, country: str = "") -> EmailMultiAlternatives:
    """A receipt's, void notice's or statement's email: `context` is all its
    templates see (the stored record and this email's links), never the
    live settings. With `country` (that of the entity whose document it
    is), the country's own templates (receipts/email/<country>/) win over
    the shared ones where it has them."""

    def render(suffix: str) -> str:
        names = [f"receipts/email/{template}{suffix}"]
        if country:
            names.insert(0, f"receipts/email/{country.lower()}/{template}{suffix}")
        return select_template(names).render(context)

    message = EmailMultiAlternatives(
        subject=render("_subject.txt").strip(),
        body=render(".txt"),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id},
    )
    message.attach_alternative(render(".html"), "text/html")
    return message


def _message_id(local_part: str) -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "hopefund.invalid"
    return f"<{local_part}@{domain}>"
