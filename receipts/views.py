"""The donor's pages: download a receipt again, unsubscribe from updates."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from donations import update_consent
from receipts import documents, selectors
from receipts.services import suppression


@require_GET
def receipt_pdf(request, token: str):
    receipt = selectors.receipt_by_token(token)
    if receipt is None:
        raise Http404("No such receipt.")
    return pdf_response(receipt)


def pdf_response(receipt) -> HttpResponse:
    """The receipt's PDF, drawn from its stored record. It names the donor
    and their address, and its link (or a session) is the only key: kept
    out of shared caches and search engines wherever it is served."""
    facts = documents.ReceiptFacts.from_record(receipt.record)
    pdf = documents.receipt_pdf(facts, is_void=receipt.status == receipt.Status.VOID)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{receipt.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


# RFC 8058: mail providers POST `List-Unsubscribe=One-Click` here without a
# CSRF token; the unguessable token in the URL is what authorises it.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    delivery = selectors.delivery_by_unsubscribe_token(token)
    if delivery is None:
        return render(request, "receipts/unsubscribe_unknown.html", status=404)
    if request.method == "POST":
        suppression.unsubscribe(token=token)
        return render(request, "receipts/unsubscribed.html", {"email": delivery.donor.email})
    email = delivery.donor.email
    # The words the consent record of the unsubscribe keeps.
    question = update_consent.UNSUBSCRIBE_LINK.format(email=email)
    return render(request, "receipts/unsubscribe.html", {"email": email, "question": question})
