"""Monthly gifts: a Stripe subscription per plan. The first invoice is
charged when the donor gives; every paid invoice becomes one Donation,
attributed like the first, exactly once (the invoice id is unique)."""

import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import replace

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core import rate_limit, shared_cache, task_queue
from core.money import format_money
from donations import emails, selectors, tasks
from donations.models import Donation, PlanChange, RecurringPlan
from donations.services import allocations, donors, effects, gift_status, organizations
from donations.services.gifts import (
    GiftOutcome,
    GiftRequest,
    claim_charge,
    covered_fee,
    create_once,
    new_donation,
    outcome_so_far,
)
from payments import stripe as stripe_gateway
from payments.stripe import IncompleteObject, InvoiceState, PaymentDeclined, SubscriptionState

logger = logging.getLogger(__name__)

Status = Donation.Status
PlanStatus = RecurringPlan.Status

SUBSCRIPTION_TO_PLAN_STATUS = {
    "incomplete": PlanStatus.INCOMPLETE,
    "active": PlanStatus.ACTIVE,
    "trialing": PlanStatus.ACTIVE,
    "past_due": PlanStatus.PAST_DUE,
    "unpaid": PlanStatus.PAST_DUE,
    "canceled": PlanStatus.CANCELED,
    "incomplete_expired": PlanStatus.CANCELED,
}


class PlanChangeRefused(Exception):
    """The donor's change cannot be made; the message says why."""


def start_monthly_gift(*, gift: GiftRequest, before_new_gift: Callable[[], None]) -> GiftOutcome:
    """Create the plan and its first gift, then the plan's own Stripe
    customer with the card, and the subscription, whose first invoice is
    charged at once. The request proves no one's identity, so the card never
    goes near the Stripe customer of the donor's other plans.
    `before_new_gift` runs as in gifts.create_once.

    If Stripe's answer is lost (StripeUnavailable after Stripe may have
    made the customer or the subscription), the plan stays incomplete and
    its first gift pending: a retry of the same request resumes it, and
    the per-plan idempotency keys make Stripe hand back the customer and
    subscription it made the first time, so nothing is charged twice."""

    def plan_and_first_gift() -> Donation:
        plan = RecurringPlan.objects.create(
            donor=donors.donor_for(details=gift.donor),
            campaign=gift.campaign,
            team=gift.team,
            fundraiser=gift.fundraiser,
            fund=gift.fund,
            organization=organizations.organization_for(details=gift.organization),
            amount_minor=gift.amount_minor,
            fee_covered_minor=gift.fee_covered_minor,
            currency=gift.currency,
            anonymous=gift.anonymous,
        )
        allocations.record_plan_parts(plan, gift.allocations)
        return new_donation(
            like=gift,
            donor=plan.donor,
            organization=plan.organization,
            recurring_plan=plan,
            frequency=Donation.Frequency.MONTHLY,
            fee_covered_minor=gift.fee_covered_minor,
            message=gift.message,
            **gift.dedication.gift_fields,
            donor_wants_updates=gift.email_updates,
            donor_updates_source=gift.updates_source,
            charge_attempt_started_at=timezone.now(),
        )

    first, is_new = create_once(gift=gift, create=plan_and_first_gift, before_create=before_new_gift)
    if not is_new and not _resumable(first):
        return outcome_so_far(first)
    plan = first.recurring_plan

    try:
        # Saved only once the card is attached and made the default, so a
        # resumed plan with a customer asks nothing more of it.
        customer_id = plan.stripe_customer_id or stripe_gateway.new_customer_with_card(
            email=first.donor.email,
            name=gift.donor.full_name,
            payment_method=gift.payment_method,
            plan_public_id=str(plan.public_id),
        )
        RecurringPlan.objects.filter(pk=plan.pk).update(stripe_customer_id=customer_id)
        subscription = stripe_gateway.subscribe(
            customer_id=customer_id,
            currency=plan.currency,
            quantity=plan.charged_minor,
            plan_public_id=str(plan.public_id),
        )
    except PaymentDeclined as decline:
        RecurringPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.CANCELED, canceled_at=timezone.now())
        return GiftOutcome(gift_status.record_decline(donation_id=first.pk, decline=decline))
    except stripe_gateway.StripeUnavailable:
        # Stripe may have made the subscription all the same: the plan is
        # not canceled (it could be billing), and a retry resumes it.
        Donation.objects.filter(pk=first.pk).update(charge_attempt_started_at=None)
        raise

    invoice = subscription.latest_invoice
    with transaction.atomic():
        plan = RecurringPlan.objects.select_for_update().get(pk=plan.pk)
        plan.stripe_subscription_id = subscription.id
        plan.status = SUBSCRIPTION_TO_PLAN_STATUS.get(subscription.status, plan.status)
        plan.save(update_fields=["stripe_subscription_id", "status"])
        if invoice is not None:
            _record_invoice_on(gift_status.lock(first.pk), invoice)
    if invoice is not None and invoice.status != "paid" and invoice.payment_intent_id:
        # 3-D Secure or a decline on the first payment: the invoice's intent says which.
        intent = stripe_gateway.retrieve_payment_intent(invoice.payment_intent_id)
        first = gift_status.apply_payment_intent(intent=intent) or first
        if first.status == Status.REQUIRES_ACTION:
            return GiftOutcome(first, intent.client_secret)
        if first.status == Status.FAILED:
            # The donor will try another card as a new gift: this
            # subscription must never charge later.
            cancel(plan=plan, by_donor=False)
    first.refresh_from_db()
    return GiftOutcome(first)


