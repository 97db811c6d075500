"""Who gets what: every URL of the project and every admin action, for
every kind of person, with the answer each must get.

The people (ROLES): a visitor; a donor holding their signed links (the
monthly-plan link, a receipt's PDF link, an update's unsubscribe link, a
sign-in link), signed in to the donor portal and with no account; a
fundraiser who owns a page on the captain's team; the captain of another
team; the team's captain; staff with no permissions;
finance staff (the Finance group); a superuser. Only the donor holds the
donor's links: everyone else tries them with a link that is not theirs.

SITE lists the site's URLs, ADMIN_MODELS who may see, add and delete each
model in the admin (which gives its pages and its delete action),
INLINE_MODELS who may edit each model only found as an inline on another's
page, ADMIN_PAGES the admin's other pages and ADMIN_ACTIONS its other
actions.
A URL pattern or admin action that none of them lists fails
test_the_matrix_lists_every_url_pattern / ..._every_admin_action, so the
matrix stays complete: add the new row with the answer each person must
get.

Staff, finance and superusers are logged in with their second factor
(tests.auth.log_in): they reach the admin and finance pages as their
permissions say. The data is built once for the module (in a transaction
rolled back at its end); each cell runs in its own savepoint."""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core import mail
from django.db import transaction
from django.forms.models import _get_foreign_key
from django.test import Client, TestCase
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaigns.models import AmountPreset, Campaign, CampaignUpdate, PrivacyNotice, ReceiptingEntity, TeamInvite
from campaigns.selectors import hash_invite_token
from donations.models import Dispute, GiftMove, GivingTotal, Refund, StripeEvent
from donations.selectors import gift_aid_cancel_url, plan_management_url
from donors.models import SignInLink
from donors.services import sign_in
from finance.models import AuditLogEntry, GiftAidClaim, GiftAidClaimLine, GiftImport, OfflineGift, Payout
from finance.services.permissions import FINANCE_GROUP
from payments import stripe as stripe_gateway
from privacy.models import DataExport, DataRequest, Erasure
from receipts.models import (
    CampaignBenefit,
    DedicationCard,
    EmailSuppression,
    GiftNotice,
    ImpactUpdate,
    MoveNotice,
    ProviderEvent,
    ThankYouNote,
    UpdateDelivery,
    VoidNotice,
    YearEndStatement,
)
from tests import factories
from tests.auth import log_in, sign_in_donor
from tests.fakes.stripe import FakeStripe

ROLES = ("anonymous", "donor", "fundraiser", "other-captain", "captain", "staff", "finance", "superuser")
STAFF_ROLES = ("staff", "finance", "superuser")

# --- Answers ----------------------------------------------------------------
OK, BAD_REQUEST, FORBIDDEN, NOT_FOUND = 200, 400, 403, 404
LOGIN = "redirect to login"  # to the site's login page, back here after
ADMIN_LOGIN = "redirect to admin login"
REDIRECT = "redirect"  # anywhere else: done, or on to the next page
FILE = "file"  # 200 with an attachment
# Admin actions (a POST to the changelist with one row selected):
RUNS = "runs"  # the action ran (or, for a delete, asked to confirm)
REFUSED = "refused"  # the list answered, the action did not run


def answers(default, **by_role) -> dict:
    """Every role's answer: `default` unless named (other_captain for
    other-captain)."""
    named = {role.replace("_", "-"): answer for role, answer in by_role.items()}
    assert set(named) <= set(ROLES), set(named) - set(ROLES)
    return {role: named.get(role, default) for role in ROLES}


EVERYONE_OK = answers(OK)
# Logged-in pages of the site: visitors and the donor (no account) log in.
ACCOUNT = answers(OK, anonymous=LOGIN, donor=LOGIN)
TEAM_DASHBOARD = answers(FORBIDDEN, anonymous=LOGIN, donor=LOGIN, captain=OK)
TEAM_FORM = answers(FORBIDDEN, anonymous=LOGIN, donor=LOGIN, captain=BAD_REQUEST)
PAGE_DASHBOARD = answers(FORBIDDEN, anonymous=LOGIN, donor=LOGIN, fundraiser=OK)
PAGE_FORM = answers(FORBIDDEN, anonymous=LOGIN, donor=LOGIN, fundraiser=BAD_REQUEST)
FINANCE_PAGE = answers(FORBIDDEN, anonymous=LOGIN, donor=LOGIN, finance=OK, superuser=OK)
DONOR_LINK = answers(NOT_FOUND, donor=OK)
UNAUTHORIZED = 401
# The donor portal: the donor is signed in to it (tests.auth.sign_in_donor),
# everyone else is sent to its sign-in page (no account opens it).
SIGN_IN = "redirect to the donor's sign-in"
PORTAL_PAGE = answers(SIGN_IN, donor=OK)
PORTAL_FORM = answers(SIGN_IN, donor=BAD_REQUEST)


@dataclass(frozen=True)
class Row:
    pattern: str  # the route as get_resolver() spells it
    method: str
    expected: dict
    path: str = ""  # to request, with {placeholders} from the data; the pattern if empty
    data: dict = field(default_factory=dict)


TEAM = "campaigns/<slug:campaign_slug>/teams/<slug:slug>/"
PAGE = "campaigns/<slug:campaign_slug>/fundraisers/<slug:slug>/"
TEAM_AT = "/campaigns/dressember-2026/teams/freedom-threads/"
PAGE_AT = "/campaigns/dressember-2026/fundraisers/ada-lee/"

