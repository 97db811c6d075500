"""Reads for the finance overview: gross, fee covered, refunds, Stripe
fees and net by fund, campaign, month and day, per currency, aggregated in
the database with a fixed number of queries whatever the number of gifts.

Funds count a gift's parts (donations.models.Allocation): a $100 gift
split $60/$40 is $60 of one fund and $40 of another, each with its own
refunds, fee cover and share of Stripe's fee. Currencies, campaigns and
months count each gift once, whole; the money of the fund lines adds up to
the currency lines exactly."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from donations.models import Allocation, Donation

_FIGURES = {
    "gift_count": Count("id"),
    # What the donor was charged: the gift plus any fee they chose to cover.
    "gross_minor": Sum(F("amount_minor") + F("fee_covered_minor")),
    "refunds_minor": Sum("refunded_minor"),
    # Stripe's processing fee; offline gifts and gifts whose fee Stripe has
    # not reported yet have none.
    "fees_minor": Sum(Coalesce("stripe_fee_minor", Value(0))),
    # What donors added to cover fees; part of the gross.
    "fee_covered_minor": Sum("fee_covered_minor"),
}


@dataclass(frozen=True)
class Figures:
    gift_count: int = 0
    gross_minor: int = 0
    refunds_minor: int = 0
    fees_minor: int = 0
    fee_covered_minor: int = 0

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.refunds_minor - self.fees_minor

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(
            self.gift_count + other.gift_count,
            self.gross_minor + other.gross_minor,
            self.refunds_minor + other.refunds_minor,
            self.fees_minor + other.fees_minor,
            self.fee_covered_minor + other.fee_covered_minor,
        )

    @classmethod
    def of_row(cls, row: dict) -> "Figures":
        return cls(**{name: row[name] for name in _FIGURES})


@dataclass(frozen=True)
class TotalsLine:
    """One group's figures in one currency; `key` is the fund's,
    campaign's or organisation's name, or the month's first day."""

    key: str | date
    currency: str
    figures: Figures


@dataclass(frozen=True)
class DayTotals:
    day: date
    gift_count: int = 0
    # Gross per currency, minor units; absent currencies had no gift.
    gross_minor: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Overview:
    start: date
    end: date
    by_currency: list[TotalsLine]
    by_fund: list[TotalsLine]
    by_campaign: list[TotalsLine]
    by_organization: list[TotalsLine]
    by_month: list[TotalsLine]
    days: list[DayTotals]

    @property
    def currencies(self) -> list[str]:
        return [line.currency for line in self.by_currency]


def _gifts_between(start: date, end: date):
    """Reported gifts paid from the start of `start` to the end of `end`
    (both included), in the site's time zone."""
    zone = timezone.get_current_timezone()
    # The gifts the overview reports: those the campaign totals count, plus
    # gifts refunded in full, so that their refunds (and the Stripe fee, which
    # Stripe keeps) show. Gross less refunds is then exactly what the totals
    # count as raised. Failed, unpaid and lost-dispute gifts are left out, as
    # in the totals. Offline gifts are Donations like any other and count too.
    return Donation.objects.filter(
        status__in=Donation.REPORTED_STATUSES,
        succeeded_at__gte=datetime.combine(start, time.min, tzinfo=zone),
        succeeded_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


# No condition: every gift of the period.
_EVERY_GIFT = Q()


def _grouped(start: date, end: date, key, *order, among: Q = _EVERY_GIFT) -> list[TotalsLine]:
    """The figures of the period's gifts (those `among`, if given) grouped
    by `key` and currency, ordered by `order` (one query)."""
    rows = (
        _gifts_between(start, end)
        .filter(among)
        .annotate(key=key)
        .values("key", "currency")
        .annotate(**_FIGURES)
        .order_by(*order, "currency")
    )
    return [TotalsLine(row["key"], row["currency"], Figures.of_row(row)) for row in rows]


def totals_by_currency(*, start: date, end: date) -> list[TotalsLine]:
    """One line per currency, each gift once (one query)."""
    rows = _gifts_between(start, end).values("currency").annotate(**_FIGURES).order_by("currency")
    return [TotalsLine(row["currency"], row["currency"], Figures.of_row(row)) for row in rows]


def totals_by_fund(*, start: date, end: date) -> list[TotalsLine]:
    """One line per fund and currency from the parts of the gifts, in the
    funds' display order (one query). `gift_count` is the number of gifts
    that give to the fund (a split gift counts in each of its funds); the
    money is each part's own, Stripe's fee its share of the gift's."""
    rows = (
        Allocation.objects.filter(donation__in=_gifts_between(start, end))
        .values(key=F("fund__name"), currency=F("donation__currency"))
        .annotate(
            gift_count=Count("pk"),
            gross_minor=Sum(F("amount_minor") + F("fee_covered_minor")),
            refunds_minor=Sum("refunded_minor"),
            fees_minor=Sum(Coalesce("stripe_fee_minor", Value(0))),
            fee_covered_minor=Sum("fee_covered_minor"),
        )
        .order_by("fund__sort_order", "key", "currency")
    )
    return [TotalsLine(row["key"], row["currency"], Figures.of_row(row)) for row in rows]


def totals_by_campaign(*, start: date, end: date) -> list[TotalsLine]:
    """One line per campaign and currency, by title (one query)."""
    return _grouped(start, end, F("campaign__title"), "campaign__title")


def totals_by_organization(*, start: date, end: date) -> list[TotalsLine]:
    """One line per organisation given as (donor.organization) and currency,
    by name; gifts people gave as themselves are in no line (one query)."""
    return _grouped(start, end, F("organization__name"), "organization__name", among=Q(organization__isnull=False))


def totals_by_month(*, start: date, end: date) -> list[TotalsLine]:
    """One line per calendar month (site time zone) and currency, oldest
    first (one query)."""
    lines = _grouped(start, end, TruncMonth("succeeded_at"), "key")
    # TruncMonth gives an aware datetime; the month is what the page shows.
    return [TotalsLine(timezone.localtime(line.key).date(), line.currency, line.figures) for line in lines]


def totals_by_day(*, start: date, end: date) -> list[DayTotals]:
    """Every day of the period, oldest first, with its gift count and gross
    per currency; days without gifts are zero (one query)."""
    rows = (
        _gifts_between(start, end)
        .annotate(day=TruncDate("succeeded_at"))
        .values("day", "currency")
        .annotate(gift_count=Count("id"), gross_minor=_FIGURES["gross_minor"])
        .order_by()
    )
    counts: dict[date, int] = defaultdict(int)
    gross: dict[date, dict[str, int]] = defaultdict(dict)
    for row in rows:
        counts[row["day"]] += row["gift_count"]
        gross[row["day"]][row["currency"]] = row["gross_minor"]
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return [DayTotals(day, counts[day], gross[day]) for day in days]


def finance_overview(*, start: date, end: date) -> Overview:
    """Everything the overview page shows for a period (six queries)."""
    return Overview(
        start=start,
        end=end,
        by_currency=totals_by_currency(start=start, end=end),
        by_fund=totals_by_fund(start=start, end=end),
        by_campaign=totals_by_campaign(start=start, end=end),
        by_organization=totals_by_organization(start=start, end=end),
        by_month=totals_by_month(start=start, end=end),
        days=totals_by_day(start=start, end=end),
    )