def _resumable(first: Donation) -> bool:
    """Whether a retried request may carry on with a plan whose earlier
    attempt never heard Stripe's answer: no subscription recorded, the
    plan not stopped, and this request holds the first gift's claim."""
    plan = first.recurring_plan
    return plan.stripe_subscription_id is None and plan.status == PlanStatus.INCOMPLETE and claim_charge(first)


def _record_invoice_on(donation: Donation, invoice: InvoiceState) -> None:
    """Tie a locked gift to its invoice, and mark it paid if it was."""
    if donation.invoice_id is None:
        donation.invoice_id = invoice.id
        donation.save(update_fields=["invoice_id", "updated_at"])
    gift_status.remember_ids(donation, payment_intent_id=invoice.payment_intent_id, charge_id=invoice.charge_id)
    if invoice.status == "paid":
        gift_status.mark_paid(donation)


@contextmanager
def _locked_plan_and_gift(invoice: InvoiceState):
    """(plan, gift) for one of our plans' invoices, locked in that order
    for the duration of a transaction; (None, None) for anyone else's."""
    plan_id = _plan_for_subscription(invoice.subscription_id)
    if plan_id is None:
        yield None, None
        return
    with transaction.atomic():
        plan = RecurringPlan.objects.select_for_update().get(pk=plan_id)
        _remember_subscription(plan, invoice.subscription_id)
        yield plan, _gift_for_invoice(plan, invoice)


def record_paid_invoice(*, invoice: InvoiceState) -> bool:
    """A paid invoice of one of our plans: its gift, exactly once. False
    for an invoice that is not for one of our plans."""
    with _locked_plan_and_gift(invoice) as (plan, donation):
        if plan is None:
            return False
        _record_invoice_on(donation, replace(invoice, status="paid"))
        if plan.status != PlanStatus.CANCELED:
            plan.status = PlanStatus.ACTIVE
            plan.save(update_fields=["status"])
    return True


def record_failed_invoice(*, invoice: InvoiceState) -> bool:
    """A renewal the bank refused: recorded as a failed gift, the plan past
    due, and the donor told once. Stripe retries the invoice on its own
    schedule; a later success turns the same gift into a paid one."""
    with _locked_plan_and_gift(invoice) as (plan, donation):
        if plan is None:
            return False
        gift_status.remember_ids(donation, payment_intent_id=invoice.payment_intent_id)
        # The donor is told once the move commits (effects).
        gift_status.move(
            donation,
            Status.FAILED,
            failure_code=effects.RENEWAL_FAILED,
            failure_message="The bank declined this month's gift.",
        )
        if plan.status == PlanStatus.ACTIVE:
            plan.status = PlanStatus.PAST_DUE
            plan.save(update_fields=["status"])
    return True