SITE = [
    Row("healthz", "GET", EVERYONE_OK),
    Row("api/schema/", "GET", EVERYONE_OK),
    Row("", "GET", EVERYONE_OK, "/"),
    Row("privacy/", "GET", EVERYONE_OK),
    Row("campaigns/<slug:slug>/", "GET", EVERYONE_OK, "/campaigns/dressember-2026/"),
    Row("api/campaigns/<slug:slug>/", "GET", EVERYONE_OK, "/api/campaigns/dressember-2026/"),
    Row(TEAM, "GET", EVERYONE_OK, TEAM_AT),
    Row(PAGE, "GET", EVERYONE_OK, PAGE_AT),
    # Gifts and Stripe: no session opens or closes anything.
    Row("api/donations/", "POST", answers(BAD_REQUEST)),
    Row("api/donations/<str:public_id>/", "GET", EVERYONE_OK, "/api/donations/{gift_id}/"),
    # A SetupIntent only for a gift that passed validation.
    Row("api/setup-intents/", "POST", answers(BAD_REQUEST)),
    Row("api/fee-cover/", "GET", EVERYONE_OK, "/api/fee-cover/?amount_minor=5000&currency=usd"),
    Row("stripe/webhook/", "POST", answers(BAD_REQUEST)),
    # The donor's links.
    Row("monthly/<str:token>/", "GET", DONOR_LINK, "/monthly/{plan_token}/"),
    Row("monthly/<str:token>/", "POST", answers(NOT_FOUND, donor=BAD_REQUEST), "/monthly/{plan_token}/"),
    Row("receipts/<str:token>/pdf/", "GET", DONOR_LINK, "/receipts/{receipt_token}/pdf/"),
    # The donor's monthly gift in their portal (a POST naming no change is 400).
    Row("donor/plans/<uuid:public_id>/", "GET", PORTAL_PAGE, "/donor/plans/{plan_id}/"),
    Row("donor/plans/<uuid:public_id>/", "POST", PORTAL_FORM, "/donor/plans/{plan_id}/"),
    # The matrix's plan has no Stripe customer yet: nothing to change the card of.
    Row(
        "donor/plans/<uuid:public_id>/card-setup/",
        "POST",
        answers(UNAUTHORIZED, donor=BAD_REQUEST),
        "/donor/plans/{plan_id}/card-setup/",
    ),
    # The donor's link to cancel their Gift Aid declaration: asks, then cancels.
    Row("gift-aid/cancel/<str:token>/", "GET", DONOR_LINK, "/gift-aid/cancel/{gift_aid_token}/"),
    Row(
        "gift-aid/cancel/<str:token>/",
        "POST",
        answers(NOT_FOUND, donor=REDIRECT),
        "/gift-aid/cancel/{gift_aid_token}/",
    ),
    Row("unsubscribe/<str:token>/", "GET", DONOR_LINK, "/unsubscribe/{unsubscribe_token}/"),
    Row("unsubscribe/<str:token>/", "POST", DONOR_LINK, "/unsubscribe/{unsubscribe_token}/"),
    # The donor portal. Asking for a sign-in link: anyone (no address given: 400).
    Row("donor/sign-in/", "GET", EVERYONE_OK),
    Row("donor/sign-in/", "POST", answers(BAD_REQUEST)),
    Row("api/donor-sign-in/", "POST", answers(BAD_REQUEST)),
    # The donor's sign-in link signs them in; anyone else's try is a forgery.
    Row("donor/sign-in/<str:token>/", "GET", answers(NOT_FOUND, donor=REDIRECT), "/donor/sign-in/{sign_in_token}/"),
    Row("donor/sign-out/", "POST", answers(SIGN_IN)),
    Row("donor/", "GET", PORTAL_PAGE),
    # A receipt of the donor's own gift, by its number.
    Row("donor/receipts/<str:number>/pdf/", "GET", PORTAL_PAGE, "/donor/receipts/{receipt_number}/pdf/"),
    Row("api/donors/me/", "GET", answers(UNAUTHORIZED, donor=OK)),
    # The donor portal's email preferences: the signed-in donor's own;
    # a save with no choice is refused.
    Row("donor/preferences/", "GET", PORTAL_PAGE),
    Row("donor/preferences/", "POST", PORTAL_FORM),
    # Starting and joining pages. Someone with a page in the campaign is
    # shown it instead of a second one; joining needs a page first.
    Row(
        "campaigns/<slug:campaign_slug>/start/",
        "GET",
        answers(OK, anonymous=LOGIN, donor=LOGIN, fundraiser=REDIRECT),
        "/campaigns/dressember-2026/start/",
    ),
    Row("campaigns/<slug:campaign_slug>/new-team/", "GET", ACCOUNT, "/campaigns/dressember-2026/new-team/"),
    Row(
        "campaigns/<slug:campaign_slug>/new-team/",
        "POST",
        answers(BAD_REQUEST, anonymous=LOGIN, donor=LOGIN),
        "/campaigns/dressember-2026/new-team/",
        {"name": ""},
    ),
    Row(TEAM + "join/", "POST", answers(REDIRECT, anonymous=LOGIN, donor=LOGIN), TEAM_AT + "join/"),
    # An invite for someone else: anyone may read it; accepting it needs
    # an account with the invited address.
    Row("invites/<str:token>/", "GET", EVERYONE_OK, "/invites/{invite_token}/"),
    Row("invites/<str:token>/", "POST", answers(BAD_REQUEST, anonymous=LOGIN, donor=LOGIN), "/invites/{invite_token}/"),
    # Captains' and owners' dashboards: theirs alone, staff included.
    Row(TEAM + "manage/", "GET", TEAM_DASHBOARD, TEAM_AT + "manage/"),
    Row(TEAM + "manage/", "POST", TEAM_FORM, TEAM_AT + "manage/"),
    Row(TEAM + "manage/invite/", "POST", TEAM_FORM, TEAM_AT + "manage/invite/"),
    Row(TEAM + "manage/captains/", "POST", TEAM_FORM, TEAM_AT + "manage/captains/"),
    Row(TEAM + "manage/updates/", "POST", TEAM_FORM, TEAM_AT + "manage/updates/"),
    # A thank-you note with no words: the captain is told to write some.
    Row(TEAM + "manage/gifts/<int:gift_id>/thank/", "POST", TEAM_FORM, TEAM_AT + "manage/gifts/{donation_pk}/thank/"),
    Row(
        TEAM + "manage/members/<slug:fundraiser_slug>/remove/",
        "POST",
        answers(FORBIDDEN, anonymous=LOGIN, donor=LOGIN, captain=REDIRECT),
        TEAM_AT + "manage/members/ada-lee/remove/",
    ),
    Row(PAGE + "manage/", "GET", PAGE_DASHBOARD, PAGE_AT + "manage/"),
    Row(PAGE + "manage/", "POST", PAGE_FORM, PAGE_AT + "manage/"),
    Row(PAGE + "manage/updates/", "POST", PAGE_FORM, PAGE_AT + "manage/updates/"),
    Row(PAGE + "manage/gifts/<int:gift_id>/thank/", "POST", PAGE_FORM, PAGE_AT + "manage/gifts/{donation_pk}/thank/"),
    # Accounts.
    Row("accounts/", "GET", ACCOUNT),
    # Someone logged in already is sent on from signing up or in.
    Row("accounts/signup/", "GET", answers(REDIRECT, anonymous=OK, donor=OK)),
    Row("accounts/login/", "GET", answers(REDIRECT, anonymous=OK, donor=OK)),
    Row("accounts/logout/", "POST", answers(REDIRECT)),
    Row("accounts/password-reset/", "GET", EVERYONE_OK),
    Row("accounts/password-reset/sent/", "GET", EVERYONE_OK),
    Row("accounts/reset/<uidb64>/<token>/", "GET", EVERYONE_OK, "/accounts/reset/MQ/not-a-token/"),
    Row("accounts/reset/done/", "GET", EVERYONE_OK),
    Row("accounts/signup/sent/", "GET", EVERYONE_OK),
    # Confirming an email address: everyone here has, so is sent on.
    Row("accounts/verify/", "GET", answers(REDIRECT, anonymous=LOGIN, donor=LOGIN)),
    Row("accounts/verify/<str:token>/", "GET", EVERYONE_OK, "/accounts/verify/not-a-token/"),
    # The second factor: staff are verified already and sent on; anyone
    # else is never asked for it (sent on to set one up), but may.
    Row("accounts/two-factor/", "GET", answers(REDIRECT, anonymous=LOGIN, donor=LOGIN)),
    Row(
        "accounts/two-factor/setup/",
        "GET",
        answers(OK, anonymous=LOGIN, donor=LOGIN, **dict.fromkeys(STAFF_ROLES, REDIRECT)),
    ),
    Row(
        "accounts/two-factor/setup/",
        "POST",
        answers(BAD_REQUEST, anonymous=LOGIN, donor=LOGIN, **dict.fromkeys(STAFF_ROLES, REDIRECT)),
        data={"code": "not-a-code"},
    ),
    # Finance pages: the Finance group's permissions, or a superuser.
    Row("finance/", "GET", FINANCE_PAGE),
    Row("finance/imports/", "GET", FINANCE_PAGE),
    Row(
        "finance/imports/",
        "POST",
        answers(FORBIDDEN, anonymous=LOGIN, donor=LOGIN, finance=BAD_REQUEST, superuser=BAD_REQUEST),
    ),
    Row(
        "finance/imports/example.csv",
        "GET",
        answers(FORBIDDEN, anonymous=LOGIN, donor=LOGIN, finance=FILE, superuser=FILE),
    ),
    Row("finance/imports/<uuid:public_id>/", "GET", FINANCE_PAGE, "/finance/imports/{import_id}/"),
    Row("finance/imports/<uuid:public_id>/status/", "GET", FINANCE_PAGE, "/finance/imports/{import_id}/status/"),
    Row("finance/payouts/", "GET", FINANCE_PAGE),
    Row(
        "finance/payouts/fetch/",
        "POST",
        answers(FORBIDDEN, anonymous=LOGIN, donor=LOGIN, finance=REDIRECT, superuser=REDIRECT),
    ),
    Row("finance/payouts/<str:stripe_payout_id>/", "GET", FINANCE_PAGE, "/finance/payouts/po_matrix/"),
    Row("finance/export/", "GET", FINANCE_PAGE),
    Row("finance/moves/", "GET", FINANCE_PAGE),
    # The donor portal's Your data page: the signed-in donor downloads their
    # own data; everyone else is sent to the donor sign-in.
    Row("donor/my-data/", "GET", PORTAL_PAGE),
    Row("donor/my-data/", "POST", answers(SIGN_IN, donor=FILE), data={"download": "1"}),
]

