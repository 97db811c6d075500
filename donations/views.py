"""HTTP for gifts and Stripe webhooks: parse, call a service, answer."""

import dataclasses
import logging

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import rate_limit
from core.json_body import BadJsonBody, json_body
from donations import selectors
from donations.forms import FeeCoverForm, PlanAmountForm, parse_gift_request
from donations.models import Donation, GiftAidDeclaration, UpdateConsent
from donations.services import donate, gift_aid, recurring, stripe_events
from donations.services.card_checks import CardChecksPaused, Challenge, ChallengeRequired
from donations.services.gifts import IdempotencyKeyReused, covered_fee
from payments.stripe import InvalidWebhook, StripeRateLimited, StripeUnavailable

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_REUSED = {
    "error": {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was already used for a different request. Send a new key with a new gift.",
    }
}

PAYMENTS_UNAVAILABLE = {
    "error": {
        "code": "payments_unavailable",
        "message": "We could not reach our payment processor. Please try again in a minute.",
    }
}
# What that message says, for clients that read the header instead.
PAYMENTS_RETRY_AFTER_SECONDS = 60

# Stripe's rate limit is counted per second: past it (the request already
# waited out a few seconds of it), the donor can try again almost at once.
PAYMENTS_BUSY = {
    "error": {
        "code": "payments_unavailable",
        "message": "Our payment processor is very busy right now. Please try again in a few seconds.",
    }
}
PAYMENTS_BUSY_RETRY_AFTER_SECONDS = 5

# Whatever Stripe's reason (incorrect_cvc, expired_card, fraudulent...): a
# precise one tells a card tester what to change. The gift keeps Stripe's.
CARD_DECLINED = {
    "code": "card_declined",
    "message": "Your card was declined. Please try another card or contact your bank.",
}

# The page's challenge widget puts its one-use token here.
CHALLENGE_TOKEN_HEADER = "Captcha-Token"