def _gift_for_invoice(plan: RecurringPlan, invoice: InvoiceState) -> Donation:
    """The locked gift for this invoice: the plan's first gift if the event
    overtook the API call that records it, else a new one like the first,
    carrying the donor's details as on record when it is billed (changed
    only by gifts that succeeded)."""
    existing = Donation.objects.select_for_update().filter(invoice_id=invoice.id).first()
    if existing:
        return existing
    first = plan.donations.select_for_update().order_by("created_at").first()
    if first is not None and first.invoice_id is None:
        first.invoice_id = invoice.id
        first.save(update_fields=["invoice_id", "updated_at"])
        return first
    charged = invoice.amount_paid_minor or invoice.amount_due_minor
    if charged <= 0 or invoice.currency != plan.currency:
        # Our plans bill a fixed amount in their own currency, so such an
        # invoice (a $0 one, after a coupon or proration) is no month's
        # gift; a gift of it would break the ledger's rules (a positive
        # amount, the campaign's currency) and fail the event forever.
        raise IncompleteObject(f"invoice {invoice.id} charges {charged} {invoice.currency}, not a month of this plan")
    fee = plan.fee_covered_minor if charged == plan.charged_minor else 0
    renewal = new_donation(
        like=plan,
        donor_id=plan.donor_id,
        recurring_plan=plan,
        frequency=Donation.Frequency.MONTHLY,
        amount_minor=charged - fee,
        fee_covered_minor=fee,
        currency=invoice.currency,
        invoice_id=invoice.id,
        **_dedication_of_renewal(first),
    )
    renewal.save()
    allocations.record_parts(renewal, allocations.parts_of_renewal(plan, amount_minor=renewal.amount_minor))
    return renewal


def _dedication_of_renewal(first: Donation | None) -> dict:
    """Every month's gift is dedicated as the first was, so each receipt
    says so; the person told of it by email was told once, with the first
    gift, so renewals carry no address to tell (and no card is sent)."""
    if first is None:
        return {}
    return {
        "dedication": first.dedication,
        "dedication_kind": first.dedication_kind,
        "dedication_name": first.dedication_name,
    }


def apply_subscription(*, subscription: SubscriptionState) -> bool:
    """Follow the subscription's status; a canceled plan stays canceled."""
    plan_id = _plan_for_subscription(subscription.id, plan_public_id=subscription.plan_public_id)
    if plan_id is None:
        return False
    with transaction.atomic():
        plan = RecurringPlan.objects.select_for_update().get(pk=plan_id)
        _remember_subscription(plan, subscription.id)
        status = SUBSCRIPTION_TO_PLAN_STATUS.get(subscription.status, plan.status)
        if plan.status != PlanStatus.CANCELED and status != plan.status:
            plan.status = status
            plan.canceled_at = timezone.now() if status == PlanStatus.CANCELED else None
            plan.save(update_fields=["status", "canceled_at"])
        if plan.status != PlanStatus.CANCELED:
            _follow_pause(plan, subscription)
    return True


def _follow_pause(plan: RecurringPlan, subscription: SubscriptionState) -> None:
    """A locked plan's pause as Stripe holds it (paused or resumed in the
    dashboard, or resumed on its own at the pause's end). An event that
    agrees with the plan changes nothing (a repeat, or our own change's
    echo); one that disagrees may be older than the plan's last change, so
    Stripe is asked how the subscription stands now, and that is followed.
    A pause with no end (the dashboard's) is kept as the plan's pause only
    once it has one."""
    if subscription.paused_until == plan.paused_until and subscription.paused == (plan.paused_until is not None):
        return
    try:
        now = stripe_gateway.retrieve_subscription(subscription.id)
    except stripe_gateway.NotFound:
        # Gone at Stripe (its customer deleted): nothing left to collect.
        return
    if now.paused_until == plan.paused_until:
        return
    if now.paused_until is None:
        if not now.paused and plan.paused_until is not None:
            _end_pause(plan)
        return
    plan.paused_until = now.paused_until
    plan.save(update_fields=["paused_until"])
    _record_change(plan, PlanChange.Kind.PAUSED, detail=_until_in_words(now.paused_until))