# The email provider's webhooks (whichever are mounted) check their own
# secret, never a session: every person gets the visitor's answer.
ANYMAIL_PREFIX = "anymail/"

# --- The admin ----------------------------------------------------------------
NOBODY, SUPERUSER, FINANCE = frozenset(), frozenset({"superuser"}), frozenset({"finance", "superuser"})
ANY_STAFF = frozenset(STAFF_ROLES)


def in_admin(allowed: frozenset, *, yes=OK, no=FORBIDDEN) -> dict:
    """Staff in `allowed` get `yes`, other staff `no`; people who are not
    staff are sent to the admin's login."""
    return {role: (yes if role in allowed else no) if role in STAFF_ROLES else ADMIN_LOGIN for role in ROLES}


# Who may see, add and delete each model's rows (the delete column is also
# who may run its "delete selected" action). Read-only records (the ledger,
# its events and emails) are added and deleted by nobody.
ADMIN_MODELS = {
    # model: (see, add, delete)
    "auth.group": (SUPERUSER, SUPERUSER, SUPERUSER),
    "accounts.user": (SUPERUSER, SUPERUSER, SUPERUSER),
    "campaigns.campaign": (SUPERUSER, SUPERUSER, SUPERUSER),
    "campaigns.team": (SUPERUSER, SUPERUSER, SUPERUSER),
    "campaigns.fundraiser": (SUPERUSER, SUPERUSER, SUPERUSER),
    "campaigns.campaignupdate": (SUPERUSER, SUPERUSER, SUPERUSER),
    "campaigns.fund": (FINANCE, SUPERUSER, SUPERUSER),
    # Organisations given as: finance sees who gave as one.
    "campaigns.organization": (FINANCE, SUPERUSER, SUPERUSER),
    # Who issues receipts: finance sees each entity's identity, only
    # superusers change what receipts will say.
    "campaigns.receiptingentity": (FINANCE, SUPERUSER, SUPERUSER),
    # A published notice stays as the record of what donors were told.
    "campaigns.privacynotice": (SUPERUSER, SUPERUSER, NOBODY),
    "donations.donor": (FINANCE, SUPERUSER, SUPERUSER),
    "donations.donation": (FINANCE, NOBODY, NOBODY),
    "donations.refund": (FINANCE, NOBODY, NOBODY),
    "donations.dispute": (FINANCE, NOBODY, NOBODY),
    "donations.recurringplan": (FINANCE, NOBODY, NOBODY),
    # The audit log of gifts moved: written by donations.services.moves only.
    "donations.giftmove": (FINANCE, NOBODY, NOBODY),
    # Donors' Gift Aid declarations: kept as made; finance records cancellations.
    "donations.giftaiddeclaration": (FINANCE, NOBODY, NOBODY),
    "donations.stripeevent": (SUPERUSER, NOBODY, NOBODY),
    "donations.givingtotal": (SUPERUSER, NOBODY, NOBODY),
    "receipts.receipt": (FINANCE, NOBODY, NOBODY),
    "receipts.voidnotice": (FINANCE, NOBODY, NOBODY),
    "receipts.yearendstatement": (FINANCE, NOBODY, NOBODY),
    "receipts.updatedelivery": (SUPERUSER, NOBODY, NOBODY),
    "receipts.giftnotice": (SUPERUSER, NOBODY, NOBODY),
    "receipts.movenotice": (SUPERUSER, NOBODY, NOBODY),
    "receipts.dedicationcard": (SUPERUSER, NOBODY, NOBODY),
    # Fundraisers' notes to donors: read-only, and only for superusers.
    "receipts.thankyounote": (SUPERUSER, NOBODY, NOBODY),
    "receipts.impactupdate": (SUPERUSER, SUPERUSER, SUPERUSER),
    "receipts.emailsuppression": (SUPERUSER, SUPERUSER, SUPERUSER),
    "receipts.campaignbenefit": (SUPERUSER, SUPERUSER, SUPERUSER),
    "receipts.providerevent": (SUPERUSER, NOBODY, NOBODY),
    "finance.auditlogentry": (FINANCE, NOBODY, NOBODY),
    "finance.giftimport": (FINANCE, NOBODY, NOBODY),
    "finance.offlinegift": (FINANCE, NOBODY, NOBODY),
    "finance.payout": (FINANCE, NOBODY, NOBODY),
    # Gift Aid claims as export_gift_aid_claim recorded them.
    "finance.giftaidclaim": (FINANCE, NOBODY, NOBODY),
    # Donors' data rights: their requests, and the records of each export
    # and erasure, written by privacy's services only.
    "privacy.datarequest": (FINANCE, NOBODY, NOBODY),
    "privacy.dataexport": (FINANCE, NOBODY, NOBODY),
    "privacy.erasure": (FINANCE, NOBODY, NOBODY),
    # Second factors: a superuser removes a lost one, and sees no secret.
    "otp_totp.totpdevice": (SUPERUSER, SUPERUSER, SUPERUSER),
    "otp_static.staticdevice": (SUPERUSER, SUPERUSER, SUPERUSER),
}

