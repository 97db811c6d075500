"""The demo's gifts: a few dozen over the past weeks, to the campaign, its
teams and fundraisers and every fund, so its totals, leaderboards, gift
walls and the finance overview show something real. They are recorded as
gifts received offline (donations.services.offline.record_offline_gift),
one by one through the ledger's own step from nothing to paid
(gift_status.move): counters move and each gift gets its receipt exactly
as a real one does, on the demo's SQLite too."""

import random
from datetime import date, timedelta

from campaigns.models import Campaign, Fund, Fundraiser, Team
from core.money import CURRENCIES
from donations.models import Donation
from donations.services.gifts import DonorDetails
from donations.services.offline import OfflineGiftRequest, record_offline_gift

# Every demo donor's address is on this domain: how a later run knows the
# demo's gifts are already there.
DONOR_DOMAIN = "donors.hopefund.example"
GIFT_COUNT = 40
DAYS_BACK = 42
AMOUNTS_MAJOR = (10, 20, 25, 25, 35, 50, 50, 75, 100, 100, 150, 250, 500)
FIRST_NAMES = ("Amara", "Ben", "Chloe", "Dev", "Elena", "Farid", "Hiro", "Ines", "Jonah", "Keiko", "Luis", "Mina")
LAST_NAMES = ("Adams", "Bauer", "Costa", "Diaz", "Eze", "Haddad", "Ito", "Khan", "Mensah", "Novak", "Park")
MESSAGES = (
    "Go team!",
    "So proud of you. Keep going!",
    "For every survivor finding their way home.",
    "Happy to back this again this year.",
    "In memory of my grandmother, who helped others all her life.",
)
# One donor gives the same amount four weeks apart, as a monthly supporter
# paying by standing order would (online monthly gifts need Stripe).
MONTHLY_DONOR = DonorDetails(email=f"marta.silva@{DONOR_DOMAIN}", first_name="Marta", last_name="Silva")
MONTHLY_AMOUNT_MAJOR = 30
# A few large gifts, as every campaign has, so its thermometer moves too:
# (first name, last name, dollars, days ago, where: "campaign" or a team's slug).
LARGE_GIFTS = (
    ("Harbor", "Foundation", 20_000, 20, "campaign"),
    ("Lakeside", "Bakery", 2_500, 12, "chicago-chapter"),
    ("Ruth", "Okafor", 1_000, 6, "church-of-the-good-shepherd"),
)


def demo_gifts_exist(campaign: Campaign) -> bool:
    return Donation.objects.filter(campaign=campaign, donor__email__endswith=f"@{DONOR_DOMAIN}").exists()


def seed_gifts(*, campaign: Campaign, funds: list[Fund], today: date) -> list[Donation]:
    """The demo's gifts to `campaign`, unless an earlier run made them
    (running the seed again must not double the totals). The same gifts
    every time, dated back from `today`."""
    if demo_gifts_exist(campaign):
        return []
    chance = random.Random(2026)
    teams = list(Team.objects.filter(campaign=campaign).order_by("pk"))
    fundraisers = list(Fundraiser.objects.filter(campaign=campaign).order_by("pk"))
    minor_per_major = 10 ** CURRENCIES[campaign.currency].exponent

    def gift(*, donor, amount_major, days_ago, team=None, fundraiser=None, **details) -> OfflineGiftRequest:
        return OfflineGiftRequest(
            campaign=campaign,
            team=fundraiser.team if fundraiser else team,
            fundraiser=fundraiser,
            fund=chance.choice(funds),
            amount_minor=amount_major * minor_per_major,
            currency=campaign.currency,
            received_on=today - timedelta(days=days_ago),
            donor=donor,
            wants_receipt=True,
            **details,
        )

    requests = []
    for number in range(GIFT_COUNT):
        first, last = chance.choice(FIRST_NAMES), chance.choice(LAST_NAMES)
        donor = DonorDetails(email=f"{first}.{last}@{DONOR_DOMAIN}".lower(), first_name=first, last_name=last)
        # Most gifts come through a fundraiser's page, some through a team's,
        # a few to the campaign itself.
        where = chance.random()
        target = (
            {"fundraiser": chance.choice(fundraisers)}
            if where < 0.6
            else {"team": chance.choice(teams)}
            if where < 0.85
            else {}
        )
        requests.append(
            gift(
                donor=donor,
                amount_major=chance.choice(AMOUNTS_MAJOR),
                # More gifts lately, as a campaign gathers pace; none today,
                # since a received gift is dated noon (offline.RECEIVED_AT).
                days_ago=1 + int((DAYS_BACK - 1) * chance.random() ** 1.5),
                anonymous=number % 6 == 0,
                message=chance.choice(MESSAGES) if number % 4 == 0 else "",
                **target,
            )
        )
    for days_ago in (32, 4):
        requests.append(
            gift(
                donor=MONTHLY_DONOR,
                amount_major=MONTHLY_AMOUNT_MAJOR,
                days_ago=days_ago,
                fundraiser=fundraisers[0],
                message="Every month, for as long as it takes.",
            )
        )
    for first, last, amount_major, days_ago, where in LARGE_GIFTS:
        donor = DonorDetails(email=f"{first}.{last}@{DONOR_DOMAIN}".lower(), first_name=first, last_name=last)
        team = None if where == "campaign" else next(team for team in teams if team.slug == where)
        requests.append(gift(donor=donor, amount_major=amount_major, days_ago=days_ago, team=team))
    # Oldest first, so receipt numbers follow the dates, as an import's do.
    return [record_offline_gift(gift=request) for request in sorted(requests, key=lambda request: request.received_on)]
