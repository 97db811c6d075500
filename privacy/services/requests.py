"""A donor's own requests from their portal: an erasure, which staff
review and carry out with the Donor admin's action (privacy.admin), or
decline. The donor is emailed once that the request was received (the
PlanChange notice pattern: recorded, then sent by a task after commit,
marked sent only after the provider took it)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import task_queue
from core.emails import stable_message_id, templated_message
from donations.models import Donor
from privacy import selectors, tasks
from privacy.models import DataRequest


class RequestRefused(Exception):
    """`message` is safe to show to the donor."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


ALREADY_OPEN = (
    "You already asked us to erase your data, on {date}, and we are reviewing that request: "
    "there is no need to ask again."
)


def request_erasure(*, donor: Donor) -> DataRequest:
    with transaction.atomic():
        donor = Donor.objects.select_for_update().get(pk=donor.pk)
        existing = selectors.open_request(donor)
        if existing is not None:
            raise RequestRefused(ALREADY_OPEN.format(date=f"{existing.requested_at:%-d %B %Y}"))
        try:
            with transaction.atomic():
                request = DataRequest.objects.create(donor=donor, kind=DataRequest.Kind.ERASURE)
        except IntegrityError as exc:  # the constraint: one open request at a time
            raise RequestRefused(ALREADY_OPEN.format(date=f"{timezone.now():%-d %B %Y}")) from exc
        task_queue.enqueue_on_commit(tasks.send_request_confirmation, request.pk)
    return request


def decline(*, request: DataRequest, user) -> DataRequest:
    DataRequest.objects.filter(pk=request.pk, status=DataRequest.Status.OPEN).update(
        status=DataRequest.Status.DECLINED, handled_at=timezone.now(), handled_by=user
    )
    request.refresh_from_db()
    return request


def send_request_confirmation(*, request_id: int) -> bool:
    """Email the donor that their request was received, once. A request
    whose donor was erased first is not confirmed (the address is gone)."""
    request = DataRequest.objects.select_related("donor").get(pk=request_id)
    if request.confirmation_sent_at is not None or request.donor.erased_at is not None:
        return False
    confirmation_message(request).send()
    DataRequest.objects.filter(pk=request_id).update(confirmation_sent_at=timezone.now())
    return True


def confirmation_message(request: DataRequest) -> EmailMultiAlternatives:
    return templated_message(
        "privacy/email/erasure_requested",
        subject=f"We have your request to erase your data at {settings.ORG_NAME}",
        context={"donor": request.donor, "request": request},
        to=request.donor.email,
        message_id=stable_message_id(f"data-request-{request.pk}"),
    )