# Models shown only as an inline on another model's change page (they have
# no admin pages of their own): the parent, and who of those who may open
# the parent's page sees the inline there (and edits it, where the inline
# is editable at all).
INLINE_MODELS = {
    # A campaign's donate-form amounts, with their impact text.
    "campaigns.amountpreset": ("campaigns.campaign", SUPERUSER),
    # Read-only records of their parent. The Finance group has no
    # view_planchange, so finance staff see a plan without its changes.
    "donations.planchange": ("donations.recurringplan", SUPERUSER),
    "finance.payoutline": ("finance.payout", FINANCE),
    "finance.giftaidclaimline": ("finance.giftaidclaim", FINANCE),
    # Backup codes are secrets: django-otp hides them (OTP_ADMIN_HIDE_SENSITIVE_DATA).
    "otp_static.statictoken": ("otp_static.staticdevice", NOBODY),
}

# The admin's own pages, and those the project adds to it.
ADMIN_PAGES = [
    Row("admin/", "GET", in_admin(ANY_STAFF)),
    Row("admin/login/", "GET", answers(OK, staff=REDIRECT, finance=REDIRECT, superuser=REDIRECT)),
    Row("admin/logout/", "POST", answers(REDIRECT)),
    Row("admin/password_change/", "GET", in_admin(ANY_STAFF)),
    Row("admin/password_change/done/", "GET", in_admin(ANY_STAFF)),
    # Without a field to complete, the autocomplete refuses everyone.
    Row("admin/autocomplete/", "GET", in_admin(NOBODY)),
    Row("admin/jsi18n/", "GET", in_admin(ANY_STAFF)),
    Row(
        "admin/r/<path:content_type_id>/<path:object_id>/",
        "GET",
        in_admin(ANY_STAFF, yes=REDIRECT),
        "/admin/r/{team_type}/{team_pk}/",
    ),
    # An app's index lists what the person may see in it; nothing to see is a 404.
    *(
        Row(
            "admin/^(?P<app_label>auth|otp_totp|otp_static|accounts|campaigns|donations|receipts|finance|privacy)/$",
            "GET",
            in_admin(seen, no=NOT_FOUND),
            f"/admin/{app}/",
        )
        for app, seen in (
            ("auth", SUPERUSER),
            ("otp_totp", SUPERUSER),
            ("otp_static", SUPERUSER),
            ("accounts", SUPERUSER),
            ("campaigns", FINANCE),
            ("donations", FINANCE),
            ("receipts", FINANCE),
            ("finance", FINANCE),
            ("privacy", FINANCE),
        )
    ),
    Row("admin/(?P<url>.*)$", "GET", in_admin(NOBODY, no=NOT_FOUND), "/admin/no-such-page/"),
    Row("admin/accounts/user/<id>/password/", "GET", in_admin(SUPERUSER), "/admin/accounts/user/{user_pk}/password/"),
    # Refunds move money: donations.refund_donation, which finance does not hold.
    Row(
        "admin/donations/donation/<int:pk>/refund/",
        "GET",
        in_admin(SUPERUSER),
        "/admin/donations/donation/{donation_pk}/refund/",
    ),
    # Moving a gift to another page, team or fund: donations.move_donation, which finance holds.
    Row(
        "admin/donations/donation/<int:pk>/move/",
        "GET",
        in_admin(FINANCE),
        "/admin/donations/donation/{donation_pk}/move/",
    ),
    # A receipt's PDF for staff, without the donor's link.
    Row(
        "admin/receipts/receipt/<int:pk>/pdf/",
        "GET",
        in_admin(FINANCE),
        "/admin/receipts/receipt/{receipt_pk}/pdf/",
    ),
    # django-otp's pages that would show a device's key: never, to anyone.
    *(
        Row(
            f"admin/otp_totp/totpdevice/<int:pk>/{page}/",
            "GET",
            in_admin(NOBODY),
            f"/admin/otp_totp/totpdevice/{{totpdevice_pk}}/{page}/",
        )
        for page in ("config", "qrcode")
    ),
    Row(
        "admin/receipts/impactupdate/<int:pk>/preview/",
        "GET",
        in_admin(SUPERUSER),
        "/admin/receipts/impactupdate/{impactupdate_pk}/preview/",
    ),
    Row(
        "admin/receipts/impactupdate/<int:pk>/send-test/",
        "POST",
        in_admin(SUPERUSER, yes=REDIRECT),
        "/admin/receipts/impactupdate/{impactupdate_pk}/send-test/",
    ),
    Row(
        "admin/receipts/impactupdate/<int:pk>/send/",
        "POST",
        in_admin(SUPERUSER, yes=REDIRECT),
        "/admin/receipts/impactupdate/{impactupdate_pk}/send/",
    ),
    # Exports need finance.export_gifts; the donor import finance.import_gifts
    # and the right to change donors.
    *(
        Row(f"admin/{model}/export/", "GET", in_admin(FINANCE))
        for model in ("donations/donation", "donations/refund", "receipts/receipt", "donations/donor")
    ),
    Row("admin/donations/donor/import/", "GET", in_admin(FINANCE)),
    Row("admin/donations/donor/process_import/", "POST", in_admin(FINANCE)),
]

