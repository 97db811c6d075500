"""Who reaches which finance page and admin import/export action.

One row per URL and method, one expected outcome per person. To cover a
new finance page or admin action, add a Case to CASES (usually with one of
the outcome rows below): every person is then checked against it, and the
captain's check runs over it too."""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.urls import NoReverseMatch, reverse

from finance.models import GiftImport, Payout
from finance.services.permissions import FINANCE_GROUP
from tests import factories
from tests.auth import log_in

pytestmark = pytest.mark.django_db

PEOPLE = ("visitor", "donor", "captain", "staff", "finance", "superuser")

# Outcomes. Status codes are expected as they are; the others are redirects.
OK, FORBIDDEN = 200, 403
FILE = "file"  # 200 with an attachment
LOGIN = "login"  # 302 to the site's login page
ADMIN_LOGIN = "admin login"  # 302 to the admin's login page
# The admin has no such page: it reads the path as an object's id and
# redirects to that object's change page (before any permission check).
NO_SUCH_PAGE = "no such admin page"

# Outcome rows, in PEOPLE's order.
FINANCE_PAGE = (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK)
FINANCE_PAGE_FILE = (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FILE, FILE)
FINANCE_FORM_REFUSED = (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, 400, 400)
FINANCE_ADMIN = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, FORBIDDEN, OK, OK)
FINANCE_ADMIN_FILE = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, FORBIDDEN, FILE, FILE)
NO_ADMIN_IMPORT = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, NO_SUCH_PAGE, NO_SUCH_PAGE, NO_SUCH_PAGE)


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    expected: tuple
    method: str = "get"
    data: dict | None = None


IMPORT_ID = "0b7d7c3e-5f1a-4c2e-9a61-3d0c2f1e7a10"
PAYOUT_ID = "po_matrix"


def _csv_export(resource: str, column: str) -> dict:
    return {"format": "0", "resource": "0", f"{resource}_{column}": "on"}


CASES = [
    Case("finance overview", "/finance/", FINANCE_PAGE),
    Case("finance overview, a period", "/finance/?from=2026-01-01&to=2026-03-31", FINANCE_PAGE),
    Case("donation export form", "/admin/donations/donation/export/", FINANCE_ADMIN),
    Case(
        "donation export",
        "/admin/donations/donation/export/?status__exact=succeeded",
        FINANCE_ADMIN_FILE,
        "post",
        _csv_export("donationresource", "public_id"),
    ),
    Case("donation import (none)", "/admin/donations/donation/import/", NO_ADMIN_IMPORT),
    Case("donor export form", "/admin/donations/donor/export/", FINANCE_ADMIN),
    Case(
        "donor export",
        "/admin/donations/donor/export/",
        FINANCE_ADMIN_FILE,
        "post",
        _csv_export("donorresource", "email"),
    ),
    Case("donor import form", "/admin/donations/donor/import/", FINANCE_ADMIN),
    Case("donor import confirm", "/admin/donations/donor/process_import/", FINANCE_ADMIN, "post", {}),
    Case("receipt export form", "/admin/receipts/receipt/export/", FINANCE_ADMIN),
    Case(
        "receipt export",
        "/admin/receipts/receipt/export/",
        FINANCE_ADMIN_FILE,
        "post",
        _csv_export("receiptresource", "number"),
    ),
    Case("receipt import (none)", "/admin/receipts/receipt/import/", NO_ADMIN_IMPORT),
    Case("refund export form", "/admin/donations/refund/export/", FINANCE_ADMIN),
    Case(
        "refund export",
        "/admin/donations/refund/export/",
        FINANCE_ADMIN_FILE,
        "post",
        _csv_export("refundresource", "amount"),
    ),
    Case("refund import (none)", "/admin/donations/refund/import/", NO_ADMIN_IMPORT),
    Case("audit log", "/admin/finance/auditlogentry/", FINANCE_ADMIN),
    Case("gift imports", "/admin/finance/giftimport/", FINANCE_ADMIN),
    Case("offline gifts", "/admin/finance/offlinegift/", FINANCE_ADMIN),
    Case("gift export form", "/finance/export/", FINANCE_PAGE),
    Case("gift export, CSV", "/finance/export/?download=csv&campaign=dressember-2026", FINANCE_PAGE_FILE),
    Case("gift export, XLSX", "/finance/export/?download=xlsx", FINANCE_PAGE_FILE),
    Case("gift export, a bad date", "/finance/export/?download=csv&since=2026-13-01", FINANCE_FORM_REFUSED),
    Case("offline gift imports", "/finance/imports/", FINANCE_PAGE),
    Case("offline gift upload without a file", "/finance/imports/", FINANCE_FORM_REFUSED, "post", {}),
    Case("offline gift example file", "/finance/imports/example.csv", FINANCE_PAGE_FILE),
    Case("offline gift import", f"/finance/imports/{IMPORT_ID}/", FINANCE_PAGE),
    Case("offline gift import progress", f"/finance/imports/{IMPORT_ID}/status/", FINANCE_PAGE),
    Case("payouts", "/finance/payouts/", FINANCE_PAGE),
    Case("payout report", f"/finance/payouts/{PAYOUT_ID}/", FINANCE_PAGE),
    Case("payouts in the admin", "/admin/finance/payout/", FINANCE_ADMIN),
]


@pytest.fixture(autouse=True)
def finance_records():
    """The import and the payout whose pages the cases open."""
    GiftImport.objects.create(public_id=IMPORT_ID, file_name="gifts.csv", content="", status="rejected")
    Payout.objects.create(
        stripe_payout_id=PAYOUT_ID,
        amount_minor=0,
        currency="usd",
        status="paid",
        arrival_date="2026-11-02",
        created_at="2026-11-01T00:00:00Z",
    )


@pytest.fixture
def person(request, team):
    """A logged-in client for a person of PEOPLE (none for the visitor)."""

    def login(kind: str, client):
        if kind == "visitor":
            return client
        user = factories.UserFactory(
            is_staff=kind in ("staff", "finance", "superuser"), is_superuser=kind == "superuser"
        )
        if kind == "finance":
            user.groups.add(Group.objects.get(name=FINANCE_GROUP))
        if kind == "captain":
            team.captains.add(user)
        log_in(client, user)
        return client

    return login


def _request(client, case: Case):
    if case.method == "post":
        return client.post(case.path, case.data)
    return client.get(case.path)


def _outcome(response):
    if response.status_code == 200 and response.get("Content-Disposition", "").startswith("attachment"):
        return FILE
    if response.status_code != 302:
        return response.status_code
    location = response["Location"]
    if location.startswith(reverse("admin:login")):
        return ADMIN_LOGIN
    if location.startswith(reverse("login")):
        return LOGIN
    if location == response.request["PATH_INFO"] + "change/":
        return NO_SUCH_PAGE
    return f"302 to {location}"


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_permission_matrix(client, person, case, who):
    response = _request(person(who, client), case)

    assert _outcome(response) == case.expected[PEOPLE.index(who)]


def test_a_team_captain_reaches_no_finance_page_or_admin_action(client, person):
    captain = person("captain", client)

    reached = [case.name for case in CASES if _outcome(_request(captain, case)) in (OK, FILE)]

    assert reached == []


@pytest.mark.parametrize("model", ["donations_donation", "donations_refund", "receipts_receipt"])
def test_gifts_refunds_and_receipts_have_no_admin_import(model):
    # Rows written through the admin would bypass the ledger and its totals.
    for view in ("import", "process_import"):
        with pytest.raises(NoReverseMatch):
            reverse(f"admin:{model}_{view}")
