"""Impact updates: written in the admin, sent to an audience in batches,
each donor once, suppressed and unsubscribed addresses skipped, with
RFC 8058 one-click unsubscribe."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from receipts.models import EmailSuppression, ImpactUpdate, UpdateDelivery
from receipts.services import impact_updates, suppression
from tests.factories import CampaignFactory
from tests.receipts.audience import donors_who_gave

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def send(update: ImpactUpdate, capture) -> None:
    with capture(execute=True):
        impact_updates.start_sending_update(update_id=update.pk)


def recipients(mailoutbox) -> list[str]:
    return sorted(message.to[0] for message in mailoutbox)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def test_an_update_to_1000_donors_with_10_suppressed_reaches_990_once_when_started_twice(
    campaign, funds, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(impact_updates, "UPDATE_BATCH_SIZE", 300)  # several batches
    donors = donors_who_gave(1000, campaign=campaign, fund=funds["aftercare"])
    for donor in donors[::100]:
        suppression.suppress(email=donor.email, reason=EmailSuppression.Reason.BOUNCED)
    update = ImpactUpdate.objects.create(title="A year of aftercare", body="Thank you.")

    send(update, django_capture_on_commit_callbacks)
    send(update, django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 990
    assert len(set(recipients(mailoutbox))) == 990
    assert not set(recipients(mailoutbox)) & {donor.email for donor in donors[::100]}
    assert UpdateDelivery.objects.filter(status="sent").count() == 990
    assert UpdateDelivery.objects.filter(status="skipped").count() == 10
    update.refresh_from_db()
    assert update.status == ImpactUpdate.Status.SENT and update.all_queued_at is not None


def test_a_second_fan_out_after_the_first_queues_nobody_again(
    campaign, funds, mailoutbox, django_capture_on_commit_callbacks
):
    donors_who_gave(3, campaign=campaign, fund=funds["rescue"])
    update = ImpactUpdate.objects.create(title="News", body="Hello.")
    send(update, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        impact_updates.queue_update_batch(update_id=update.pk, after_donor_id=0)

    assert callbacks == [] and len(mailoutbox) == 3


def test_an_update_for_a_fund_reaches_only_its_donors(campaign, funds, mailoutbox, django_capture_on_commit_callbacks):
    donors_who_gave(2, campaign=campaign, fund=funds["aftercare"], prefix="aftercare")
    donors_who_gave(2, campaign=campaign, fund=funds["rescue"], prefix="rescue")
    update = ImpactUpdate.objects.create(
        title="Aftercare news", body="x", audience=ImpactUpdate.Audience.FUND, fund=funds["aftercare"]
    )

    send(update, django_capture_on_commit_callbacks)

    assert recipients(mailoutbox) == ["aftercare0@example.org", "aftercare1@example.org"]


def test_an_update_for_a_campaign_reaches_only_its_donors(
    campaign, funds, mailoutbox, django_capture_on_commit_callbacks
):
    other = CampaignFactory()
    donors_who_gave(1, campaign=campaign, fund=funds["rescue"], prefix="here")
    donors_who_gave(1, campaign=other, fund=funds["rescue"], prefix="elsewhere")
    update = ImpactUpdate.objects.create(
        title="Campaign news", body="x", audience=ImpactUpdate.Audience.CAMPAIGN, campaign=campaign
    )

    send(update, django_capture_on_commit_callbacks)

    assert recipients(mailoutbox) == ["here0@example.org"]


def test_a_donor_unsubscribed_after_the_update_was_queued_is_skipped(
    campaign, funds, mailoutbox, django_capture_on_commit_callbacks
):
    [_donor] = donors_who_gave(1, campaign=campaign, fund=funds["rescue"])
    update = ImpactUpdate.objects.create(title="News", body="x")
    with django_capture_on_commit_callbacks(execute=False):
        impact_updates.start_sending_update(update_id=update.pk)
    with django_capture_on_commit_callbacks(execute=False) as sends:
        impact_updates.queue_update_batch(update_id=update.pk, after_donor_id=0)
    delivery = UpdateDelivery.objects.get()
    suppression.unsubscribe(token=delivery.unsubscribe_token)

    for queued_send in sends:
        queued_send()

    delivery.refresh_from_db()
    assert delivery.status == UpdateDelivery.Status.SKIPPED
    assert mailoutbox == []


def test_receipts_still_reach_a_suppressed_address(make_gift, mailoutbox):
    suppression.suppress(email="ada@example.org", reason=EmailSuppression.Reason.UNSUBSCRIBED)

    make_gift()

    assert [message.to for message in mailoutbox] == [["ada@example.org"]]


def test_every_update_carries_one_click_unsubscribe_headers_and_a_visible_link(
    settings, campaign, funds, mailoutbox, django_capture_on_commit_callbacks, client
):
    settings.SITE_URL = "https://give.freedomnow.example"
    [donor] = donors_who_gave(1, campaign=campaign, fund=funds["rescue"])
    update = ImpactUpdate.objects.create(title="Spring <news>", body="First paragraph.\n\nSecond & last.")

    send(update, django_capture_on_commit_callbacks)

    [message] = mailoutbox
    delivery = UpdateDelivery.objects.get()
    link = f"https://give.freedomnow.example/unsubscribe/{delivery.unsubscribe_token}/"
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["Message-ID"] == f"<update-{update.pk}-{donor.pk}@give.freedomnow.example>"
    html = message.alternatives[0][0]
    assert link in message.body and f'href="{link}"' in html
    assert "<p>First paragraph.</p>" in html and "Second &amp; last." in html
    assert "Spring &lt;news&gt;" in html
    assert client.get(link.removeprefix("https://give.freedomnow.example")).status_code == 200


def test_the_updates_image_travels_inline_with_its_description(
    campaign, funds, mailoutbox, django_capture_on_commit_callbacks
):
    donors_who_gave(1, campaign=campaign, fund=funds["rescue"])
    update = ImpactUpdate.objects.create(
        title="A new home", body="x", image=SimpleUploadedFile("house.png", png()), image_alt="The new safe house"
    )

    send(update, django_capture_on_commit_callbacks)

    [message] = mailoutbox
    [content_id] = re.findall(r'<img src="cid:([^"]+)" alt="The new safe house"', message.alternatives[0][0])
    [image] = message.attachments
    assert image["Content-ID"] == f"<{content_id}>"
    assert image.get_payload(decode=True) == png()
