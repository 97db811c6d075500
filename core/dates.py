"""Days of the year given as "MM-DD": where a statement year or the
charity's fiscal year starts (04-06 for the UK tax year)."""

import re
from datetime import date


def parse_month_day(value: str) -> tuple[int, int]:
    """(month, day) of an "MM-DD" text; ValueError if it is not one."""
    if not re.fullmatch(r"\d\d-\d\d", value or ""):
        raise ValueError(f"{value!r} is not MM-DD")
    month, day = int(value[:2]), int(value[3:])
    # 2001 is not a leap year: 29 February is refused, as a year that would
    # start on a day that exists one year in four.
    date(2001, month, day)
    return month, day
