"""The offline gift import pages: the list of imports with the upload form
(finance:imports), one import's progress and outcome (finance:import-detail),
its status as JSON for that page's poll, and the example file.

Only people who may import see imports at all: an import's page repeats the
file's bad rows, donors' names and email addresses included."""

from django import forms
from django.conf import settings
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from finance.access import finance_permission_required
from finance.imports import reader, runner
from finance.selectors import imports as selectors

importers_only = finance_permission_required("finance.import_gifts")

EXAMPLE_FILE = settings.BASE_DIR / "docs" / "offline-gifts-example.csv"
# A page of ten thousand error rows helps no one; the first ones show what
# to fix, and the command lists every one.
ERRORS_SHOWN = 500


class GiftImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV, at most 10 MB and 50,000 rows. The first line names the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    dry_run = forms.BooleanField(
        required=False,
        label="Dry run: check every row and report, import nothing",
    )
    tell_fundraisers = forms.BooleanField(
        required=False,
        label="Email each fundraiser and team captain about the gifts to their page",
        help_text="As for a gift made online. Leave it unticked for a file of past gifts.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError("Choose a .csv file (in a spreadsheet: Save as, CSV UTF-8).")
        try:
            reader.check_file_size(upload.size)
            self.cleaned_data["import_file"] = reader.read_import_file(upload.read())
        except reader.ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload


@importers_only
@require_http_methods(["GET", "POST"])
def imports_page(request):
    form = GiftImportForm(request.POST, request.FILES) if request.method == "POST" else GiftImportForm()
    if form.is_bound and form.is_valid():
        gift_import = runner.start_gift_import(
            file_name=form.cleaned_data["file"].name,
            import_file=form.cleaned_data["import_file"],
            dry_run=form.cleaned_data["dry_run"],
            tell_fundraisers=form.cleaned_data["tell_fundraisers"],
            user=request.user,
        )
        return redirect("finance:import-detail", public_id=gift_import.public_id)
    context = {
        "form": form,
        "imports": selectors.recent_imports(),
        "required_columns": reader.REQUIRED_COLUMNS,
        "optional_columns": reader.OPTIONAL_COLUMNS,
    }
    return render(request, "finance/imports.html", context, status=400 if form.is_bound else 200)


def _gift_import_or_404(public_id):
    gift_import = selectors.gift_import_by_public_id(public_id)
    if gift_import is None:
        raise Http404("No such import.")
    return gift_import


@importers_only
@require_GET
def import_detail(request, public_id):
    gift_import = _gift_import_or_404(public_id)
    errors = gift_import.errors
    context = {
        "gift_import": gift_import,
        "progress": selectors.import_progress(gift_import),
        "totals": selectors.totals_text(gift_import.totals_minor),
        "bad_rows": len({error["line"] for error in errors}),
        "errors": errors[:ERRORS_SHOWN],
        "errors_hidden": max(len(errors) - ERRORS_SHOWN, 0),
    }
    return render(request, "finance/import_detail.html", context)


@importers_only
@require_GET
def import_status(request, public_id):
    return JsonResponse(selectors.import_progress(_gift_import_or_404(public_id)))


@importers_only
@require_GET
def import_example(request):
    return FileResponse(
        EXAMPLE_FILE.open("rb"), as_attachment=True, filename=EXAMPLE_FILE.name, content_type="text/csv; charset=utf-8"
    )
