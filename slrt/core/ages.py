"""Ages from a birth date that may be known only to the year, or only "about" a year.

Elderly visitors often know only their birth year. The desk stores such a date as 1 July of
that year with a precision (`Person.birth_precision`, migration 0013), and reads the age as an
interval: born in 1956 is 69 or 70 in 2026. The routing engine (slrt.routing.facts.age_of) reads
it the same way; this module serves the layers below it (intake), which may not import routing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

# "Born about 1950": the desk's estimate, taken as this many years either side. The same spread
# as slrt.routing.facts.ABOUT_YEARS (tests/test_intake_fit.py holds the two equal).
ABOUT_YEARS = 3
YEAR_ONLY, ABOUT = "year", "about"


def year_only_date(year: int, today: date) -> date:
    """The stored date for "born in `year`": 1 July (the convention of migration 0013), or today
    for a baby born this year before July, so no stored birth date lies in the future."""
    return min(date(year, 7, 1), today)


def age_bounds(birth: date | None, precision: Any, today: date) -> tuple[int, int] | None:
    """The youngest and oldest the person can be on `today` (equal for an exact date); None
    when the birth date is unknown."""
    if birth is None:
        return None
    if precision not in (YEAR_ONLY, ABOUT):
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        return age, age
    spread = ABOUT_YEARS if precision == ABOUT else 0
    # Born some day of the year Y: today.year - Y - 1 (birthday still to come) up to today.year - Y.
    return max(0, today.year - (birth.year + spread) - 1), max(0, today.year - (birth.year - spread))


def may_be_aged(bounds: tuple[int, int] | None, low: int, high: int | None = None) -> bool:
    """Could the person be aged `low`..`high` (inclusive)? False only when the age is known to
    lie outside; an unknown age may be anything."""
    if bounds is None:
        return True
    return bounds[1] >= low and (high is None or bounds[0] <= high)
