"""Signing a donor in by an emailed link, with no password.

Asking (request_link) answers the same whether or not the address belongs
to a donor; a link is made only for a donor who was not erased, and only
while the address typed is within DONOR_SIGN_IN_RATE_LIMIT, so nobody can
flood a donor's inbox. The email goes out from a task that takes the
link's id (send_link).

The link's token is the row's public id signed with SECRET_KEY under its
own salt: the database alone (a backup, a read replica) gives no usable
link, and a token that does not verify never reaches the database.
Following it (use_link) checks the signature, then the row, then marks
it used in one conditional UPDATE, so two clicks at once sign in once."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import rate_limit, shared_cache, task_queue
from donations.models import Donor
from donors import emails, tasks
from donors.models import SignInLink

logger = logging.getLogger(__name__)

TOKEN_SALT = "hopefund.donor-sign-in-link"
# Not ":" (Django's default), which some mail clients cut a link at.
TOKEN_SEP = "."


class LinkRefused(Exception):
    """The link cannot sign anyone in; `reason` says why, for its page."""

    FORGED = "forged"
    USED = "used"
    EXPIRED = "expired"

    def __init__(self, reason: str, *, donor_id: int | None = None):
        super().__init__(reason)
        self.reason = reason
        # Whose link it was (None for a forgery).
        self.donor_id = donor_id


@dataclass(frozen=True)
class SignedIn:
    donor: Donor
    next_path: str


def _signer() -> signing.Signer:
    return signing.Signer(salt=TOKEN_SALT, sep=TOKEN_SEP)


def token_for(link: SignInLink) -> str:
    return _signer().sign(link.public_id.hex)


def link_url(link: SignInLink) -> str:
    return settings.SITE_URL + reverse("donors:sign-in-link", kwargs={"token": token_for(link)})


def request_link(*, email: str, next_path: str = "") -> SignInLink | None:
    """Someone asked for a sign-in link for `email` (already validated).
    The link, queued to be emailed, or None: no donor (or an erased one)
    has that address, or it asked more often than DONOR_SIGN_IN_RATE_LIMIT
    (or Redis is down, so that cannot be counted: nothing is sent, fail
    safe). The caller answers the same in every case."""
    email = email.strip().lower()
    try:
        wait = rate_limit.seconds_until_allowed(
            scope="donor-sign-in-email",
            identity=email[:254],
            rate=settings.DONOR_SIGN_IN_RATE_LIMIT,
            fail_safe=True,
        )
    except shared_cache.SharedCacheDown:
        logger.warning("donor sign-in link not sent: Redis is unreachable")
        return None
    if wait:
        logger.info("donor sign-in link not sent: asked too often for one address")
        return None
    with transaction.atomic():
        donor = Donor.objects.filter(email=email, erased_at__isnull=True).first()
        if donor is None:
            return None
        now = timezone.now()
        link = SignInLink.objects.create(
            donor=donor,
            next_path=next_path[:500] if _is_local_path(next_path) else "",
            created_at=now,
            expires_at=now + timedelta(minutes=settings.DONOR_SIGN_IN_LINK_MINUTES),
        )
        task_queue.enqueue_on_commit(tasks.send_sign_in_link, link.pk)
    return link


def _is_local_path(path: str) -> bool:
    """A path on this site (the views check it with
    url_has_allowed_host_and_scheme first; this keeps the row honest)."""
    parts = urlsplit(path)
    return bool(path) and path.startswith("/") and not path.startswith("//") and not parts.scheme and not parts.netloc


def send_link(*, link_id: int) -> bool:
    """Email the link, once: marked sent only after the provider took it,
    so a failed send is retried by the task; a worker that died in between
    sends it again with the same Message-ID. A link used, expired or whose
    donor was erased meanwhile is not sent."""
    link = SignInLink.objects.select_related("donor").get(pk=link_id)
    if link.sent_at is not None or link.used_at is not None or link.expires_at <= timezone.now():
        return False
    if link.donor.erased_at is not None:
        return False
    emails.sign_in_message(link, url=link_url(link)).send()
    SignInLink.objects.filter(pk=link_id).update(sent_at=timezone.now())
    return True


def use_link(*, token: str) -> SignedIn:
    """Sign in with a link's token: the donor and where they were going.
    Raises LinkRefused: FORGED (the signature does not verify, no such row,
    or its donor was erased), USED or EXPIRED."""
    try:
        public_hex = _signer().unsign(token)
    except signing.BadSignature:
        raise LinkRefused(LinkRefused.FORGED) from None
    now = timezone.now()
    with transaction.atomic():
        link = SignInLink.objects.select_related("donor").filter(public_id=public_hex).first()
        if link is None or link.donor.erased_at is not None:
            raise LinkRefused(LinkRefused.FORGED)
        # PostgreSQL re-checks the WHERE on the row's newest version once
        # it holds the row lock: of two requests at once, one updates it.
        taken = SignInLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if not taken:
        link.refresh_from_db(fields=["used_at"])
        reason = LinkRefused.USED if link.used_at is not None else LinkRefused.EXPIRED
        raise LinkRefused(reason, donor_id=link.donor_id)
    logger.info("donor %s signed in to the portal with link %s", link.donor_id, link.public_id)
    return SignedIn(donor=link.donor, next_path=link.next_path)
