"""The Donor admin's data-rights actions, for finance staff: download the
donor's data (JSON, recorded with who), and erase the donor after a page
that asks why (POST to confirm), which closes their open request."""

import json

import pytest
from django.contrib.auth.models import Permission

from donations.models import Donor
from privacy.models import DataExport, DataRequest, Erasure
from tests import factories
from tests.auth import log_in
from tests.privacy.conftest import MARIGOLD, ZEB, claim_gift_aid_on_first_gift

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/donations/donor/"


@pytest.fixture
def finance_client(client, finance_user):
    return log_in(client, finance_user)


def run(client, action: str, donor, **data):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [donor.pk], **data})


def test_finance_downloads_the_donors_data_as_json_and_it_is_recorded(world, finance_client, finance_user):
    response = run(finance_client, "download_donor_data", world.zeb)

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="donor-{world.zeb.pk}-data.json"'
    text = response.content.decode()
    assert json.loads(text)["donor"]["email"] == ZEB["email"] and MARIGOLD["email"] not in text
    entry = DataExport.objects.get()
    assert (entry.channel, entry.user, entry.actor) == ("admin", finance_user, finance_user.username)


def test_the_erase_action_first_asks_for_the_reason_and_erases_nothing(world, finance_client):
    response = run(finance_client, "erase_donors", world.zeb)

    assert response.status_code == 200
    assert "privacy/admin/erase_confirmation.html" in response.template_name
    page = response.content.decode()
    assert 'name="reason"' in page and ZEB["email"] in page
    assert Donor.objects.get(pk=world.zeb.pk).erased_at is None


def test_confirming_with_a_reason_erases_the_donor_and_closes_their_request(world, finance_client, finance_user):
    request = DataRequest.objects.create(donor=world.zeb)

    response = run(finance_client, "erase_donors", world.zeb, confirm="Erase", reason="Their request of 4 Dec")

    assert response.status_code == 302
    erasure = Erasure.objects.get()
    assert (erasure.donor_id, erasure.user, erasure.channel, erasure.reason) == (
        world.zeb.pk,
        finance_user,
        "admin",
        "Their request of 4 Dec",
    )
    request.refresh_from_db()
    assert (request.status, request.handled_by) == ("done", finance_user)
    assert Donor.objects.get(pk=world.marigold.pk).erased_at is None


def test_confirming_without_a_reason_is_refused_and_erases_nothing(world, finance_client):
    response = run(finance_client, "erase_donors", world.zeb, confirm="Erase", reason="  ")

    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Erasure.objects.exists()


def test_erasing_an_erased_donor_again_says_so(world, finance_client):
    run(finance_client, "erase_donors", world.zeb, confirm="Erase", reason="Asked")

    response = run(finance_client, "erase_donors", world.zeb, confirm="Erase", reason="Asked again")

    assert response.status_code == 302
    assert Erasure.objects.count() == 1


def test_staff_without_the_permission_cannot_run_either_action(world, client):
    clerk = factories.UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_donor"))
    staff = log_in(client, clerk)

    for action in ("download_donor_data", "erase_donors"):
        response = run(staff, action, world.zeb, confirm="Erase", reason="x")
        assert response.status_code == 200 and "attachment" not in response.get("Content-Disposition", "")
    assert not DataExport.objects.exists() and not Erasure.objects.exists()


def test_finance_declines_an_open_request_and_the_donor_is_not_erased(world, finance_client, finance_user):
    request = DataRequest.objects.create(donor=world.zeb)

    response = finance_client.post(
        "/admin/privacy/datarequest/", {"action": "decline_requests", "_selected_action": [request.pk]}
    )

    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.handled_by) == ("declined", finance_user)
    assert Donor.objects.get(pk=world.zeb.pk).erased_at is None


def test_the_erase_page_warns_until_when_hmrc_may_ask_for_a_claimed_declaration(world, finance_client):
    claim_gift_aid_on_first_gift(world.zeb, on="2026-11-20")

    page = run(finance_client, "erase_donors", world.zeb).content.decode()

    assert "Gift Aid was claimed" in page and "until 20 November 2032" in page


def test_the_erase_page_gives_no_gift_aid_warning_when_nothing_was_claimed(world, finance_client):
    page = run(finance_client, "erase_donors", world.zeb).content.decode()

    assert "Gift Aid was claimed" not in page
