"""Spreadsheet formula injection across every export at once: the finance
export (command and page, CSV and XLSX) and the admin's import-export
downloads of gifts, donors and refunds. Every text a person typed (a
donor's name, address, message, dedication; a team's or fundraiser's
name; a refund's note) is planted with a different formula start; no cell
of any export may then start like a formula, except amounts that really are
negative numbers (a refunded gift's net), which must stay numbers. The
escaping itself is finance/spreadsheets.py; per-export details are in
tests/finance/test_export_rows.py and test_admin_import_export.py."""

import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from donations.models import Refund
from finance.services.permissions import FINANCE_GROUP
from finance.spreadsheets import FORMULA_STARTS
from tests.auth import log_in
from tests.factories import DonationFactory, DonorFactory, FundraiserFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

# What each text a person types holds: one of each formula start.
PLANTED = {
    "donor_first_name": '=HYPERLINK("http://evil.example","click")',
    "donor_last_name": "+SUM(1,2)",
    "message": "-2+3+cmd|' /C calc'!A0",
    "dedication": "@SUM(A1:A9)",
    "donor_address_line1": "\t=1+1",
    "donor_city": "\r=1+1",
    "team": "=TEAM()",
    "fundraiser": "+FUNDRAISER()",
    "refund_note": "=NOTE()",
}

# (export, column) -> the planted text that column shows, for every place
# one of them reaches: a new export or column is one line here.
SHOWN = {
    **{
        (export, column): PLANTED[field]
        for export in ("finance-csv", "finance-xlsx", "command-csv", "command-xlsx")
        for column, field in (
            ("first_name", "donor_first_name"),
            ("last_name", "donor_last_name"),
            ("address_line1", "donor_address_line1"),
            ("city", "donor_city"),
            ("team", "team"),
            ("fundraiser", "fundraiser"),
        )
    },
    **{
        (export, column): PLANTED[column]
        for export in ("admin-gifts-csv", "admin-gifts-xlsx")
        for column in ("donor_first_name", "donor_last_name", "message", "dedication")
    },
    **{
        (export, column): PLANTED[f"donor_{column}"]
        for export in ("admin-donors-csv", "admin-donors-xlsx")
        for column in ("first_name", "last_name", "address_line1", "city")
    },
    ("admin-refunds-csv", "note"): PLANTED["refund_note"],
    ("admin-refunds-xlsx", "note"): PLANTED["refund_note"],
}
# Money columns, where a leading "-" is a negative number, not a formula.
MONEY_COLUMNS = {"amount", "fee_covered", "stripe_fee", "net", "refunded", "charged"}
NUMBER = re.compile(r"-?\d+(\.\d+)?")


@pytest.fixture
def planted(campaign, funds):
    """A refunded gift (net negative: Stripe keeps its fee) whose every
    free text is a formula, to a team and fundraiser named like formulas."""
    team = TeamFactory(campaign=campaign, slug="t", name=PLANTED["team"])
    fundraiser = FundraiserFactory(campaign=campaign, team=team, slug="f", name=PLANTED["fundraiser"])
    donor = DonorFactory(
        first_name=PLANTED["donor_first_name"],
        last_name=PLANTED["donor_last_name"],
        address_line1=PLANTED["donor_address_line1"],
        city=PLANTED["donor_city"],
    )
    gift = DonationFactory(
        refunded=True,
        campaign=campaign,
        team=team,
        fundraiser=fundraiser,
        fund=funds["rescue"],
        donor=donor,
        **{field: PLANTED[field] for field in ("donor_first_name", "donor_last_name", "message", "dedication")},
        donor_address_line1=PLANTED["donor_address_line1"],
        donor_city=PLANTED["donor_city"],
    )
    Refund.objects.create(
        donation=gift, amount_minor=gift.charged_minor, status="succeeded", note=PLANTED["refund_note"]
    )
    return gift


@pytest.fixture
def finance_client(client):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE_GROUP))
    return log_in(client, user)


