"""The rules a gift must meet, however it arrives: the donate API, a
change to a monthly plan, the offline import. Plain decisions over
campaigns, amounts and codes, with no HTTP and no CSV: each caller words
the answer for its own audience (a JSON field error, a line of a file).

Online and offline gifts differ on purpose, and say so by a parameter:
- `include_hidden`: hidden teams and fundraisers still take offline
  gifts (the money was given to them, and what a hidden page raised still
  counts), but the public cannot give to a page it cannot see;
- `online`: only online gifts are held to the campaign's dates and to
  the minimum gift; an offline gift was given already, whenever it is
  recorded, and in whatever amount.
"""

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

from campaigns import selectors as campaign_selectors
from core.money import CURRENCIES, format_money

if TYPE_CHECKING:
    from campaigns.models import Campaign, Fund, Fundraiser, Team

COUNTRY_CODE = re.compile(r"[A-Za-z]{2}")


def is_accepted_currency(code: str) -> bool:
    """`code` lower-cased, as the ledger stores currencies."""
    return code in CURRENCIES


def is_country_code(value: str) -> bool:
    """Two letters, such as US (either case)."""
    return bool(COUNTRY_CODE.fullmatch(value))


@dataclass(frozen=True)
class AmountLimits:
    """The smallest and largest gift we take in one currency."""

    currency: str
    min_minor: int
    max_minor: int

    def allow(self, amount_minor: int) -> bool:
        return self.min_minor <= amount_minor <= self.max_minor

    @property
    def range_text(self) -> str:
        """ "between $1.00 and $50,000.00" """
        return (
            f"between {format_money(self.min_minor, self.currency)} and {format_money(self.max_minor, self.currency)}"
        )


# An offline gift only has to be money: a $1 cheque was given, and the
# ledger must agree with the bank.
SMALLEST_OFFLINE_GIFT_MINOR = 1


def amount_limits(currency: str, *, online: bool) -> AmountLimits:
    """The gift limits of an accepted currency. Online gifts (one-time,
    monthly, and a monthly gift's new amount) start at MIN_GIFT_MINOR, the
    card-testing floor: a card tester looks for the cheapest charge. An
    offline gift involves no card, so it is held to the largest gift only."""
    smallest = settings.MIN_GIFT_MINOR[currency] if online else SMALLEST_OFFLINE_GIFT_MINOR
    return AmountLimits(currency, smallest, CURRENCIES[currency].max_gift_minor)


def campaign_not_taking_gifts(campaign: "Campaign", *, online: bool) -> str | None:
    """Why the campaign takes no gift now: "upcoming" or "closed"; None
    when it takes this gift."""
    if not online or campaign.is_open():
        return None
    return "upcoming" if campaign.is_upcoming() else "closed"


def offered_fund(campaign: "Campaign", slug: str, *, offered: "list[Fund] | None" = None) -> "Fund | None":
    """The fund `slug` if the campaign offers it. `offered`, if given, is
    the campaign's funds already looked up (campaign_selectors.funds_offered)."""
    funds = campaign_selectors.funds_offered(campaign) if offered is None else offered
    return next((fund for fund in funds if fund.slug == slug), None)


def find_team(campaign: "Campaign", slug: str, *, include_hidden: bool) -> "Team | None":
    if include_hidden:
        return campaign_selectors.team_to_manage(campaign.slug, slug)
    return campaign_selectors.team_in_campaign(campaign, slug)


def find_fundraiser(campaign: "Campaign", slug: str, *, include_hidden: bool) -> "Fundraiser | None":
    if include_hidden:
        return campaign_selectors.fundraiser_to_manage(campaign.slug, slug)
    return campaign_selectors.fundraiser_in_campaign(campaign, slug)


@dataclass(frozen=True)
class Attribution:
    team: "Team | None"
    fundraiser: "Fundraiser | None"
    # A team and a fundraiser were both named, and the fundraiser is on
    # another team: the gift is refused.
    fundraiser_not_on_team: bool = False


def attribute(*, team: "Team | None", fundraiser: "Fundraiser | None") -> Attribution:
    """Whom a gift to `team` and/or `fundraiser` counts for."""
    if fundraiser is None:
        return Attribution(team, None)
    if team is not None and fundraiser.team_id != team.pk:
        return Attribution(team, fundraiser, fundraiser_not_on_team=True)
    # A gift to a fundraiser also counts for the fundraiser's team.
    return Attribution(fundraiser.team, fundraiser)


# A split gift names two to five funds (the contract's `allocations`).
MIN_PARTS = 2
MAX_PARTS = 5


def split_pro_rata(total: int, weights: list[int]) -> list[int]:
    """`total` minor units shared between parts in proportion to `weights`,
    in whole units that add up to `total` exactly: part i gets
    floor(total * W_i / W) - floor(total * W_(i-1) / W), W_i being the sum
    of the first i weights. Each share is within one unit of its exact
    proportion, and never more than its weight when `total` is at most the
    weights' sum. The same rule in SQL (window sums) gives the same shares."""
    whole = sum(weights)
    if whole <= 0:
        raise ValueError("split_pro_rata needs weights that add up to more than zero")
    shares, running, taken = [], 0, 0
    for weight in weights:
        running += weight
        upto = total * running // whole
        shares.append(upto - taken)
        taken = upto
    return shares
