"""Staff write an impact update in the admin, preview it, send a test to
themselves, then send it."""

import pytest

from receipts.models import ImpactUpdate, UpdateDelivery
from tests.auth import log_in
from tests.receipts.audience import donors_who_gave

pytestmark = pytest.mark.django_db

ADD = "/admin/receipts/impactupdate/add/"


def form(**fields) -> dict:
    return {
        "title": "Aftercare in spring",
        "body": "Twelve women <moved> into safe homes.",
        "image_alt": "",
        "audience": "all",
        "fund": "",
        "campaign": "",
        **fields,
    }


def test_staff_write_an_update_for_a_funds_donors(admin_client, funds):
    response = admin_client.post(ADD, form(audience="fund", fund=funds["aftercare"].pk))

    assert response.status_code == 302
    update = ImpactUpdate.objects.get()
    assert (update.fund, update.status, update.created_by.username) == (funds["aftercare"], "draft", "admin")


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        ({"audience": "fund"}, "fund", "Choose the fund whose donors should get this update."),
        ({"audience": "campaign"}, "campaign", "Choose the campaign whose donors should get this update."),
    ],
)
def test_an_audience_without_its_fund_or_campaign_is_a_form_error(admin_client, funds, fields, field, error):
    response = admin_client.post(ADD, form(**fields))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [error]
    assert not ImpactUpdate.objects.exists()


def test_a_fund_chosen_for_everyone_is_a_form_error(admin_client, funds):
    response = admin_client.post(ADD, form(fund=funds["rescue"].pk))

    assert "Leave this empty unless" in response.context["adminform"].form.errors["fund"][0]


@pytest.fixture
def update(db):
    return ImpactUpdate.objects.create(title="Aftercare in spring", body="Twelve women <moved> into safe homes.")


def test_the_preview_shows_the_email_as_donors_will_see_it_escaped(admin_client, update):
    response = admin_client.get(f"/admin/receipts/impactupdate/{update.pk}/preview/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Subject: Aftercare in spring" in page
    # The HTML sits, escaped, in a sandboxed iframe's srcdoc; the text in a <pre>.
    assert "Twelve women &amp;lt;moved&amp;gt; into safe homes." in page
    assert "Twelve women &lt;moved&gt; into safe homes." in page
    assert "<moved>" not in page


def test_a_test_goes_to_the_member_of_staff_only(admin_client, update, campaign, funds, mailoutbox):
    donors_who_gave(2, campaign=campaign, fund=funds["rescue"])

    response = admin_client.post(f"/admin/receipts/impactupdate/{update.pk}/send-test/", follow=True)

    assert "A test email is on its way to admin@example.com." in response.content.decode()
    assert [message.to for message in mailoutbox] == [["admin@example.com"]]
    assert mailoutbox[0].subject == "Aftercare in spring"
    assert not UpdateDelivery.objects.exists()
    update.refresh_from_db()
    assert update.status == ImpactUpdate.Status.DRAFT


def test_sending_from_the_admin_reaches_the_audience_and_freezes_the_update(
    admin_client, update, campaign, funds, mailoutbox, django_capture_on_commit_callbacks
):
    donors_who_gave(2, campaign=campaign, fund=funds["rescue"])
    assert admin_client.get(f"/admin/receipts/impactupdate/{update.pk}/send/").status_code == 405

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/receipts/impactupdate/{update.pk}/send/", follow=True)

    assert "is being sent" in response.content.decode()
    assert len(mailoutbox) == 2
    change_page = admin_client.get(f"/admin/receipts/impactupdate/{update.pk}/change/").content.decode()
    assert 'name="title"' not in change_page  # read-only once sent
    assert "sent: 2" in change_page


def test_staff_without_permission_cannot_send(client, update, django_user_model):
    staff = django_user_model.objects.create_user("clerk", "clerk@example.org", "pw", is_staff=True)
    log_in(client, staff)

    assert client.post(f"/admin/receipts/impactupdate/{update.pk}/send/").status_code == 403
    assert client.get(f"/admin/receipts/impactupdate/{update.pk}/preview/").status_code == 403


def test_a_send_that_stalled_can_be_resumed_without_sending_anyone_twice(
    admin_client, update, campaign, funds, mailoutbox, django_capture_on_commit_callbacks
):
    donors_who_gave(2, campaign=campaign, fund=funds["rescue"])
    with django_capture_on_commit_callbacks(execute=False):
        admin_client.post(f"/admin/receipts/impactupdate/{update.pk}/send/")  # the broker lost the fan-out
    assert "Resume sending" in admin_client.get(f"/admin/receipts/impactupdate/{update.pk}/preview/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/receipts/impactupdate/{update.pk}/send/")
        admin_client.post(f"/admin/receipts/impactupdate/{update.pk}/send/")

    assert len(mailoutbox) == 2
    assert (
        "Resume sending" not in admin_client.get(f"/admin/receipts/impactupdate/{update.pk}/preview/").content.decode()
    )