def csv_table(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_table(data: bytes) -> list[dict]:
    """Rows by header; a formula cell is kept as ("FORMULA", its text) so no
    assertion can mistake it for text."""
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]

    def value(cell):
        return ("FORMULA", cell.value) if cell.data_type == "f" else cell.value

    return [{name: value(cell) for name, cell in zip(header, row, strict=True)} for row in rows[1:]]


def command_export(file_format: str, tmp_path) -> bytes:
    path = tmp_path / f"gifts.{file_format}"
    call_command("export_donations", "--output", str(path), "--format", file_format, stdout=io.StringIO())
    return path.read_bytes()


def page_export(client, file_format: str) -> bytes:
    response = client.get("/finance/export/", {"download": file_format})
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def admin_export(client, changelist: str, file_format: str) -> bytes:
    """As a person exports from a changelist: every column, one format
    (the order of FinanceExportMixin.export_formats)."""
    url = f"/admin/{changelist}/export/"
    form = client.get(url).context["form"]
    columns = {name: "on" for name in form.fields if name not in ("format", "resource", "export_items")}
    response = client.post(url, {"format": {"csv": "0", "xlsx": "1"}[file_format], "resource": "0", **columns})
    assert response.status_code == 200
    return response.content


EXPORTS = {
    "finance-csv": lambda client, tmp: csv_table(page_export(client, "csv")),
    "finance-xlsx": lambda client, tmp: xlsx_table(page_export(client, "xlsx")),
    "command-csv": lambda client, tmp: csv_table(command_export("csv", tmp)),
    "command-xlsx": lambda client, tmp: xlsx_table(command_export("xlsx", tmp)),
    "admin-gifts-csv": lambda client, tmp: csv_table(admin_export(client, "donations/donation", "csv")),
    "admin-gifts-xlsx": lambda client, tmp: xlsx_table(admin_export(client, "donations/donation", "xlsx")),
    "admin-donors-csv": lambda client, tmp: csv_table(admin_export(client, "donations/donor", "csv")),
    "admin-donors-xlsx": lambda client, tmp: xlsx_table(admin_export(client, "donations/donor", "xlsx")),
    "admin-refunds-csv": lambda client, tmp: csv_table(admin_export(client, "donations/refund", "csv")),
    "admin-refunds-xlsx": lambda client, tmp: xlsx_table(admin_export(client, "donations/refund", "xlsx")),
}


@pytest.mark.parametrize("export", EXPORTS)
def test_no_cell_of_any_export_starts_like_a_formula_and_planted_text_is_kept_behind_a_quote(
    finance_client, planted, tmp_path, export
):
    rows = EXPORTS[export](finance_client, tmp_path)

    assert rows
    for row in rows:
        for column, value in row.items():
            assert not isinstance(value, tuple), f"{export} {column} is a formula: {value}"
            if isinstance(value, str) and value.startswith(FORMULA_STARTS):
                assert column in MONEY_COLUMNS and NUMBER.fullmatch(value), f"{export} {column}: {value!r}"
    shown = {column: text for (name, column), text in SHOWN.items() if name == export}
    assert shown, f"{export} is in no row of SHOWN"
    for column, text in shown.items():
        if export.endswith("xlsx"):
            text = text.replace("\r", "\n")  # XML reads a CR in a cell back as LF
        assert [row[column] for row in rows] == ["'" + text], f"{export} {column}"


@pytest.mark.parametrize("export", ["finance-csv", "finance-xlsx", "command-xlsx", "admin-gifts-xlsx"])
def test_a_refunded_gifts_negative_net_stays_a_number(finance_client, planted, tmp_path, export):
    [row] = EXPORTS[export](finance_client, tmp_path)

    net = row["net"]
    if isinstance(net, str):  # CSV: the number's own text, no quote in front
        assert NUMBER.fullmatch(net) and Decimal(net) < 0, net
    else:  # XLSX: a number cell
        assert isinstance(net, int | float | Decimal) and net < 0, net
