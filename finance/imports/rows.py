"""Checking the rows of an offline gift file, each against the gift rules
(donations.rules) and the import's own: every row valid, or every problem
reported, one error per bad row. Reads only."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from campaigns import selectors as campaign_selectors
from core.money import CURRENCIES
from donations import rules
from donations.services import offline
from donations.services.gifts import DonorDetails
from donations.services.organizations import OrganizationDetails
from finance.imports.reader import REQUIRED_COLUMNS, records
from finance.models import OfflineGift
from finance.selectors import imports as selectors

# Rows checked between two progress saves: often enough for the page, few
# enough writes not to slow the check.
PROGRESS_EVERY = 500

# The longest value each free-text column may hold (the ledger's limits).
MAX_LENGTHS = {
    "email": 254,
    "first_name": 100,
    "last_name": 100,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "message": 500,
    "reference": 100,
    "organization": 200,
    "benefit_description": 200,
}
METHODS = tuple(OfflineGift.Method.values)
YES, NO = "yes", "no"


@dataclass(frozen=True)
class CheckedRow:
    line: int
    gift: offline.OfflineGiftRequest
    method: str
    reference: str


@dataclass(frozen=True)
class CheckResult:
    rows: list[CheckedRow]
    # [{"line": 4, "message": "..."}], one per bad row, in line order.
    errors: list[dict]

    @property
    def totals_minor(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for row in self.rows:
            totals[row.gift.currency] = totals.get(row.gift.currency, 0) + row.gift.amount_minor
        return totals


def check_rows(text: str, *, on_progress: Callable[[int], None] | None = None) -> CheckResult:
    """Every row checked; all of them valid or every problem reported, one
    error per bad row. Reads only. Raises ImportFileError for a bad file."""
    checker = _RowChecker(today=timezone.localdate())
    first_line_of: dict[str, int] = {}
    rows, errors, done = [], [], 0
    for chunk in _chunks(records(text), PROGRESS_EVERY):
        imported_before = selectors.references_already_imported([cells.get("reference", "") for _, cells in chunk])
        for line, cells in chunk:
            problems, row = checker.check(line, cells)
            reference = cells.get("reference", "")
            if reference in imported_before:
                problems.append(f"reference '{reference}' was imported before")
            elif reference and reference in first_line_of:
                problems.append(f"reference '{reference}' is also on line {first_line_of[reference]}")
            elif reference:
                first_line_of[reference] = line
            if problems:
                errors.append({"line": line, "message": "; ".join(problems)})
            else:
                rows.append(row)
        done += len(chunk)
        if on_progress is not None:
            on_progress(done)
    return CheckResult(rows=rows, errors=errors)


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


AMOUNT = re.compile(r"^\d+(\.\d+)?$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _RowChecker:
    """Checks one row at a time; remembers the campaigns it has looked up,
    with their funds, teams and fundraisers, so a file of thousands of rows
    for a few campaigns makes a few queries."""

    def __init__(self, *, today: date):
        self.today = today
        self._campaigns, self._funds, self._pages = {}, {}, {}

    def check(self, line: int, cells: dict[str, str]) -> tuple[list[str], CheckedRow | None]:
        if "" in cells:
            return [cells[""]], None
        problems: list[str] = []
        for column in REQUIRED_COLUMNS:
            if not cells[column]:
                problems.append(f"{column} is required")
        for column, limit in MAX_LENGTHS.items():
            if len(cells.get(column, "")) > limit:
                problems.append(f"{column} is longer than {limit} characters")

        received_on = self._date(cells["date"], problems)
        currency = self._currency(cells["currency"], problems)
        amount_minor = self._amount(cells["amount"], currency, problems)
        benefit_description, benefit_value_minor = self._benefit(cells, currency, amount_minor, problems)
        campaign, fund, team, fundraiser = self._attribution(cells, currency, problems)
        email = cells["email"].lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(f"email '{cells['email']}' is not an email address")
        country = cells.get("country", "").upper()
        if country and not rules.is_country_code(country):
            problems.append(f"country '{cells['country']}' is not a two-letter country code such as US")
        method = cells["method"].lower()
        if method and method not in METHODS:
            problems.append(f"method '{cells['method']}' must be one of {', '.join(METHODS)}")
        wants_receipt = self._yes_or_no(cells, "receipt", default=True, problems=problems)
        anonymous = self._yes_or_no(cells, "anonymous", default=False, problems=problems)
        if problems:
            return problems, None

        donor = DonorDetails(
            email=email,
            first_name=cells["first_name"],
            last_name=cells["last_name"],
            address_line1=cells.get("address_line1", ""),
            address_line2=cells.get("address_line2", ""),
            city=cells.get("city", ""),
            region=cells.get("region", ""),
            postal_code=cells.get("postal_code", ""),
            country=country,
        )
        address = {name: getattr(donor, name) for name in OrganizationDetails.ADDRESS_FIELDS}
        organization = cells.get("organization", "")
        gift = offline.OfflineGiftRequest(
            campaign=campaign,
            team=team,
            fundraiser=fundraiser,
            fund=fund,
            amount_minor=amount_minor,
            currency=currency,
            received_on=received_on,
            donor=donor,
            wants_receipt=wants_receipt,
            anonymous=anonymous,
            message=cells.get("message", ""),
            organization=OrganizationDetails(name=organization, **address) if organization else None,
            benefit_description=benefit_description,
            benefit_value_minor=benefit_value_minor,
        )
        return [], CheckedRow(line=line, gift=gift, method=method, reference=cells["reference"])

    def _date(self, value: str, problems: list[str]) -> date | None:
        if not value:
            return None
        try:
            # fromisoformat alone would also take 20260105 and 2026-W01-1.
            received_on = date.fromisoformat(value) if ISO_DATE.match(value) else None
        except ValueError:
            received_on = None
        if received_on is None:
            problems.append(f"date '{value}' is not a date in the form YYYY-MM-DD")
        elif received_on > self.today:
            problems.append(f"date {value} is in the future")
            return None
        return received_on

    def _currency(self, value: str, problems: list[str]) -> str | None:
        currency = value.lower()
        if currency and not rules.is_accepted_currency(currency):
            problems.append(f"currency '{value}' is not one we accept ({', '.join(c.upper() for c in CURRENCIES)})")
            return None
        return currency or None

    def _amount(self, value: str, currency: str | None, problems: list[str]) -> int | None:
        amount_minor = self._money("amount", value, currency, problems)
        if amount_minor is None:
            return None
        limits = rules.amount_limits(currency, online=False)
        if not limits.allow(amount_minor):
            problems.append(f"amount {value} is outside the limits: gifts must be {limits.range_text}")
            return None
        return amount_minor

    def _benefit(
        self, cells: dict[str, str], currency: str | None, amount_minor: int | None, problems: list[str]
    ) -> tuple[str, int]:
        """What the giver received in return, and its value: both columns
        or neither, the value no more than the gift (the rest of which is
        what the donor may deduct)."""
        description, value = cells.get("benefit_description", ""), cells.get("benefit_value", "")
        if not description and not value:
            return "", 0
        if not value:
            problems.append("benefit_value is required with a benefit_description")
            return "", 0
        if not description:
            problems.append("benefit_description is required with a benefit_value")
        value_minor = self._money("benefit_value", value, currency, problems)
        if value_minor is None:
            return "", 0
        if amount_minor is not None and value_minor > amount_minor:
            problems.append(
                f"benefit_value {value} is more than the amount {cells['amount']}; "
                "what the giver received in return cannot be worth more than the gift"
            )
        return description, value_minor

    @staticmethod
    def _money(column: str, value: str, currency: str | None, problems: list[str]) -> int | None:
        """`value`, in `currency`'s minor units, if it is an amount above zero."""
        if not value:
            return None
        if "," in value:
            problems.append(
                f"{column} '{value}': write it with a dot for decimals and no thousands separators, like 1000.00"
            )
            return None
        negative = value.startswith("-") and AMOUNT.match(value[1:])
        if negative or (AMOUNT.match(value) and Decimal(value) == 0):
            problems.append(f"{column} {value} must be more than zero")
            return None
        if not AMOUNT.match(value):
            problems.append(f"{column} '{value}' is not an amount; write it like 50.00")
            return None
        if currency is None:
            return None
        exponent = CURRENCIES[currency].exponent
        decimals = len(value.partition(".")[2])
        if decimals > exponent:
            problems.append(
                f"{column} {value} has {decimals} decimals; {currency.upper()} amounts have at most {exponent}"
            )
            return None
        return int(Decimal(value).scaleb(exponent))

    def _attribution(self, cells: dict[str, str], currency: str | None, problems: list[str]):
        slug = cells["campaign"]
        if not slug:
            return None, None, None, None
        if slug not in self._campaigns:
            self._campaigns[slug] = campaign_selectors.campaign_by_slug(slug, include_drafts=True)
        campaign = self._campaigns[slug]
        if campaign is None:
            problems.append(f"there is no campaign '{slug}'")
            return None, None, None, None
        if currency and currency != campaign.currency:
            problems.append(
                f"currency {currency.upper()} does not match campaign '{slug}', which takes {campaign.currency.upper()}"
            )
        # Offline gifts are not held to the campaign's dates
        # (rules.campaign_not_taking_gifts with online=False): they were given.
        fund = self._fund(campaign, cells["fund"], problems)
        team = self._team(campaign, cells.get("team", ""), problems)
        fundraiser = self._fundraiser(campaign, cells.get("fundraiser", ""), problems)
        attribution = rules.attribute(team=team, fundraiser=fundraiser)
        if attribution.fundraiser_not_on_team:
            problems.append(f"fundraiser '{fundraiser.slug}' is not on team '{team.slug}'")
        return campaign, fund, attribution.team, attribution.fundraiser

    def _fund(self, campaign, slug: str, problems: list[str]):
        if campaign.pk not in self._funds:
            self._funds[campaign.pk] = campaign_selectors.funds_offered(campaign)
        fund = rules.offered_fund(campaign, slug, offered=self._funds[campaign.pk])
        if slug and fund is None:
            problems.append(f"campaign '{campaign.slug}' does not offer a fund '{slug}'")
        return fund

    # Hidden teams and fundraisers still take offline gifts: the money was
    # given to them, and what a hidden page raised still counts.
    def _team(self, campaign, slug: str, problems: list[str]):
        if not slug:
            return None
        team = self._pages_of(campaign)[0].get(slug)
        if team is None:
            problems.append(f"campaign '{campaign.slug}' has no team '{slug}'")
        return team

    def _fundraiser(self, campaign, slug: str, problems: list[str]):
        if not slug:
            return None
        fundraiser = self._pages_of(campaign)[1].get(slug)
        if fundraiser is None:
            problems.append(f"campaign '{campaign.slug}' has no fundraiser '{slug}'")
        return fundraiser

    def _pages_of(self, campaign) -> tuple[dict, dict]:
        # All of a campaign's teams and fundraisers in two queries: a file
        # naming thousands of them would otherwise make one query each.
        if campaign.pk not in self._pages:
            self._pages[campaign.pk] = campaign_selectors.teams_and_fundraisers_by_slug(campaign)
        return self._pages[campaign.pk]

    @staticmethod
    def _yes_or_no(cells: dict[str, str], column: str, *, default: bool, problems: list[str]) -> bool:
        value = cells.get(column, "").lower()
        if not value:
            return default
        if value not in (YES, NO):
            problems.append(f"{column} must be yes or no, not '{cells[column]}'")
        return value == YES
