"""The demo's data: a Dressember-style campaign with its picture, funds,
teams (with photos), fundraisers, a few dozen gifts (demo/gifts.py) and
the logins the README prints. Only `manage.py seed_demo` runs it; nothing
in the product imports it."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from campaigns.models import AmountPreset, Campaign, Fund, Fundraiser, ReceiptingEntity, Team
from demo.gifts import seed_gifts
from demo.pictures import placeholder_photo, placeholder_signature
from finance.services.permissions import ensure_finance_group

DEMO_PASSWORD = "hopefund-demo"
# Staff need a second factor before the admin and finance pages; the demo's
# staff get this many backup codes, new on every run and printed with the
# login, so nobody needs a phone to look around.
DEMO_BACKUP_CODE_COUNT = 5
DEMO_BACKUP_CODES_DEVICE = "Demo backup codes"

DEMO_FUNDS = [
    ("rescue", "Rescue", "Investigations and rescue operations that free people from trafficking.", 1),
    ("aftercare", "Aftercare", "Shelter, medical and trauma care, and schooling for survivors.", 2),
    ("general", "Where most needed", "Lets us put your gift where it does the most good today.", 3),
]

DEMO_STORY = (
    "Every December, thousands of supporters wear a dress (or a tie) every day "
    "to fight human trafficking.\n\nYour gift funds rescue operations and the "
    "long road of aftercare that follows: safe shelter, medical and trauma care, "
    "and school for survivors."
)

# The donate form's amounts (in major units: dollars, pounds) and what each does.
DEMO_PRESETS = [
    (25, "buys a survivor's school books and uniform for a term"),
    (50, "pays for a week of aftercare in a safe shelter"),
    (100, "covers a month of medical and trauma care for a survivor"),
    (250, "helps fund a rescue operation's investigation"),
]

# The campaign's picture: the size link previews are drawn at.
HERO_SIZE = (1200, 630)
HERO_COLOURS = ((110, 38, 88), (238, 138, 82))
TEAM_PHOTO_SIZE = (800, 600)

# (team slug, name, goal in dollars, photo colours, [(fundraiser slug, name, goal in dollars)])
DEMO_TEAMS = [
    (
        "freedom-threads",
        "Freedom Threads",
        25_000,
        ((28, 80, 120), (96, 180, 170)),
        [
            ("ada-lee", "Ada's Dressember", 2_000),
            ("grace-kim", "Grace dresses up for freedom", 1_500),
        ],
    ),
    (
        "chicago-chapter",
        "Chicago Chapter",
        40_000,
        ((60, 50, 130), (200, 120, 170)),
        [
            ("maya-johnson", "Maya's 31 days", 1_000),
            ("sam-ortiz", "Sam wears a tie", 750),
        ],
    ),
    (
        "church-of-the-good-shepherd",
        "Good Shepherd Youth",
        10_000,
        ((150, 70, 40), (240, 200, 110)),
        [
            ("youth-group", "Youth group challenge", 3_000),
        ],
    ),
]


# The legal entities of Dressember's Canadian and UK pages: each receives
# its campaign's gifts and issues receipts under its country's rules.
DEMO_ENTITIES = {
    "CA": {
        "name": "Hopefund Demo Charity Canada",
        "address": "200 Example Avenue, Toronto ON M5V 2T6, Canada",
        "tax_number": "123456789RR0001",
        "place_of_issue": "Toronto, Ontario",
        "signatory_name": "Jordan Demo",
        "signatory_title": "Treasurer",
        "statement_year_start": "01-01",
    },
    "GB": {
        "name": "Hopefund Demo Charity UK",
        "address": "1 Example Street, London SW1A 1AA, United Kingdom",
        "tax_number": "1234567",
        "place_of_issue": "London",
        "signatory_name": "Alex Demo",
        "signatory_title": "Chair of Trustees",
        # The UK tax year.
        "statement_year_start": "04-06",
    },
}

# (slug, title, currency, entity country, team slug, team name, fundraiser slug, fundraiser name)
DEMO_COUNTRY_CAMPAIGNS = [
    ("dressember-2026-canada", "Dressember 2026 Canada", "cad", "CA", "toronto-threads", "Toronto Threads",
     "leah-tremblay", "Leah's Dressember"),
    ("dressember-2026-uk", "Dressember 2026 UK", "gbp", "GB", "london-threads", "London Threads",
     "olivia-smith", "Olivia dresses up for freedom"),
]  # fmt: skip


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str
    backup_codes: tuple[str, ...] = ()


@transaction.atomic
def seed_demo() -> tuple[Campaign, list[DemoLogin]]:
    """Demo data, created or brought back to its demo values; run it as
    often as you like. Pictures and gifts are made once: a picture changed
    since, and gifts given since, are kept, and gifts are never doubled."""
    funds = {}
    for slug, name, description, order in DEMO_FUNDS:
        funds[slug], _ = Fund.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "sort_order": order, "is_active": True}
        )
    campaign = _demo_campaign(
        slug="dressember-2026", title="Dressember 2026", currency="usd", entity=None, funds=funds, picture_seed=1
    )
    captain = _demo_user("captain@hopefund.example", "Casey", "Captain", is_staff=False)
    finance = _demo_user("finance@hopefund.example", "Frances", "Finance", is_staff=True)
    finance.groups.add(ensure_finance_group())

    for number, (team_slug, team_name, team_goal, colours, fundraisers) in enumerate(DEMO_TEAMS):
        team, _ = Team.objects.update_or_create(
            campaign=campaign,
            slug=team_slug,
            defaults={
                "name": team_name,
                "goal_minor": team_goal * 100,
                "story": f"{team_name} is raising money to end trafficking this Dressember.",
            },
        )
        if not team.photo:
            team.photo.save(f"{team_slug}.jpg", placeholder_photo(size=TEAM_PHOTO_SIZE, colours=colours, seed=number))
        if team_slug == DEMO_TEAMS[0][0]:
            team.captains.add(captain)
        for slug, name, goal in fundraisers:
            Fundraiser.objects.update_or_create(
                campaign=campaign,
                slug=slug,
                defaults={
                    "team": team,
                    "name": name,
                    "goal_minor": goal * 100,
                    "story": "I'm wearing a dress every day in December. Will you back me?",
                },
            )
    seed_gifts(campaign=campaign, funds=list(funds.values()), today=timezone.localdate())
    for number, (slug, title, currency, country, team_slug, team_name, page_slug, page_name) in enumerate(
        DEMO_COUNTRY_CAMPAIGNS, start=2
    ):
        country_campaign = _demo_campaign(
            slug=slug,
            title=title,
            currency=currency,
            entity=_demo_entity(country),
            funds=funds,
            picture_seed=number,
        )
        team, _ = Team.objects.update_or_create(
            campaign=country_campaign,
            slug=team_slug,
            defaults={"name": team_name, "goal_minor": 10_000_00, "story": f"{team_name} dresses up for freedom."},
        )
        if not team.photo:
            team.photo.save(
                f"{team_slug}.jpg", placeholder_photo(size=TEAM_PHOTO_SIZE, colours=HERO_COLOURS, seed=number)
            )
        team.captains.add(captain)
        Fundraiser.objects.update_or_create(
            campaign=country_campaign,
            slug=page_slug,
            defaults={"team": team, "name": page_name, "goal_minor": 1_000_00, "story": DEMO_STORY.split("\n")[0]},
        )
    logins = [
        DemoLogin("team captain", captain.email, DEMO_PASSWORD),
        DemoLogin("finance staff", finance.email, DEMO_PASSWORD, _fresh_backup_codes(finance)),
    ]
    return campaign, logins


def _demo_campaign(
    *, slug: str, title: str, currency: str, entity: ReceiptingEntity | None, funds: dict, picture_seed: int
) -> Campaign:
    campaign, _ = Campaign.objects.update_or_create(
        slug=slug,
        defaults={
            "title": title,
            "story": DEMO_STORY,
            "goal_minor": 250_000_00,
            "currency": currency,
            "status": Campaign.Status.ACTIVE,
            "default_fund": funds["general"],
            "receipting_entity": entity,
            "starts_at": None,
            "ends_at": None,
        },
    )
    campaign.funds.set(funds.values())
    # The demo's presets, exactly: any others added since are removed.
    AmountPreset.objects.filter(campaign=campaign).exclude(
        amount_minor__in=[major * 100 for major, _ in DEMO_PRESETS]
    ).delete()
    for position, (major, impact) in enumerate(DEMO_PRESETS):
        AmountPreset.objects.update_or_create(
            campaign=campaign, amount_minor=major * 100, defaults={"impact_text": impact, "position": position}
        )
    if not campaign.hero_image:
        campaign.hero_image.save(
            f"{slug}.jpg", placeholder_photo(size=HERO_SIZE, colours=HERO_COLOURS, seed=picture_seed)
        )
    return campaign


def _demo_entity(country: str) -> ReceiptingEntity:
    details = DEMO_ENTITIES[country]
    entity, _ = ReceiptingEntity.objects.update_or_create(
        name=details["name"], defaults={**details, "country": country}
    )
    if not entity.signature:
        entity.signature.save(f"{country.lower()}-signature.png", placeholder_signature(details["signatory_name"]))
    return entity


def _demo_user(email: str, first_name: str, last_name: str, *, is_staff: bool):
    user, created = get_user_model().objects.get_or_create(
        username=email,
        defaults={"email": email, "first_name": first_name, "last_name": last_name, "is_staff": is_staff},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if user.email_verified_at is None:
        # The demo's logins publish pages and invite straight away.
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


def _fresh_backup_codes(user) -> tuple[str, ...]:
    """Single-use codes for the second factor, replacing the last run's
    (accounts sets up real staff's codes; demo and accounts are separate
    parts of the site, so this is written here with django-otp itself)."""
    StaticDevice.objects.filter(user=user, name=DEMO_BACKUP_CODES_DEVICE).delete()
    device = StaticDevice.objects.create(user=user, name=DEMO_BACKUP_CODES_DEVICE)
    codes = tuple(StaticToken.random_token() for _ in range(DEMO_BACKUP_CODE_COUNT))
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes
