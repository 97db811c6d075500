"""The portal's email preferences: impact updates about every fund, only
about the funds the donor chooses, or none; each choice recorded with the
words shown; only ever the signed-in donor's; an unsubscribe (and only an
unsubscribe) lifted when they turn updates back on."""

import pytest

from donations import update_consent
from donations.models import Donor, UpdateConsent
from receipts.models import EmailSuppression
from tests.auth import sign_in_donor
from tests.factories import DonorFactory, FundFactory

pytestmark = pytest.mark.django_db

URL = "/donor/preferences/"


@pytest.fixture
def ada(client):
    donor = DonorFactory(email="ada@example.org")
    sign_in_donor(client, donor)
    return donor


def test_the_page_shows_the_donors_choice_and_says_receipts_are_not_affected(client, ada, funds):
    ada.update_funds.set([funds["rescue"]])

    page = client.get(URL)

    html = page.content.decode()
    assert page.status_code == 200
    assert update_consent.PORTAL_ALL in html and update_consent.PORTAL_CHOSEN in html
    assert "Receipts and year-end statements for your gifts are always sent" in html
    assert 'aria-current="page"' in html and "Email preferences" in html
    assert page.context["form"].initial["updates"] == "chosen"


def test_choosing_funds_saves_them_and_records_the_words_shown(client, ada, funds):
    response = client.post(URL, {"updates": "chosen", "funds": [funds["rescue"].pk, funds["aftercare"].pk]})

    assert response.status_code == 302 and response["Location"] == URL
    ada.refresh_from_db()
    assert ada.wants_updates is True
    assert set(ada.update_funds.values_list("slug", flat=True)) == {"rescue", "aftercare"}
    consent = UpdateConsent.objects.get()
    assert (consent.donor, consent.source, consent.wants_updates) == (ada, "portal", True)
    assert consent.fund_slugs == ["aftercare", "rescue"]
    assert consent.wording == f"{update_consent.PORTAL_CHOSEN}: Aftercare, Rescue"


def test_every_fund_clears_the_chosen_funds(client, ada, funds):
    ada.update_funds.set([funds["rescue"]])

    client.post(URL, {"updates": "all"})

    assert not ada.update_funds.exists()
    assert UpdateConsent.objects.get().wording == update_consent.PORTAL_ALL


def test_none_turns_updates_off_and_records_a_no(client, ada):
    client.post(URL, {"updates": "none"})

    assert Donor.objects.get(pk=ada.pk).wants_updates is False
    consent = UpdateConsent.objects.get()
    assert (consent.wants_updates, consent.wording) == (False, update_consent.PORTAL_NONE)


def test_only_the_funds_i_choose_without_a_fund_is_refused_and_changes_nothing(client, ada, funds):
    response = client.post(URL, {"updates": "chosen"})

    assert response.status_code == 400
    assert "Choose at least one fund" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not UpdateConsent.objects.exists()


def test_an_inactive_or_unknown_fund_is_refused(client, ada):
    closed = FundFactory(slug="closed", is_active=False)

    response = client.post(URL, {"updates": "chosen", "funds": [closed.pk]})

    assert response.status_code == 400
    assert not ada.update_funds.exists() and not UpdateConsent.objects.exists()


def test_saving_changes_only_the_signed_in_donor(client, ada, funds):
    other = DonorFactory(email="bob@example.org")

    client.post(URL, {"updates": "none", "donor": other.pk, "email": other.email})

    other.refresh_from_db()
    assert other.wants_updates is True
    assert not UpdateConsent.objects.filter(donor=other).exists()
    assert Donor.objects.get(pk=ada.pk).wants_updates is False


def test_turning_updates_back_on_lifts_an_unsubscribe(client, ada):
    Donor.objects.filter(pk=ada.pk).update(wants_updates=False)
    EmailSuppression.objects.create(email="ada@example.org", reason=EmailSuppression.Reason.UNSUBSCRIBED)

    assert client.get(URL).context["form"].initial["updates"] == "none"
    client.post(URL, {"updates": "all"})

    assert not EmailSuppression.objects.exists()
    assert Donor.objects.get(pk=ada.pk).wants_updates is True


def test_an_unsubscribe_from_before_the_portal_shows_as_none(client, ada):
    EmailSuppression.objects.create(email="ada@example.org", reason=EmailSuppression.Reason.UNSUBSCRIBED)

    assert client.get(URL).context["form"].initial["updates"] == "none"


@pytest.mark.parametrize("reason", ["bounced", "complained", "rejected"])
def test_turning_updates_on_never_lifts_a_bounce_or_a_complaint_and_the_page_says_so(client, ada, reason):
    EmailSuppression.objects.create(email="ada@example.org", reason=reason)

    assert "We cannot send updates to ada@example.org" in client.get(URL).content.decode()
    client.post(URL, {"updates": "all"})

    assert EmailSuppression.objects.get().reason == reason


def test_turning_updates_on_keeps_another_addresss_unsubscribe(client, ada):
    EmailSuppression.objects.create(email="bob@example.org", reason=EmailSuppression.Reason.UNSUBSCRIBED)

    client.post(URL, {"updates": "all"})

    assert EmailSuppression.objects.filter(email="bob@example.org").exists()