def _remember_subscription(plan: RecurringPlan, subscription_id: str) -> None:
    """A locked plan found through the subscription's metadata, whose
    subscription id was never saved (Stripe's answer to subscribe was
    lost): the event tells it, so later events, changes and the donor's
    cancel reach that subscription."""
    if plan.stripe_subscription_id is None:
        plan.stripe_subscription_id = subscription_id
        plan.save(update_fields=["stripe_subscription_id"])


def _plan_for_subscription(subscription_id: str | None, *, plan_public_id: str | None = None) -> int | None:
    if not subscription_id:
        return None
    found = RecurringPlan.objects.filter(stripe_subscription_id=subscription_id).values_list("pk", flat=True).first()
    if found:
        return found
    # The event overtook the API call that saves the subscription's id (or
    # that call died): the subscription's metadata names our plan.
    if plan_public_id is None:
        try:
            plan_public_id = stripe_gateway.subscription_plan_id(subscription_id)
        except stripe_gateway.NotFound:
            return None
    public_id = gift_status.uuid_or_none(plan_public_id)
    return RecurringPlan.objects.filter(public_id=public_id).values_list("pk", flat=True).first()


# --- The donor's own changes (from the signed link in their emails) -------

# A link can be forwarded, shared or read in a log, so whoever holds it must
# not be able to raise the card's charge without limit. The ceiling is
# twice what the donor chose when they gave their card, not twice the
# current amount, which repeated changes would double again and again; to
# give more, a donor starts a new gift with their card. Every change is
# also emailed to the donor (send_plan_change_notice).
LINK_RAISE_LIMIT = 2


def change_amount(*, plan: RecurringPlan, amount_minor: int) -> RecurringPlan:
    """Future months charge the new amount (fee cover, if chosen, is kept
    proportionate to Stripe's pricing); the donor is emailed the old and
    new amounts.

    The plan's row lock is taken before Stripe is called and held until
    the plan is saved, so two changes at once reach Stripe in the order
    they are saved and the plan always says what the subscription charges.
    With cancel, this is the one place a transaction stays open across a
    Stripe call: a single subscription update on the donor's own row,
    which only another change or this plan's webhooks wait for. The amount
    it already charges (the form sent twice) asks nothing of Stripe and
    tells the donor nothing."""
    ceiling = LINK_RAISE_LIMIT * selectors.plan_starting_amount_minor(plan)
    if amount_minor > ceiling:
        raise PlanChangeRefused(
            f"Here a monthly gift can go up to {format_money(ceiling, plan.currency)}, twice what it "
            "started at. To give more, please start a new monthly gift."
        )
    with transaction.atomic():
        plan = RecurringPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status == PlanStatus.CANCELED:
            raise PlanChangeRefused("This monthly gift has been stopped.")
        old_monthly_minor = plan.charged_minor
        fee = covered_fee(amount_minor) if plan.fee_covered_minor else 0
        if (amount_minor, fee) == (plan.amount_minor, plan.fee_covered_minor):
            return plan
        stripe_gateway.change_subscription_quantity(plan.stripe_subscription_id, amount_minor + fee)
        plan.amount_minor, plan.fee_covered_minor = amount_minor, fee
        plan.save(update_fields=["amount_minor", "fee_covered_minor"])
        allocations.rescale_plan_parts(plan, amount_minor=amount_minor)
        _record_change(plan, PlanChange.Kind.AMOUNT, old_monthly_minor=old_monthly_minor)
    logger.info("monthly plan %s changed to %s %s", plan.public_id, amount_minor, plan.currency)
    return plan


