"""Years that start on a day other than 1 January: the charity's fiscal
year (FISCAL_YEAR_START) and a receipting entity's statement year (the UK
tax year starts on 6 April). A start is written "MM-DD"; a year is named
by the calendar year it starts in."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.dates import parse_month_day as parse_start

CALENDAR_START = "01-01"


@dataclass(frozen=True)
class Year:
    """The year that starts in `start_year` on `start` ("MM-DD")."""

    start_year: int
    start: str = CALENDAR_START

    @classmethod
    def containing(cls, day: date, start: str = CALENDAR_START) -> "Year":
        month, first = parse_start(start)
        year = day.year if (day.month, day.day) >= (month, first) else day.year - 1
        return cls(year, start)

    @property
    def is_calendar_year(self) -> bool:
        return self.start == CALENDAR_START

    @property
    def first_day(self) -> date:
        month, day = parse_start(self.start)
        return date(self.start_year, month, day)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> "Year":
        return Year(self.start_year + 1, self.start)

    def previous(self) -> "Year":
        return Year(self.start_year - 1, self.start)

    @property
    def label(self) -> str:
        """ "2026" for a calendar year, "2026-27" for one starting later."""
        if self.is_calendar_year:
            return str(self.start_year)
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Its first moment and the next year's, in `zone`: [start, end)."""
        return (
            datetime.combine(self.first_day, datetime.min.time(), tzinfo=zone),
            datetime.combine(self.next().first_day, datetime.min.time(), tzinfo=zone),
        )


_LABEL = re.compile(r"(\d{4})(?:-(\d\d))?")


def parse_label(label: str) -> tuple[int, bool]:
    """(start year, is a calendar year) of "2026" or "2025-26", or
    ValueError saying why not."""
    match = _LABEL.fullmatch(label or "")
    if not match:
        raise ValueError(f"a period is YYYY or YYYY-YY (such as 2026 or 2025-26), not {label!r}")
    start_year = int(match[1])
    if match[2] is not None and int(match[2]) != (start_year + 1) % 100:
        raise ValueError(f"{label!r} is not a year: {start_year} is followed by {(start_year + 1) % 100:02d}")
    return start_year, match[2] is None