# Actions other than "delete selected" (see ADMIN_MODELS): who may run each.
ADMIN_ACTIONS = {
    ("campaigns.team", "hide"): SUPERUSER,
    ("campaigns.team", "show"): SUPERUSER,
    ("campaigns.fundraiser", "hide"): SUPERUSER,
    ("campaigns.fundraiser", "show"): SUPERUSER,
    ("campaigns.campaignupdate", "hide"): SUPERUSER,
    ("campaigns.campaignupdate", "show"): SUPERUSER,
    ("receipts.receipt", "send_failed_again"): FINANCE,
    ("receipts.voidnotice", "send_failed_again"): FINANCE,
    ("receipts.yearendstatement", "send_failed_again"): FINANCE,
    ("receipts.updatedelivery", "send_failed_again"): SUPERUSER,
    ("receipts.giftnotice", "send_failed_again"): SUPERUSER,
    ("receipts.movenotice", "send_failed_again"): SUPERUSER,
    ("receipts.dedicationcard", "send_failed_again"): SUPERUSER,
    ("receipts.thankyounote", "send_failed_again"): SUPERUSER,
    ("donations.recurringplan", "revoke_links"): SUPERUSER,
    ("donations.giftaiddeclaration", "cancel_declarations"): FINANCE,
    # privacy.export_donor_data and privacy.erase_donor, held by the Finance group.
    ("donations.donor", "download_donor_data"): FINANCE,
    ("donations.donor", "erase_donors"): FINANCE,
    ("privacy.datarequest", "decline_requests"): FINANCE,
}