def cancel(*, plan: RecurringPlan, by_donor: bool) -> RecurringPlan:
    """Stop the monthly gift: no further invoices. Safe to repeat: a plan
    stopped already asks nothing more of Stripe (every way a plan becomes
    canceled stopped its subscription there, or never recorded one), and
    a subscription Stripe no longer has counts as stopped. A
    donor who stops it is emailed once; a plan stopped because its first
    payment failed is not (the donor was just told their card was
    declined). Locked before Stripe is called, as change_amount is."""
    with transaction.atomic():
        plan = RecurringPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status == PlanStatus.CANCELED:
            return plan
        if plan.stripe_subscription_id:
            try:
                stripe_gateway.cancel_subscription(plan.stripe_subscription_id)
            except stripe_gateway.NotFound:
                # Gone at Stripe already (canceled or its customer deleted
                # in the dashboard): nothing is left that could charge.
                logger.info("monthly plan %s: its subscription was already gone at Stripe", plan.public_id)
        old_monthly_minor = plan.charged_minor
        plan.status, plan.canceled_at = PlanStatus.CANCELED, timezone.now()
        plan.save(update_fields=["status", "canceled_at"])
        if by_donor:
            _record_change(plan, PlanChange.Kind.STOPPED, old_monthly_minor=old_monthly_minor)
    logger.info("monthly plan %s canceled", plan.public_id)
    return plan


def _record_change(plan: RecurringPlan, kind: str, *, old_monthly_minor: int | None = None, **fields) -> None:
    """The change, and its email queued once it commits (each is told once)."""
    new_monthly_minor = 0 if kind == PlanChange.Kind.STOPPED else plan.charged_minor
    change = PlanChange.objects.create(
        plan=plan,
        kind=kind,
        old_monthly_minor=plan.charged_minor if old_monthly_minor is None else old_monthly_minor,
        new_monthly_minor=new_monthly_minor,
        next_charge_on=selectors.next_charge_on(plan),
        **fields,
    )
    task_queue.enqueue_on_commit(tasks.send_plan_change_notice, change.pk)


# --- The donor's changes from their portal (donors.views.plans) ------------

PAUSE_MONTHS = (1, 2, 3)


def _locked_open_plan(plan: RecurringPlan) -> RecurringPlan:
    """The plan, locked (inside a transaction), refused once stopped."""
    plan = RecurringPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status == PlanStatus.CANCELED:
        raise PlanChangeRefused("This monthly gift has been stopped.")
    return plan


def change_funds(*, plan: RecurringPlan, parts: list[allocations.Part]) -> RecurringPlan:
    """Give future months to one fund (one part) or split between the
    campaign's funds (two to five, as donations.forms.PlanFundsForm checks
    them), their amounts adding up to the monthly amount. The charge is
    unchanged, so Stripe is not asked; renewals read the plan's fund and
    parts (allocations.parts_of_renewal) when they are billed."""
    if sum(part.amount_minor for part in parts) != plan.amount_minor:
        raise PlanChangeRefused(
            f"The parts must add up to your monthly gift of {format_money(plan.amount_minor, plan.currency)}."
        )
    with transaction.atomic():
        plan = _locked_open_plan(plan)
        before = [(plan.fund_id, plan.amount_minor)]
        current = [(part.fund_id, part.amount_minor) for part in plan.allocations.order_by("position")] or before
        wanted = [(part.fund.pk, part.amount_minor) for part in parts]
        if current == wanted:
            return plan
        plan.fund = parts[0].fund
        plan.save(update_fields=["fund"])
        plan.allocations.all().delete()
        if len(parts) > 1:
            allocations.record_plan_parts(plan, parts)
        _record_change(plan, PlanChange.Kind.FUNDS, detail=_parts_in_words(plan, parts))
    logger.info("monthly plan %s now gives to %s funds", plan.public_id, len(parts))
    return plan


def _parts_in_words(plan: RecurringPlan, parts: list[allocations.Part]) -> str:
    if len(parts) == 1:
        return parts[0].fund.name
    named = [f"{part.fund.name} ({format_money(part.amount_minor, plan.currency)})" for part in parts]
    return ", ".join(named[:-1]) + " and " + named[-1]


