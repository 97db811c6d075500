"""An impact update to 1,000 donors, 10 of them suppressed, started twice
at once, sent in batches by a real Celery worker process on Redis."""

import email
import threading

import pytest

from receipts.models import EmailSuppression, ImpactUpdate, UpdateDelivery
from receipts.services import impact_updates, suppression
from tests.integration.conftest import wait_for
from tests.receipts.audience import donors_who_gave

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Django's file backend appends each message to a per-second file, then this.
MESSAGE_SEPARATOR = "\n" + "-" * 79 + "\n"


def written_messages(mail_dir) -> list[str]:
    return [text for path in mail_dir.iterdir() for text in path.read_text().split(MESSAGE_SEPARATOR) if text.strip()]


def test_an_update_started_twice_reaches_990_of_1000_donors_once_each(campaign, funds, celery_worker_process, mail_dir):
    donors = donors_who_gave(1000, campaign=campaign, fund=funds["aftercare"])
    suppressed = {donor.email for donor in donors[::100]}
    for address in suppressed:
        suppression.suppress(email=address, reason=EmailSuppression.Reason.COMPLAINED)
    update = ImpactUpdate.objects.create(
        title="A year of aftercare", body="Thank you.", audience=ImpactUpdate.Audience.FUND, fund=funds["aftercare"]
    )

    starts = [
        threading.Thread(target=impact_updates.start_sending_update, kwargs={"update_id": update.pk}) for _ in range(2)
    ]
    for start in starts:
        start.start()
    for start in starts:
        start.join()

    wait_for(
        lambda: UpdateDelivery.objects.filter(status="sent").count() == 990,
        timeout=120,
        message="990 deliveries to be sent",
    )
    assert UpdateDelivery.objects.filter(status="skipped").count() == 10
    sent = [email.message_from_string(text) for text in written_messages(mail_dir)]
    recipients = [message["To"] for message in sent]
    assert len(recipients) == 990
    assert len(set(recipients)) == 990
    assert not set(recipients) & suppressed
    assert all(message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for message in sent)