def admin_model_rows() -> list[Row]:
    """Each model's changelist, add, change, delete and history pages."""
    rows = []
    for label, (see, add, delete) in ADMIN_MODELS.items():
        base = "admin/{}/{}/".format(*label.split("."))
        at = f"/{base}{{{label.split('.')[1]}_pk}}/"
        rows += [
            Row(base, "GET", in_admin(see)),
            Row(base + "add/", "GET", in_admin(add)),
            Row(base + "<path:object_id>/change/", "GET", in_admin(see), at + "change/"),
            Row(base + "<path:object_id>/history/", "GET", in_admin(see), at + "history/"),
            Row(base + "<path:object_id>/delete/", "GET", in_admin(delete), at + "delete/"),
            # The bare object address sends staff on to its change page.
            Row(base + "<path:object_id>/", "GET", in_admin(ANY_STAFF, yes=REDIRECT), at),
        ]
    return rows


def admin_action_cells() -> list[tuple[str, str, dict]]:
    """(model, action, {role: answer}): who may see the list may try, and
    only those allowed run it."""
    cells = []
    actions = {
        **{(label, "delete_selected"): delete for label, (_, _, delete) in ADMIN_MODELS.items()},
        **ADMIN_ACTIONS,
    }
    for (label, action), allowed in actions.items():
        see = ADMIN_MODELS[label][0]
        expected = {
            role: (RUNS if role in allowed else REFUSED if role in see else FORBIDDEN)
            if role in STAFF_ROLES
            else ADMIN_LOGIN
            for role in ROLES
        }
        cells.append((label, action, expected))
    return cells


ROWS = [*SITE, *ADMIN_PAGES, *admin_model_rows()]


# --- The completeness checks --------------------------------------------------


def url_patterns(resolver=None, prefix: str = ""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern, prefix + str(pattern.pattern))
        else:
            assert isinstance(pattern, URLPattern)
            yield prefix + str(pattern.pattern)


def test_the_matrix_lists_every_url_pattern():
    listed = {row.pattern for row in ROWS}
    unlisted = [
        pattern for pattern in url_patterns() if pattern not in listed and not pattern.startswith(ANYMAIL_PREFIX)
    ]

    assert unlisted == [], "add these URLs to the matrix, with each person's answer"


def test_the_matrix_lists_only_url_patterns_that_exist():
    patterns = set(url_patterns())

    assert [row.pattern for row in ROWS if row.pattern not in patterns] == []


def test_the_matrix_lists_every_admin_action():
    registered = {
        (model._meta.label_lower, name)
        for model, model_admin in admin.site._registry.items()
        for _, name, _ in model_admin._get_base_actions()
    }
    listed = {(label, action) for label, action, _ in admin_action_cells()}

    assert registered == listed


def test_the_matrix_lists_every_admin_inline():
    inlines = {
        inline.model._meta.label_lower
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }

    assert {label for label in inlines if label not in ADMIN_MODELS} == set(INLINE_MODELS)
    for label, (parent, _) in INLINE_MODELS.items():
        assert parent in ADMIN_MODELS
        assert label not in {model._meta.label_lower for model in admin.site._registry}, f"{label} has its own pages"


def test_every_admin_action_names_the_permission_it_needs():
    # Without one, Django lets anyone who can see the list run the action.
    unguarded = [
        (model._meta.label_lower, name)
        for model, model_admin in admin.site._registry.items()
        for action, name, _ in model_admin._get_base_actions()
        if not getattr(action, "allowed_permissions", None)
    ]

    assert unguarded == []