def pause(*, plan: RecurringPlan, months: int) -> RecurringPlan:
    """No charge for the next `months` (1 to 3): Stripe voids the invoices
    of the pause (payments.stripe.pause_subscription) and collects again
    after it on its own. Locked before Stripe is called, as change_amount
    is. A paused plan is paused again from now."""
    if months not in PAUSE_MONTHS:
        raise PlanChangeRefused("A monthly gift can be paused for one, two or three months.")
    with transaction.atomic():
        plan = _locked_open_plan(plan)
        if plan.status != PlanStatus.ACTIVE:
            raise PlanChangeRefused("Only a monthly gift that is being paid can be paused.")
        # Whole seconds, as Stripe keeps it: its event then matches the plan.
        until = selectors.add_months(timezone.now(), months).replace(microsecond=0)
        stripe_gateway.pause_subscription(plan.stripe_subscription_id, resumes_at=until)
        plan.paused_until = until
        plan.save(update_fields=["paused_until"])
        _record_change(plan, PlanChange.Kind.PAUSED, detail=_until_in_words(until))
    logger.info("monthly plan %s paused until %s", plan.public_id, until)
    return plan


def _until_in_words(until) -> str:
    return f"until {timezone.localtime(until):%-d %B %Y}"


def resume(*, plan: RecurringPlan) -> RecurringPlan:
    """End the pause now: the next month's invoice is charged. A plan not
    paused asks nothing of Stripe and tells the donor nothing."""
    with transaction.atomic():
        plan = _locked_open_plan(plan)
        if plan.paused_until is None:
            return plan
        stripe_gateway.resume_subscription(plan.stripe_subscription_id)
        _end_pause(plan)
    return plan


def _end_pause(plan: RecurringPlan) -> None:
    """A locked, paused plan is active again; the donor is told once (the
    pause is cleared in the same transaction as the change is recorded)."""
    plan.paused_until = None
    plan.save(update_fields=["paused_until"])
    _record_change(plan, PlanChange.Kind.RESUMED)
    logger.info("monthly plan %s resumed", plan.public_id)


def end_finished_pauses(*, plan_ids: list[int]) -> int:
    """Plans whose pause has ended (Stripe collects again on its own at its
    resumes_at): shown active again, and the donor told once. Safe to run
    twice: a plan's pause is looked at under its lock. Returns how many."""
    ended = 0
    for plan_id in plan_ids:
        with transaction.atomic():
            plan = RecurringPlan.objects.select_for_update().get(pk=plan_id)
            if plan.paused_until is None or plan.paused_until > timezone.now() or plan.status == PlanStatus.CANCELED:
                continue
            _end_pause(plan)
            ended += 1
    return ended


def start_card_change(*, plan: RecurringPlan) -> str:
    """A SetupIntent for the plan's own Stripe customer, for Stripe.js to
    confirm with the new card; returns its client secret."""
    if plan.status == PlanStatus.CANCELED:
        raise PlanChangeRefused("This monthly gift has been stopped.")
    if not plan.stripe_customer_id:
        raise PlanChangeRefused("This monthly gift has no card to change yet.")
    return stripe_gateway.create_customer_setup_intent(customer_id=plan.stripe_customer_id)


def change_card(*, plan: RecurringPlan, setup_intent_id: str) -> RecurringPlan:
    """Charge future months to the card the donor just saved: the
    SetupIntent must have succeeded, for this plan's own customer (one
    made for anyone else's is refused, whoever sends its id). The same
    SetupIntent sent again is one change and one email."""
    if plan.status == PlanStatus.CANCELED:
        raise PlanChangeRefused("This monthly gift has been stopped.")
    try:
        intent = stripe_gateway.retrieve_setup_intent(setup_intent_id)
    except stripe_gateway.NotFound:
        intent = None
    if intent is None or not plan.stripe_customer_id or intent.customer_id != plan.stripe_customer_id:
        raise PlanChangeRefused("That card was not saved for this monthly gift. Please enter it again.")
    if intent.status != "succeeded" or not intent.payment_method_id:
        raise PlanChangeRefused("Your new card was not saved. Please enter it again.")
    with transaction.atomic():
        plan = _locked_open_plan(plan)
        if PlanChange.objects.filter(stripe_setup_intent_id=intent.id).exists():
            return plan
        stripe_gateway.set_default_card(customer_id=plan.stripe_customer_id, payment_method=intent.payment_method_id)
        _record_change(plan, PlanChange.Kind.CARD, stripe_setup_intent_id=intent.id)
    logger.info("monthly plan %s has a new card", plan.public_id)
    return plan