def too_many_attempts(request, wait: int) -> JsonResponse:
    response = JsonResponse(
        {"error": {"code": "rate_limited", "message": f"Too many attempts. Try again in {wait} seconds."}},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def limit_attempts(scope: str):
    """429 with Retry-After once a client address has made more attempts
    than DONATION_RATE_LIMIT allows: the defence against card testing."""
    return rate_limit.limit_posts(scope, rate_setting="DONATION_RATE_LIMIT", answer=too_many_attempts)


def card_attempt_refused(request, refusal: Exception) -> JsonResponse:
    """The answer to a card attempt that card_checks refused."""
    if isinstance(refusal, ChallengeRequired):
        message = (
            "The check did not pass. Please try it again."
            if refusal.failed
            else "Please complete the check below to continue."
        )
        error = {"code": "challenge_required", "message": message}
        return JsonResponse(
            {"error": {**error, "provider": refusal.provider, "site_key": refusal.site_key}}, status=403
        )
    if isinstance(refusal, CardChecksPaused):
        minutes = max(1, round(refusal.seconds / 60))
        message = f"Card gifts are paused for everyone's safety. Please try again in about {minutes} minutes."
        response = JsonResponse({"error": {"code": "card_checks_paused", "message": message}}, status=429)
        response["Retry-After"] = str(refusal.seconds)
        return response
    return too_many_attempts(request, refusal.seconds)


CARD_ATTEMPT_REFUSALS = (rate_limit.RateLimited, ChallengeRequired, CardChecksPaused)


def payments_unavailable(outage: StripeUnavailable, *, doing: str) -> JsonResponse:
    """503 with Retry-After; nothing was charged (a gift stays pending)."""
    if isinstance(outage, StripeRateLimited):
        logger.warning("Stripe's rate limit refused us while %s", doing)
        body, wait = PAYMENTS_BUSY, PAYMENTS_BUSY_RETRY_AFTER_SECONDS
    else:
        logger.error("Stripe unavailable while %s", doing, exc_info=outage)
        body, wait = PAYMENTS_UNAVAILABLE, PAYMENTS_RETRY_AFTER_SECONDS
    response = JsonResponse(body, status=503)
    response["Retry-After"] = str(wait)
    return response


CLIENT_HEADER = "Hopefund-Client"
DONATE_FORM_CLIENT = "donate-form"


def gift_from_request(request, *, payment_method_required: bool):
    """(the validated GiftRequest, None), or (None, the 400/413 answer)."""
    try:
        body = json_body(request)
    except BadJsonBody as bad:
        return None, JsonResponse({"errors": {"__all__": [bad.message]}}, status=bad.status)
    gift, errors = parse_gift_request(
        body,
        idempotency_key=request.headers.get("Idempotency-Key") if payment_method_required else None,
        payment_method_required=payment_method_required,
    )
    if errors:
        return None, JsonResponse({"errors": errors}, status=400)
    if request.headers.get(CLIENT_HEADER) == DONATE_FORM_CLIENT:
        # Where a Gift Aid declaration was made (the donate form says it is
        # itself): provenance for the record, not a permission.
        # The same for the choice of impact updates (its consent record).
        gift = dataclasses.replace(
            gift,
            gift_aid_source=GiftAidDeclaration.Source.ONLINE_FORM,
            updates_source=UpdateConsent.Source.DONATE_FORM,
        )
    return gift, None


def challenge_of(request) -> Challenge:
    return Challenge(
        token=request.headers.get(CHALLENGE_TOKEN_HEADER), client_address=rate_limit.client_address(request)
    )


# The JSON API is not cookie-authenticated, so CSRF does not apply to it.
@csrf_exempt
@require_POST
@limit_attempts("donation")
def create_donation(request):
    gift, refused = gift_from_request(request, payment_method_required=True)
    if refused:
        return refused
    try:
        outcome = donate.take_gift(gift=gift, challenge=challenge_of(request))
    except CARD_ATTEMPT_REFUSALS as refusal:
        return card_attempt_refused(request, refusal)
    except IdempotencyKeyReused:
        return JsonResponse(IDEMPOTENCY_KEY_REUSED, status=422)
    except StripeUnavailable as outage:
        return payments_unavailable(outage, doing="charging a gift")

    donation = outcome.donation
    if donation.status == Donation.Status.FAILED:
        return JsonResponse({"id": str(donation.public_id), "error": CARD_DECLINED}, status=402)
    return JsonResponse(
        {
            "id": str(donation.public_id),
            "status": donation.status,
            "client_secret": outcome.client_secret,
            "amount_minor": donation.charged_minor,
            "currency": donation.currency,
        },
        status=201,
    )


@require_GET
# The rule changes only with a deploy: a CDN and the browser may keep it.
@cache_control(public=True, max_age=3600)
def fee_cover(request):
    """What a donor who covers the fees adds to a gift, by the rule the gift
    is charged by, so the donate form shows the exact amount before paying."""
    form = FeeCoverForm(request.GET)
    if not form.is_valid():
        errors = {field: [error["message"] for error in found] for field, found in form.errors.get_json_data().items()}
        return JsonResponse({"errors": errors}, status=400)
    amount, currency = form.cleaned_data["amount_minor"], form.cleaned_data["currency"]
    fee = covered_fee(amount)
    return JsonResponse({"amount_minor": amount, "currency": currency, "fee_minor": fee, "total_minor": amount + fee})


@csrf_exempt
@require_POST
@limit_attempts("setup-intent")
def create_setup_intent(request):
    """The first step of the donate form, sent the gift as it will be given
    (without its payment method): once the gift validates and passes the
    checks against card testing, a SetupIntent that Stripe.js confirms
    with the card element, handing the page a payment method id."""
    gift, refused = gift_from_request(request, payment_method_required=False)
    if refused:
        return refused
    try:
        client_secret = donate.start_card_form(gift=gift, challenge=challenge_of(request))
    except CARD_ATTEMPT_REFUSALS as refusal:
        return card_attempt_refused(request, refusal)
    except StripeUnavailable as outage:
        return payments_unavailable(outage, doing="creating a SetupIntent")
    return JsonResponse({"client_secret": client_secret}, status=201)


def _body_up_to(request, max_bytes: int) -> bytes | None:
    """The raw request body, or None when it is longer than `max_bytes`.
    Read from the stream, past DATA_UPLOAD_MAX_MEMORY_SIZE's check on
    request.body, and never more than one byte beyond the cap."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes:
        return None
    body = request.read(max_bytes + 1)
    return body if len(body) <= max_bytes else None


@csrf_exempt
@require_POST
def stripe_webhook(request):
    # The signature is over these exact bytes: nothing parses them first.
    payload = _body_up_to(request, settings.STRIPE_WEBHOOK_MAX_BYTES)
    if payload is None:
        logger.warning("refused a Stripe webhook over %s bytes", settings.STRIPE_WEBHOOK_MAX_BYTES)
        return JsonResponse(
            {"error": {"code": "payload_too_large", "message": "The event is larger than this endpoint accepts."}},
            status=413,
        )
    try:
        stored = stripe_events.receive_webhook(payload=payload, signature=request.headers.get("Stripe-Signature"))
    except InvalidWebhook as exc:
        logger.warning("refused a Stripe webhook: %s", exc)
        return JsonResponse({"error": {"code": "invalid_webhook", "message": str(exc)}}, status=400)
    except stripe_events.UnstorableEvent as exc:
        # Signed with our secret, yet no event Stripe sends: see store_stripe_event.
        logger.warning("refused a signed Stripe event we cannot store: %s", exc)
        return JsonResponse({"error": {"code": "unstorable_event", "message": str(exc)}}, status=400)
    return JsonResponse({"received": True, "duplicate": stored is None})


@require_http_methods(["GET", "POST"])
def manage_plan(request, token: str):
    """The donor's page for a monthly gift, reached from the signed link in
    their emails: change the amount, stop the gift, or turn off every
    other link. An expired link offers to email a fresh one; a forged or
    revoked link is a 404."""
    link = selectors.read_plan_link(token)
    if link is None:
        raise Http404("This link is not valid.")
    if link.expired:
        return _expired_plan_link(request, link.plan)
    plan = link.plan
    form = PlanAmountForm(plan=plan)
    # Outside the form: stopping the gift sends no amount, so no form is bound.
    processor_error = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "sign_out_others":
                recurring.revoke_links(plan_ids=[plan.pk])
                plan.refresh_from_db(fields=["link_version"])
                return redirect(selectors.plan_management_path(plan) + "?done=signed_out")
            if action == "cancel":
                recurring.cancel(plan=plan, by_donor=True)
                return redirect(request.path + "?done=canceled")
            form = PlanAmountForm(request.POST, plan=plan)
            if form.is_valid():
                recurring.change_amount(plan=plan, amount_minor=form.cleaned_data["amount_minor"])
                return redirect(request.path + "?done=changed")
        except recurring.PlanChangeRefused as exc:
            form.add_error("amount", str(exc))
        except StripeUnavailable:
            processor_error = "We could not reach our payment processor. Please try again in a minute."
        plan.refresh_from_db()
    return render(
        request,
        "donations/manage_plan.html",
        {
            "plan": plan,
            # A split plan's parts, named in place of its one fund.
            "parts": selectors.parts_of_plan(plan),
            "form": form,
            "processor_error": processor_error,
            "done": request.GET.get("done"),
            "link_max_age_days": settings.MONTHLY_LINK_MAX_AGE_DAYS,
        },
        status=400 if form.errors or processor_error else 200,
    )


def _expired_plan_link(request, plan):
    """410 with an offer to email a fresh link to the plan's donor address.
    The answer to that offer is the same whether it was sent or refused for
    asking too often, so it tells nothing about the donor."""
    asked = request.method == "POST" and request.POST.get("action") == "email_fresh_link"
    if asked:
        recurring.offer_fresh_link(plan=plan, client_address=rate_limit.client_address(request))
    return render(request, "donations/manage_plan_expired.html", {"asked": asked}, status=200 if asked else 410)


@require_http_methods(["GET", "POST"])
def cancel_gift_aid(request, token: str):
    """The donor's page to cancel their Gift Aid declaration, from the
    signed link in their receipt: GET asks them to confirm, POST (with the
    CSRF token, so no other site can cancel it for them) cancels it. A
    forged link is a 404 page; a used one says it is already cancelled."""
    declaration = selectors.declaration_of_cancel_link(token)
    if declaration is None:
        return render(request, "donations/gift_aid_cancel_invalid.html", status=404)
    if request.method == "POST":
        # A second confirmation (a double click, the back button) changes
        # nothing: the first cancellation stands.
        gift_aid.cancel_declaration(declaration=declaration, source=GiftAidDeclaration.CancellationSource.DONOR_LINK)
        return redirect(request.path)
    return render(request, "donations/gift_aid_cancel.html", {"declaration": declaration})