# --- The people and their data --------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Everything the cells open, built once in a transaction that is
    rolled back when the module is done."""
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch:
        fake = FakeStripe()
        for name in stripe_gateway.CALLS:
            patch.setattr(stripe_gateway, name, getattr(fake, name))
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _build_world() -> SimpleNamespace:
    funds = {slug: factories.FundFactory(slug=slug, name=slug.title()) for slug in ("rescue", "aftercare", "general")}
    campaign = factories.CampaignFactory(slug="dressember-2026", status=Campaign.Status.ACTIVE)
    AmountPreset.objects.create(campaign=campaign, amount_minor=5000, impact_text="A week of aftercare")
    team = factories.TeamFactory(campaign=campaign, slug="freedom-threads")
    other_team = factories.TeamFactory(campaign=campaign, slug="chicago-chapter")
    people = {
        "fundraiser": factories.UserFactory(),
        "other-captain": factories.UserFactory(),
        "captain": factories.UserFactory(),
        "staff": factories.UserFactory(is_staff=True),
        "finance": factories.UserFactory(is_staff=True),
        "superuser": factories.UserFactory(is_staff=True, is_superuser=True),
    }
    people["finance"].groups.add(Group.objects.get(name=FINANCE_GROUP))
    team.captains.add(people["captain"])
    other_team.captains.add(people["other-captain"])
    page = factories.FundraiserFactory(campaign=campaign, team=team, slug="ada-lee", owner=people["fundraiser"])
    CampaignUpdate.objects.create(campaign=campaign, team=team, title="Day 1", body="Off we go.")

    donor = factories.DonorFactory(with_address=True)
    mail.outbox = []
    with TestCase.captureOnCommitCallbacks(execute=True):
        gift = factories.DonationFactory(
            succeeded=True, through_services=True, fundraiser=page, fund=funds["rescue"], donor=donor
        )
    [receipt_email] = [message for message in mail.outbox if "/receipts/" in message.body]
    receipt_token = re.search(r"/receipts/([^/]+)/pdf/", receipt_email.body).group(1)
    plan = factories.RecurringPlanFactory(donor=donor, campaign=campaign, fund=funds["general"])
    update = ImpactUpdate.objects.create(title="What your gifts did", body="Thank you.")
    delivery = UpdateDelivery.objects.create(update=update, donor=donor)
    invite_token = "an-invite-for-someone-else"
    TeamInvite.objects.create(
        team=team, email="new@example.org", token_hash=hash_invite_token(invite_token), expires_at="2099-01-01T00:00Z"
    )
    gift_import = GiftImport.objects.create(file_name="gifts.csv", content="", status=GiftImport.Status.REJECTED)
    offline_gift = factories.DonationFactory(offline=True, donor=donor, campaign=campaign, fund=funds["general"])
    receipt = gift.receipts.get()
    device_owner = factories.UserFactory(is_staff=True)
    objects = {
        "group": Group.objects.get(name=FINANCE_GROUP),
        "user": people["fundraiser"],
        "campaign": campaign,
        "team": team,
        "fundraiser": page,
        "campaignupdate": CampaignUpdate.objects.get(),
        "fund": funds["rescue"],
        "organization": factories.OrganizationFactory(),
        "receiptingentity": ReceiptingEntity.objects.create(
            name="Matrix Charity Canada", address="1 Rue, Montréal", country="CA", tax_number="123456789RR0001"
        ),
        "privacynotice": PrivacyNotice.objects.create(text="What we keep and why."),
        "donor": donor,
        "donation": gift,
        "refund": Refund.objects.create(donation=gift, amount_minor=100, status=Refund.Status.FAILED),
        "dispute": Dispute.objects.create(
            donation=gift, stripe_dispute_id="dp_matrix", amount_minor=100, status="needs_response"
        ),
        "recurringplan": plan,
        "giftmove": GiftMove.objects.create(
            donation=gift,
            from_fundraiser=page,
            to_fundraiser=page,
            from_team=team,
            to_team=team,
            from_fund=funds["rescue"],
            to_fund=funds["rescue"],
            kept_minor=gift.kept_minor,
            currency=gift.currency,
            reason="A matrix row",
            channel="admin",
            actor="x",
        ),
        "stripeevent": StripeEvent.objects.create(event_id="evt_matrix", type="charge.succeeded", payload={}),
        "givingtotal": GivingTotal.objects.filter(campaign=campaign).first(),
        "receipt": receipt,
        "voidnotice": VoidNotice.objects.create(receipt=receipt),
        "yearendstatement": YearEndStatement.objects.create(donor=donor, year=2025),
        "updatedelivery": delivery,
        "giftnotice": GiftNotice.objects.get(donation=gift, recipient=people["fundraiser"]),
        "dedicationcard": DedicationCard.objects.create(donation=gift, email="told@example.org"),
        "thankyounote": ThankYouNote.objects.create(
            donation=offline_gift,
            text="Thank you!",
            signed_as="Ada",
            page_name="Ada's page",
            page_url="https://x.test/",
        ),
        "impactupdate": update,
        "emailsuppression": EmailSuppression.objects.create(email="gone@example.org", reason="bounced"),
        "campaignbenefit": CampaignBenefit.objects.create(campaign=campaign, description="A T-shirt", value_minor=1000),
        "providerevent": ProviderEvent.objects.create(esp_name="Test", event_id="ev_matrix", event_type="bounced"),
        "auditlogentry": AuditLogEntry.objects.create(action="export", channel="admin", actor="x", subject="donations"),
        "giftimport": gift_import,
        "offlinegift": OfflineGift.objects.create(
            donation=offline_gift,
            gift_import=gift_import,
            method="check",
            external_reference="CHK-1",
            received_on=date(2026, 11, 1),
            line_number=2,
        ),
        # Someone else's: each person's own second factor is tests.auth's.
        "totpdevice": TOTPDevice.objects.create(user=device_owner, name="Phone"),
        "staticdevice": StaticDevice.objects.create(user=device_owner, name="Backup codes"),
        "payout": Payout.objects.create(
            stripe_payout_id="po_matrix",
            amount_minor=0,
            currency="usd",
            status="paid",
            arrival_date=date(2026, 11, 2),
            created_at="2026-11-01T00:00:00Z",
        ),
    }
    objects["movenotice"] = MoveNotice.objects.create(move=objects["giftmove"], recipient=people["fundraiser"])
    objects["giftaiddeclaration"] = factories.GiftAidDeclarationFactory(donor=donor, donation=gift)
    objects["giftaidclaim"] = GiftAidClaim.objects.create(actor="x")
    objects["datarequest"] = DataRequest.objects.create(donor=donor)
    objects["dataexport"] = DataExport.objects.create(donor=donor, channel="admin", actor="x")
    objects["erasure"] = Erasure.objects.create(donor=factories.DonorFactory(), channel="admin", actor="x", reason="x")
    GiftAidClaimLine.objects.create(
        claim=objects["giftaidclaim"],
        donation=gift,
        declaration=objects["giftaiddeclaration"],
        kind="claimed",
        amount_minor=gift.charged_minor,
    )
    return SimpleNamespace(
        people=people,
        objects=objects,
        values={
            "gift_id": gift.public_id,
            "receipt_number": receipt.number,
            "plan_id": plan.public_id,
            "import_id": gift_import.public_id,
            "team_type": ContentType.objects.get_for_model(team).pk,
            "team_pk": team.pk,
            **{f"{name}_pk": obj.pk for name, obj in objects.items()},
        },
        links={
            "plan_token": plan_management_url(plan).rstrip("/").rsplit("/", 1)[1],
            "receipt_token": receipt_token,
            "gift_aid_token": gift_aid_cancel_url(objects["giftaiddeclaration"]).rstrip("/").rsplit("/", 1)[1],
            "unsubscribe_token": delivery.unsubscribe_token,
            "invite_token": invite_token,
            "sign_in_token": sign_in_token_for(donor),
        },
    )


def sign_in_token_for(donor) -> str:
    """A sign-in link's token, as its email carries it (each cell's use of
    it is rolled back with the cell)."""
    link = SignInLink.objects.create(donor=donor, expires_at=timezone.now() + timedelta(days=1))
    return sign_in.token_for(link)


def client_for(role: str, world, **options) -> Client:
    client = Client(**options)
    if role in world.people:
        log_in(client, world.people[role])
    if role == "donor":
        sign_in_donor(client, world.objects["donor"])
    return client


def fill(path: str, role: str, world) -> str:
    """The path with the data's ids; the donor's links are the donor's
    alone, everyone else tries one that is not theirs."""
    links = world.links if role == "donor" else dict.fromkeys(world.links, "not-their-link")
    links["invite_token"] = world.links["invite_token"]
    return path.format(**world.values, **links)


def outcome(response) -> object:
    if response.status_code == 200 and response.get("Content-Disposition", "").startswith("attachment"):
        return FILE
    if response.status_code not in (301, 302):
        return response.status_code
    location = response["Location"]
    if location.startswith("/admin/login/"):
        return ADMIN_LOGIN
    if location.startswith("/accounts/login/"):
        return LOGIN
    if location.startswith("/donor/sign-in/"):
        return SIGN_IN
    return REDIRECT


def action_outcome(response) -> object:
    if response.status_code == 200 and "admin/delete_selected_confirmation.html" in getattr(
        response, "template_name", ()
    ):
        return RUNS
    if response.status_code == 200 and response.get("Content-Disposition", "").startswith("attachment"):
        return RUNS  # an action that answers with a file
    templates = getattr(response, "template_name", None) or ()
    if response.status_code == 200 and any(
        name.endswith("_confirmation.html") for name in ([templates] if isinstance(templates, str) else templates)
    ):
        return RUNS  # an action that asks to confirm first
    if response.status_code == 200:  # the list again: no action it may run
        return REFUSED
    if response.status_code == 302 and not response["Location"].startswith("/admin/login/"):
        said = [str(message) for message in get_messages(response.wsgi_request)]
        return REFUSED if "No action selected." in said else RUNS
    return outcome(response)


# --- The cells ----------------------------------------------------------------


def _cells():
    for row in ROWS:
        for role in ROLES:
            yield pytest.param(row, role, id=f"{role}-{row.method}-{row.path or '/' + row.pattern}")


def _action_cells():
    for label, action, expected in admin_action_cells():
        for role in ROLES:
            yield pytest.param(label, action, role, expected[role], id=f"{role}-POST-{label}-{action}")


@pytest.mark.django_db
@pytest.mark.parametrize("row, role", list(_cells()))
def test_each_person_gets_the_answer_the_matrix_gives(world, row, role):
    client = client_for(role, world)
    path = fill(row.path or "/" + row.pattern, role, world)

    response = getattr(client, row.method.lower())(path, row.data)

    assert outcome(response) == row.expected[role]


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", [p for p in url_patterns() if p.startswith(ANYMAIL_PREFIX)] or ["(none)"])
@pytest.mark.parametrize("role", ROLES[1:])
def test_no_session_changes_what_the_email_providers_webhooks_answer(world, pattern, role):
    """Which of them are mounted, and with which secret, is the email
    settings' business: here, only that being someone changes nothing."""
    if pattern == "(none)":
        pytest.skip("no email-provider webhook is mounted")
    path = "/" + re.sub(r"\^|\(.*?\)\?|\$", "", pattern)
    visitor = Client(raise_request_exception=False).post(path)

    response = client_for(role, world, raise_request_exception=False).post(path)

    assert outcome(response) == outcome(visitor)


