"""The link to a donor's monthly-gift page: it expires, a fresh one is in
every email, it can be revoked by staff and by the donor, and an expired
one offers a fresh one by email without telling anyone anything."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core import signing

from accounts.models import User
from donations.models import RecurringPlan
from donations.selectors import PLAN_LINK_SALT, plan_management_path, read_plan_link
from donations.services import recurring
from receipts.models import Receipt
from receipts.services.receipts import compose_receipt_email
from tests.auth import log_in
from tests.stripe_events import invoice_event

pytestmark = pytest.mark.django_db

DAY = 24 * 3600
MAX_AGE = 60 * DAY


@pytest.fixture(autouse=True)
def _links_live_sixty_days(settings):
    settings.MONTHLY_LINK_MAX_AGE_DAYS = 60


LINK = re.compile(r"https?://[^/\s]+(/monthly/[^/\s\"]+/)")


def link_in(email) -> str:
    """The path of the monthly-gift link in an email; the same in its text
    and HTML parts."""
    [in_text] = set(LINK.findall(email.body))
    [in_html] = set(LINK.findall(email.alternatives[0][0]))
    assert in_text == in_html
    return in_text


def test_link_older_than_max_age_is_refused_with_an_offer_to_email_a_fresh_one(client, monthly_plan, link_clock):
    path = plan_management_path(monthly_plan)
    link_clock.now += MAX_AGE - 60
    assert client.get(path).status_code == 200

    link_clock.now += 120
    page = client.get(path)
    change = client.post(path, {"action": "change", "amount": "40.00"})
    cancel = client.post(path, {"action": "cancel"})

    assert page.status_code == 410
    assert "This link has expired" in page.content.decode()
    assert 'value="email_fresh_link"' in page.content.decode()
    assert "$25.00" not in page.content.decode()  # nothing about the gift
    assert (change.status_code, cancel.status_code) == (410, 410)
    monthly_plan.refresh_from_db()
    assert (monthly_plan.amount_minor, monthly_plan.status) == (2500, RecurringPlan.Status.ACTIVE)


def test_asking_for_a_fresh_link_emails_one_that_works_to_the_donors_address_only(
    client, monthly_plan, link_clock, mailoutbox, django_capture_on_commit_callbacks
):
    expired = plan_management_path(monthly_plan)
    link_clock.now += MAX_AGE + 1
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(expired, {"action": "email_fresh_link", "email": "attacker@example.net"})

    assert answer.status_code == 200
    assert "a new link is on its way" in answer.content.decode()
    [email] = mailoutbox
    assert email.to == ["ada@example.org"]
    assert client.get(link_in(email)).status_code == 200


def test_fresh_link_requests_over_the_limit_get_the_same_answer_and_send_nothing_more(
    client, monthly_plan, link_clock, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.MONTHLY_LINK_EMAIL_RATE_LIMIT = "2/h"
    expired = plan_management_path(monthly_plan)
    link_clock.now += MAX_AGE + 1
    mailoutbox.clear()

    answers = []
    for _ in range(4):
        # Each request commits, and its email is sent, before the next one.
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(client.post(expired, {"action": "email_fresh_link"}))

    assert {(answer.status_code, answer.content) for answer in answers} == {(200, answers[0].content)}
    assert len(mailoutbox) == 2


def test_fresh_link_requests_are_limited_per_plan_whatever_the_client_address(
    client, monthly_plan, link_clock, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.MONTHLY_LINK_EMAIL_RATE_LIMIT = "2/h"
    expired = plan_management_path(monthly_plan)
    link_clock.now += MAX_AGE + 1
    mailoutbox.clear()

    for number in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(expired, {"action": "email_fresh_link"}, REMOTE_ADDR=f"203.0.113.{number}")

    assert len(mailoutbox) == 2


def test_revoked_link_is_404_while_a_fresh_one_works(client, monthly_plan):
    old = plan_management_path(monthly_plan)

    recurring.revoke_links(plan_ids=[monthly_plan.pk])

    monthly_plan.refresh_from_db()
    assert client.get(old).status_code == 404
    assert client.post(old, {"action": "cancel"}).status_code == 404
    assert client.get(plan_management_path(monthly_plan)).status_code == 200


def test_revoked_link_is_404_even_once_expired_so_it_cannot_ask_for_a_fresh_one(
    client, monthly_plan, link_clock, mailoutbox
):
    old = plan_management_path(monthly_plan)
    recurring.revoke_links(plan_ids=[monthly_plan.pk])
    link_clock.now += MAX_AGE + 1
    mailoutbox.clear()

    assert client.get(old).status_code == 404
    assert client.post(old, {"action": "email_fresh_link"}).status_code == 404
    assert mailoutbox == []


def test_forged_link_is_404(client, monthly_plan):
    forged = signing.TimestampSigner(key="not-our-secret", salt=PLAN_LINK_SALT).sign_object(
        [str(monthly_plan.public_id), 0]
    )

    assert client.get(f"/monthly/{forged}/").status_code == 404
    assert read_plan_link(forged) is None


def test_donor_turns_off_every_other_link_and_lands_on_a_fresh_one(client, monthly_plan):
    old = plan_management_path(monthly_plan)

    answer = client.post(old, {"action": "sign_out_others"})

    assert answer.status_code == 302
    fresh = answer["Location"]
    assert fresh.startswith("/monthly/") and not fresh.startswith(old)
    assert "Every other link" in client.get(fresh).content.decode()
    assert client.get(old).status_code == 404


def test_staff_revoke_a_plans_links_with_the_admin_action_which_needs_the_change_permission(client, monthly_plan):
    old = plan_management_path(monthly_plan)
    viewer = User.objects.create_user("viewer@example.org", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_recurringplan"))
    staff = User.objects.create_user("support@example.org", password="pw", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_recurringplan", "change_recurringplan"]))
    action = {"action": "revoke_links", "_selected_action": [monthly_plan.pk]}

    log_in(client, viewer)
    client.post("/admin/donations/recurringplan/", action)
    assert client.get(old).status_code == 200

    log_in(client, staff)
    done = client.post("/admin/donations/recurringplan/", action, follow=True)
    assert "Links revoked for 1 monthly gift" in done.content.decode()
    assert client.get(old).status_code == 404


def test_links_sent_before_links_had_versions_work_until_they_expire_or_are_revoked(client, monthly_plan, link_clock):
    # As plan_management_url signed them before: the plan's id alone.
    legacy = f"/monthly/{signing.dumps(str(monthly_plan.public_id), salt=PLAN_LINK_SALT)}/"
    assert client.get(legacy).status_code == 200

    link_clock.now += MAX_AGE + 1
    assert client.get(legacy).status_code == 410

    recurring.revoke_links(plan_ids=[monthly_plan.pk])
    assert client.get(legacy).status_code == 404


def test_each_email_carries_a_link_that_works_and_an_older_emails_link_stops_after_max_age(
    client, monthly_plan, link_clock, deliver_events, mailoutbox
):
    subscription = monthly_plan.stripe_subscription_id
    [first_receipt] = mailoutbox
    link_clock.now += 30 * DAY
    deliver_events(invoice_event("invoice.paid", subscription_id=subscription, amount=2500, invoice_id="in_month_2"))
    link_clock.now += 10 * DAY
    deliver_events(
        invoice_event(
            "invoice.payment_failed", subscription_id=subscription, amount=2500, status="open", invoice_id="in_month_3"
        )
    )
    _, second_receipt, renewal_failed = mailoutbox
    assert "could not be charged" in renewal_failed.subject

    link_clock.now += MAX_AGE - 40 * DAY + 60  # the first email is now older than max_age, the others are not

    assert client.get(link_in(first_receipt)).status_code == 410
    assert client.get(link_in(second_receipt)).status_code == 200
    assert client.get(link_in(renewal_failed)).status_code == 200


def test_a_receipt_email_built_long_after_its_receipt_was_issued_carries_a_link_made_when_sent(
    client, monthly_plan, link_clock
):
    # Receipts are frozen at issue; the link must not be: a receipt sent
    # again (by the retry or by staff) months later still opens the page.
    receipt = Receipt.objects.get()
    link_clock.now += 3 * MAX_AGE

    assert client.get(link_in(compose_receipt_email(receipt))).status_code == 200