def send_plan_change_notice(*, change_id: int) -> bool:
    """Email the donor one change they made, once. Marked only after the
    provider took it, so a failed send is retried; a worker that dies in
    between sends it again with the same Message-ID, which mail clients
    show as one message."""
    change = PlanChange.objects.select_related("plan__donor", "plan__campaign").get(pk=change_id)
    if change.notice_sent_at is not None:
        return False
    emails.plan_change_message(change).send()
    PlanChange.objects.filter(pk=change_id).update(notice_sent_at=timezone.now())
    return True


def revoke_links(*, plan_ids: list[int]) -> int:
    """Every link to these plans' pages made so far stops working; the next
    email carries a new one. Returns how many plans."""
    with transaction.atomic():
        revoked = RecurringPlan.objects.filter(pk__in=plan_ids).update(link_version=F("link_version") + 1)
    logger.info("links revoked for %s monthly plans", revoked)
    return revoked


def offer_fresh_link(*, plan: RecurringPlan, client_address: str) -> bool:
    """Someone holding an expired link asked for a new one: queued for the
    plan's donor address unless this plan or this address asked too often
    (MONTHLY_LINK_EMAIL_RATE_LIMIT), so nobody can flood a donor's inbox;
    with Redis down that cannot be counted, and nothing is sent (fail safe).
    The caller answers the same either way."""
    rate = settings.MONTHLY_LINK_EMAIL_RATE_LIMIT
    try:
        waits = [
            rate_limit.seconds_until_allowed(scope="plan-link-email", identity=identity, rate=rate, fail_safe=True)
            for identity in (f"plan:{plan.pk}", f"address:{client_address}")
        ]
    except shared_cache.SharedCacheDown:
        logger.warning("fresh link for monthly plan %s not sent: Redis is unreachable", plan.public_id)
        return False
    if max(waits):
        logger.info("fresh link for monthly plan %s not sent: asked too often", plan.public_id)
        return False
    # Recorded first, so the beat sweep sends it if its task is lost.
    RecurringPlan.objects.filter(pk=plan.pk).update(fresh_link_requested_at=timezone.now())
    task_queue.enqueue_on_commit(tasks.send_fresh_plan_link, plan.pk)
    return True


def send_fresh_link(*, plan_id: int) -> bool:
    """A donor whose link expired asked for a new one: it goes to the
    plan's donor address only, whoever asked. Sent once per request, as
    plan change notices are (marked after the provider took it)."""
    plan = RecurringPlan.objects.select_related("donor", "campaign").get(pk=plan_id)
    asked_at = plan.fresh_link_requested_at
    if asked_at is None:
        return False
    emails.fresh_link_message(plan).send()
    # A request made while this one was sent is answered by this email too.
    RecurringPlan.objects.filter(pk=plan_id, fresh_link_requested_at__gte=asked_at).update(fresh_link_requested_at=None)
    return True


def send_renewal_failed_notice(*, donation_id: int) -> bool:
    """Tell the donor a renewal failed, once per invoice: the plan
    remembers the invoice it sent a notice for. Marked only after the
    provider took it, so a failed send is retried (by the task, then the
    beat sweep); a worker that dies in between sends it again with the same
    Message-ID, as plan change notices do."""
    donation = Donation.objects.select_related("recurring_plan").get(pk=donation_id)
    plan = donation.recurring_plan
    if donation.status != Status.FAILED or plan.failure_notice_invoice_id == donation.invoice_id:
        return False
    emails.renewal_failed_message(donation).send()
    RecurringPlan.objects.filter(pk=plan.pk).update(failure_notice_invoice_id=donation.invoice_id)
    return True