@pytest.mark.django_db
@pytest.mark.parametrize("label", list(INLINE_MODELS))
@pytest.mark.parametrize("role", STAFF_ROLES)
def test_each_person_sees_and_edits_only_the_admin_inlines_the_matrix_gives(world, label, role):
    parent, allowed = INLINE_MODELS[label]
    app, model = parent.split(".")
    parent_model = apps.get_model(parent)
    [inline] = [
        inline for inline in admin.site._registry[parent_model].inlines if inline.model._meta.label_lower == label
    ]
    prefix = _get_foreign_key(parent_model, inline.model, inline.fk_name).remote_field.get_accessor_name()

    response = client_for(role, world).get(f"/admin/{app}/{model}/{world.objects[model].pk}/change/")

    if role not in ADMIN_MODELS[parent][0]:
        assert outcome(response) == FORBIDDEN
    else:
        assert outcome(response) == OK
        assert (f'name="{prefix}-TOTAL_FORMS"' in response.content.decode()) is (role in allowed)


@pytest.mark.django_db
@pytest.mark.parametrize("label, action, role, expected", list(_action_cells()))
def test_each_person_may_run_only_the_admin_actions_the_matrix_gives(world, label, action, role, expected):
    client = client_for(role, world)
    app, model = label.split(".")

    response = client.post(f"/admin/{app}/{model}/", {"action": action, "_selected_action": [world.objects[model].pk]})

    assert action_outcome(response) == expected
