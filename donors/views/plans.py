"""The donor's monthly gift in their portal: what it gives, and the
changes they can make to it (amount, funds, card, pause, stop). Each is a
service of donations.services.recurring, shared with the signed-link page
(donations.views.manage_plan), and each is emailed to the donor once."""

from decimal import Decimal

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.money import CURRENCIES
from donations import selectors
from donations.forms import PlanAmountForm, PlanFundsForm, PlanPauseForm
from donations.services import recurring
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


def _apply(request, plan, action, forms, errors) -> str | None:
    """Carry out the POSTed change: what was done, or None (the reason is
    then in `forms` or `errors`)."""
    try:
        if action == "cancel":
            recurring.cancel(plan=plan, by_donor=True)
            return "canceled"
        if action == "resume":
            recurring.resume(plan=plan)
            return "resumed"
        if action == "card":
            setup_intent = request.POST.get("setup_intent", "")
            if not setup_intent.startswith("seti_"):
                errors["card_error"] = "Your new card was not saved. Please enter it again."
                return None
            recurring.change_card(plan=plan, setup_intent_id=setup_intent)
            return "card"
        form_name, run = {
            "change": ("amount_form", _change_amount),
            "funds": ("funds_form", _change_funds),
            "pause": ("pause_form", _pause),
        }.get(action, (None, None))
        if form_name is None:
            return None
        form = forms[form_name] = type(forms[form_name])(request.POST, **_form_options(form_name, plan))
        if not form.is_valid():
            return None
        return run(plan, form)
    except recurring.PlanChangeRefused as refused:
        field = {"change": "amount_form", "funds": "funds_form", "pause": "pause_form"}.get(action)
        if field and forms[field].is_bound:
            forms[field].add_error(None if field == "funds_form" else _first_field(forms[field]), str(refused))
        elif action == "card":
            errors["card_error"] = str(refused)
        else:
            errors["action_error"] = str(refused)
        return None


def _form_options(form_name: str, plan) -> dict:
    return {} if form_name == "pause_form" else {"plan": plan}


def _first_field(form) -> str:
    return next(iter(form.fields))


def _change_amount(plan, form) -> str:
    recurring.change_amount(plan=plan, amount_minor=form.cleaned_data["amount_minor"])
    return "changed"


def _change_funds(plan, form) -> str:
    recurring.change_funds(plan=plan, parts=form.parts)
    return "funds"


def _pause(plan, form) -> str:
    recurring.pause(plan=plan, months=form.cleaned_data["months"])
    return "paused"


def _current_funds(plan) -> dict:
    """The funds form as the plan stands (major units, as typed)."""
    parts = selectors.parts_of_plan(plan)
    if not parts:
        return {"giving": "one", "fund": plan.fund.slug}
    exponent = CURRENCIES[plan.currency].exponent
    return {"giving": "split", **{f"part_{p.fund.slug}": Decimal(p.amount_minor).scaleb(-exponent) for p in parts}}


@donor_required_api
@require_POST
def card_setup(request, public_id):
    """A SetupIntent for the plan's own Stripe customer, for the page's
    Stripe.js to confirm with the new card (static/js/plan_card.js)."""
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
