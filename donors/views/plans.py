"""The donor's monthly gift in their portal: what it gives, and the
changes they can make to it (amount, funds, card, pause, stop). Each is a
service of donations.services.recurring, shared with the signed-link page
(donations.views.manage_plan), and each is emailed to the donor once."""

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.money import as_decimal
from donations import selectors
from donations.forms import PlanAmountForm, PlanFundsForm, PlanPauseForm
from donations.services import recurring
from donations.views import limit_attempts
from donors.session import donor_required, donor_required_api
from payments.stripe import StripeUnavailable

UNREACHABLE = "We could not reach our payment processor. Please try again in a minute."


@donor_required
@require_http_methods(["GET", "POST"])
def plan(request, public_id):
    """The signed-in donor's own plan; anyone else's is a 404. A POST names
    its `action`; a refused change answers 400 with the reason by its form."""
    plan = selectors.plan_of_donor(request.donor, public_id)
    if plan is None:
        raise Http404("No such monthly gift.")
    forms = {
        "amount_form": PlanAmountForm(plan=plan),
        "funds_form": PlanFundsForm(plan=plan, initial=_current_funds(plan)),
        "pause_form": PlanPauseForm(),
    }
    errors = {"processor_error": None, "card_error": None, "action_error": None}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            done = _apply(request, plan, action, forms, errors)
        except StripeUnavailable:
            errors["processor_error"] = UNREACHABLE
            done = None
        if done:
            return redirect(f"{request.path}?done={done}")
        if not any(errors.values()) and not any(form.errors for form in forms.values()):
            errors["action_error"] = "Choose one of the changes on this page."
        plan.refresh_from_db()
    failed = any(errors.values()) or any(form.errors for form in forms.values())
    return render(
        request,
        "donors/plan.html",
        {
            "donor": request.donor,
            "portal_section": "plans",
            "plan": plan,
            "parts": selectors.parts_of_plan(plan),
            "next_charge_on": selectors.next_charge_on(plan),
            "done": request.GET.get("done"),
            "stripe_js_url": settings.STRIPE_JS_URL,
            "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            **forms,
            **errors,
        },
        status=400 if failed else 200,
    )


# The changes made with a form: the action, its form in the page's context,
# the field a refusal is shown by (None: above the form), and the service.
FORM_ACTIONS = {
    "change": (
        "amount_form",
        "amount",
        lambda plan, data, form: recurring.change_amount(plan=plan, amount_minor=data["amount_minor"]),
    ),
    "funds": ("funds_form", None, lambda plan, data, form: recurring.change_funds(plan=plan, parts=form.parts)),
    "pause": ("pause_form", "months", lambda plan, data, form: recurring.pause(plan=plan, months=data["months"])),
}
DONE = {
    "change": "changed",
    "funds": "funds",
    "pause": "paused",
    "card": "card",
    "resume": "resumed",
    "cancel": "canceled",
}


def _apply(request, plan, action, forms, errors) -> str | None:
    """Carry out the POSTed change: what was done (for the page's thanks),
    or None, the reason then in `forms` or `errors`."""
    if action in FORM_ACTIONS:
        name, field, change = FORM_ACTIONS[action]
        form = forms[name] = _bound(name, request.POST, plan)
        if not form.is_valid():
            return None
        try:
            change(plan, form.cleaned_data, form)
        except recurring.PlanChangeRefused as refused:
            form.add_error(field, str(refused))
            return None
        return DONE[action]
    try:
        if action == "cancel":
            recurring.cancel(plan=plan, by_donor=True)
        elif action == "resume":
            recurring.resume(plan=plan)
        elif action == "card":
            setup_intent = request.POST.get("setup_intent", "")
            if not setup_intent.startswith("seti_"):
                errors["card_error"] = "Your new card was not saved. Please enter it again."
                return None
            recurring.change_card(plan=plan, setup_intent_id=setup_intent)
        else:
            return None
    except recurring.PlanChangeRefused as refused:
        errors["card_error" if action == "card" else "action_error"] = str(refused)
        return None
    return DONE[action]


def _bound(name: str, data, plan):
    if name == "amount_form":
        return PlanAmountForm(data, plan=plan)
    if name == "funds_form":
        return PlanFundsForm(data, plan=plan)
    return PlanPauseForm(data)


def _current_funds(plan) -> dict:
    """The funds form as the plan stands (major units, as typed)."""
    parts = selectors.parts_of_plan(plan)
    if not parts:
        return {"giving": "one", "fund": plan.fund.slug}
    return {"giving": "split", **{f"part_{p.fund.slug}": as_decimal(p.amount_minor, plan.currency) for p in parts}}


@donor_required_api
@require_POST
@limit_attempts("setup-intent")
def card_setup(request, public_id):
    """A SetupIntent for the plan's own Stripe customer, for the page's
    Stripe.js to confirm with the new card (static/js/plan_card.js);
    counted with the donate form's card set-ups per client address, as
    each one lets Stripe.js try a card."""
    plan = selectors.plan_of_donor(request.donor, public_id)
    if plan is None:
        return JsonResponse({"error": {"code": "not_found", "message": "No such monthly gift."}}, status=404)
    try:
        client_secret = recurring.start_card_change(plan=plan)
    except recurring.PlanChangeRefused as refused:
        return JsonResponse({"error": {"code": "refused", "message": str(refused)}}, status=400)
    except StripeUnavailable:
        return JsonResponse({"error": {"code": "processor_unavailable", "message": UNREACHABLE}}, status=503)
    return JsonResponse({"client_secret": client_secret}, status=201)
