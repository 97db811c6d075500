"""UK Gift Aid's rules, as HMRC states them: the model declaration's
wording, what a home address must give (house name or number, postcode),
how long a declaration reaches back, and the limits on what a donor may
receive in return."""

import re
from datetime import timedelta

# HMRC's model declaration for one gift and the donor's future and past
# gifts (its 2015 template wording). A new wording gets a new version, and
# every declaration keeps the version and words it was made with.
WORDING_VERSION = "hmrc-2015-multiple"
WORDING = (
    "I want to Gift Aid my donation of {amount} and any donations I make in the future or have made in "
    "the past 4 years to {charity}. I am a UK taxpayer and understand that if I pay less Income Tax "
    "and/or Capital Gains Tax in the current tax year than the amount of Gift Aid claimed on all my "
    "donations it is my responsibility to pay any difference."
)

# A declaration covering past gifts reaches back four years from when it is made.
LOOKBACK = timedelta(days=4 * 365 + 1)

# UK postcodes (and the Girobank's GIR 0AA), spaces and case aside.
_POSTCODE = re.compile(r"^(GIR0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-Z]?[0-9][ABD-HJLNP-UW-Z]{2})$")


def wording(*, amount: str, charity: str) -> str:
    return WORDING.format(amount=amount, charity=charity)


def wording_around_amount(*, charity: str) -> tuple[str, str]:
    """The wording before and after its amount, for a form that shows the
    amount as the donor changes it (the declaration stored is `wording`)."""
    before, after = WORDING.split("{amount}")
    return before, after.format(charity=charity)


def normalised_postcode(value: str) -> str | None:
    """`value` as HMRC's schedule wants it (capitals, one space before the
    last three characters: "sw1a1aa" is "SW1A 1AA"), or None if it is no
    UK postcode."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if not _POSTCODE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def house_name_or_number(line1: str) -> str:
    """The house name or number of a street address's first line: its
    leading number ("12A High Street" gives "12A", "Flat 3, 5 Mill Lane"
    gives "Flat 3"), else what comes before its first comma ("Rose
    Cottage, Church Lane"), else the whole line."""
    line = " ".join((line1 or "").split())
    if "," in line:
        return line.split(",", 1)[0].strip()
    number = re.match(r"^(\d+[A-Za-z]?(?:-\d+[A-Za-z]?)?)\b", line)
    return number.group(1) if number else line


def benefit_limit_minor(amount_minor: int) -> int:
    """The most a donor may receive in return for a gift of `amount_minor`
    pence for it to qualify: 25% of gifts up to £100, £25 plus 5% of what is
    above £100 for larger ones, never more than £2,500."""
    if amount_minor <= 100_00:
        return amount_minor * 25 // 100
    return min(25_00 + (amount_minor - 100_00) * 5 // 100, 2_500_00)
