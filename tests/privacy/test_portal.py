"""/donor/my-data/: the signed-in donor downloads their own data (only
theirs, recorded) and asks for erasure (one open request at a time,
confirmed by email; staff erase with the admin action, which closes it)."""

import json
import time

import pytest
from django.core import mail

from donors.session import SESSION_KEY
from privacy.models import DataExport, DataRequest
from tests.privacy.conftest import MARIGOLD, MARIGOLD_DETAILS, ZEB

pytestmark = pytest.mark.django_db

URL = "/donor/my-data/"


@pytest.fixture
def signed_in(client):
    def sign_in(donor):
        session = client.session
        session[SESSION_KEY] = {"donor": donor.pk, "seen": int(time.time())}
        session.save()
        return client

    return sign_in


def test_the_page_is_the_portals_your_data_section(world, signed_in):
    response = signed_in(world.zeb).get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'aria-current="page">Your data</a>' in page
    assert "Download my data" in page and "Ask to erase my data" in page


def test_the_download_is_the_signed_in_donors_data_only_and_is_recorded(world, signed_in):
    response = signed_in(world.zeb).post(URL, {"download": "1"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    text = response.content.decode()
    assert json.loads(text)["donor"]["email"] == ZEB["email"]
    for needle in MARIGOLD_DETAILS:
        assert needle not in text
    assert all(str(gift.public_id) not in text for gift in world.marigold_gifts)
    entry = DataExport.objects.get()
    assert (entry.donor_id, entry.channel, entry.actor) == (world.zeb.pk, "portal", "the donor")


def test_the_other_donor_downloads_theirs_not_zebs(world, signed_in):
    text = signed_in(world.marigold).post(URL, {"download": "1"}).content.decode()

    assert json.loads(text)["donor"]["email"] == MARIGOLD["email"]
    assert ZEB["email"] not in text and "Zebulon" not in text


def test_asking_for_erasure_records_an_open_request_and_emails_the_donor(
    world, signed_in, django_capture_on_commit_callbacks
):
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.zeb).post(URL, {"request_erasure": "1"})

    assert response.status_code == 302 and response["Location"] == URL
    request = DataRequest.objects.get()
    assert (request.donor_id, request.kind, request.status) == (world.zeb.pk, "erasure", "open")
    [email] = mail.outbox
    assert email.to == [ZEB["email"]] and "erase" in email.subject
    assert DataRequest.objects.get().confirmation_sent_at is not None
    page = signed_in(world.zeb).get(URL).content.decode()
    assert "we are reviewing your request" in page and "Ask to erase my data" not in page


def test_a_second_erasure_request_while_one_is_open_is_refused_with_a_message(
    world, signed_in, django_capture_on_commit_callbacks
):
    client = signed_in(world.zeb)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"request_erasure": "1"})
    mail.outbox = []

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"request_erasure": "1"})

    assert response.status_code == 400
    assert "You already asked us to erase your data" in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert DataRequest.objects.count() == 1 and mail.outbox == []


def test_a_declined_request_lets_the_donor_ask_again(world, signed_in, django_capture_on_commit_callbacks):
    client = signed_in(world.zeb)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"request_erasure": "1"})
    DataRequest.objects.update(status=DataRequest.Status.DECLINED)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"request_erasure": "1"})

    assert response.status_code == 302
    assert DataRequest.objects.filter(status="open").count() == 1


def test_a_post_that_asks_for_nothing_is_a_400(world, signed_in):
    assert signed_in(world.zeb).post(URL, {}).status_code == 400
