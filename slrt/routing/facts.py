"""Facts: what the routing engine knows about a person and their household.

`build_facts` is the one place facts are made, for the desk pages and the JSON API alike. Every
fact in `FACT_TYPES` is always present in the result; an unknown fact is None (never a guess):
the engine then decides whether it could change the outcome.

Facts about the person (the one the need concerns):
    age (whole years on `today`; an `Interval` when only the birth year, or "about" a year,
    is known: born in 1956 is 69-70 in 2026, so "age >= 60" is known and "age >= 70" is not),
    finished_school (finished 12 years of school), sex ('L'/'P'), has_nik, pregnant, disability
    ('none'/'mild'/'moderate'/'severe'), in_school (True/False; None when not of school age
    or not known).
Facts about the household:
    in_dtsen, desil (1-10), programmes (codes already received, e.g. ['PKH', 'BPNT']),
    programme_count, receives_pkh / receives_bpnt / receives_pbi_jk / receives_pip,
    house_uninhabitable, data_update_requested (the family asks for its DTSEN
    data to be updated; only the caller knows it).
Counts over everyone in the household, the person included (a PKH component is any member):
    household_size, children_under_6, school_age_in_school, school_age_not_in_school,
    school_age_not_finished (aged 6-21 and not finished 12 years of school, in school or not),
    members_60_plus, members_70_plus, severe_disability_members, pregnant_members.
A count is None when some member's data needed for it is unknown (a missing birth date, the
schooling of a child aged 6-21, whether a woman aged 10-55 is pregnant), because the true count
could then be higher.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import rule_engine

T = rule_engine.DataType

# Programmes with their own receives_<code> fact (code lower-cased, '-' -> '_').
PROGRAMME_FACTS = ("PKH", "BPNT", "PBI-JK", "PIP")

COUNT_FACTS = (
    "household_size",
    "children_under_6",
    "school_age_in_school",
    "school_age_not_in_school",
    "school_age_not_finished",
    "members_60_plus",
    "members_70_plus",
    "severe_disability_members",
    "pregnant_members",
)

FACT_TYPES: dict[str, Any] = {
    "age": T.FLOAT,
    "sex": T.STRING,
    "has_nik": T.BOOLEAN,
    "pregnant": T.BOOLEAN,
    "disability": T.STRING,
    "in_school": T.BOOLEAN,
    "finished_school": T.BOOLEAN,
    "in_dtsen": T.BOOLEAN,
    "desil": T.FLOAT,
    "programmes": T.ARRAY(T.STRING),
    "programme_count": T.FLOAT,
    **{f"receives_{code.lower().replace('-', '_')}": T.BOOLEAN for code in PROGRAMME_FACTS},
    "house_uninhabitable": T.BOOLEAN,
    "data_update_requested": T.BOOLEAN,
    **{name: T.FLOAT for name in COUNT_FACTS},
}

# Values a fact can take when it is not a free number; the engine tries these when the fact is
# unknown, to see whether it could change the outcome.
FACT_DOMAINS: dict[str, tuple[Any, ...]] = {
    "sex": ("L", "P"),
    "disability": ("none", "mild", "moderate", "severe"),
    "desil": tuple(range(1, 11)),
}

# Facts of the person rather than the household: a service whose criteria read one is judged
# for each household member in screening.
PERSON_FACTS = frozenset({"age", "sex", "has_nik", "pregnant", "disability", "in_school", "finished_school"})

SCHOOL_AGE = (6, 21)
PREGNANCY_AGE = (10, 55)
# "Born about 1950": the desk's estimate, taken as this many years either side (*default*).
ABOUT_YEARS = 3
PRECISION_DAY, PRECISION_YEAR, PRECISION_ABOUT = "day", "year", "about"


@dataclass(frozen=True)
class Interval:
    """A fact known to lie between `low` and `high` (inclusive) but not exactly: the engine
    tries only values inside it, so a criterion the whole interval settles is known."""

    low: int
    high: int

    def __str__(self) -> str:
        return f"{self.low}-{self.high}"


def between(value: Any, low: int | None, high: int | None) -> bool | None:
    """Is `value` (a number, an Interval or None) within [low, high]? Kleene: None when an
    interval straddles a bound or the value is unknown."""
    if value is None:
        return None
    lo, hi = (value.low, value.high) if isinstance(value, Interval) else (value, value)
    inside_lo = low is None or lo >= low
    inside_hi = high is None or hi <= high
    if inside_lo and inside_hi:
        return True
    if (low is not None and hi < low) or (high is not None and lo > high):
        return False
    return None


@dataclass
class PersonData:
    """A person as the API describes one; ORM `Person` rows work the same way (duck typing)."""

    birth_date: date | None = None
    sex: str | None = None
    nik: str | None = None
    pregnant: bool | None = None
    disability: str | None = None
    schooling: str | None = None  # in_school / not_in_school / finished
    has_nik: bool | None = None  # overrides `nik` when given
    nik_known: bool = True  # False: not asked yet, so has_nik is unknown
    birth_precision: str | None = None  # day (default) / year / about


@dataclass
class HouseholdData:
    in_dtsen: bool | None = None
    desil: int | None = None
    programmes: list[str] | None = None
    house_uninhabitable: bool | None = None


def _value(obj: Any, name: str) -> Any:
    value = getattr(obj, name, None)
    return getattr(value, "value", value)  # enums are stored by their code


def _age(birth: date | None, today: date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def age_of(person: Any, today: date) -> int | Interval | None:
    """Whole years on `today`; an Interval when only the birth year (or "about" a year) is known."""
    birth = getattr(person, "birth_date", None)
    if birth is None:
        return None
    precision = _value(person, "birth_precision")
    if precision not in (PRECISION_YEAR, PRECISION_ABOUT):
        return _age(birth, today)
    spread = ABOUT_YEARS if precision == PRECISION_ABOUT else 0
    # Born some day of year Y: today.year - Y - 1 (birthday still to come) up to today.year - Y.
    low = max(0, today.year - (birth.year + spread) - 1)
    high = max(0, today.year - (birth.year - spread))
    return Interval(low, high) if low != high else low


def _count(people: list[Any], test: Any) -> int | None:
    """How many people pass `test` (True/False/None); None when an unknown one could count."""
    total = 0
    for person in people:
        outcome = test(person)
        if outcome is None:
            return None
        total += bool(outcome)
    return total


def build_facts(
    person: Any | None,
    household: Any | None,
    members: list[Any] | None = None,
    *,
    today: date,
    data_update_requested: bool | None = None,
) -> dict[str, Any]:
    """The facts for `person` in `household`; `members` are the *other* household members.

    `person`, `household` and `members` may be ORM rows (Person, Household) or PersonData /
    HouseholdData: anything with the same attribute names. Unknown values become None.
    """
    facts: dict[str, Any] = dict.fromkeys(FACT_TYPES)
    facts["data_update_requested"] = data_update_requested
    if person is not None:
        age = age_of(person, today)
        facts["age"] = age
        facts["sex"] = _value(person, "sex")
        has_nik = getattr(person, "has_nik", None)
        if isinstance(has_nik, bool):
            facts["has_nik"] = has_nik
        elif getattr(person, "nik_known", True):
            facts["has_nik"] = bool(getattr(person, "nik", None))
        facts["pregnant"] = _pregnant(person, age)
        facts["disability"] = _value(person, "disability")
        schooling = _value(person, "schooling")
        facts["in_school"] = None if schooling is None else schooling == "in_school"
        facts["finished_school"] = None if schooling is None else schooling == "finished"
    if household is not None:
        facts["in_dtsen"] = getattr(household, "in_dtsen", None)
        facts["desil"] = getattr(household, "desil", None)
        programmes = getattr(household, "programmes", None)
        if programmes is not None:
            codes = sorted({str(p).upper() for p in programmes})
            facts["programmes"] = codes
            facts["programme_count"] = len(codes)
            for code in PROGRAMME_FACTS:
                facts[f"receives_{code.lower().replace('-', '_')}"] = code in codes
        facts["house_uninhabitable"] = getattr(household, "house_uninhabitable", None)
    people = ([person] if person is not None else []) + list(members or [])
    if people:
        facts.update(_counts(people, today))
    return facts


def _pregnant(person: Any, age: int | Interval | None) -> bool | None:
    pregnant = getattr(person, "pregnant", None)
    if pregnant is not None:
        return bool(pregnant)
    sex = _value(person, "sex")
    if sex == "L":
        return False
    if between(age, *PREGNANCY_AGE) is False:
        return False
    return None


def _counts(people: list[Any], today: date) -> dict[str, int | None]:
    def age(p: Any) -> int | Interval | None:
        return age_of(p, today)

    def age_test(low: int, high: int | None = None) -> Any:
        return lambda p: between(age(p), low, high)

    def school_age_with(schoolings: tuple[str, ...]) -> Any:
        def test(p: Any) -> bool | None:
            in_age = between(age(p), *SCHOOL_AGE)
            if in_age is not True:
                return in_age
            schooling = _value(p, "schooling")
            return None if schooling is None else schooling in schoolings

        return test

    def severe(p: Any) -> bool | None:
        disability = _value(p, "disability")
        return None if disability is None else disability == "severe"

    return {
        "household_size": len(people),
        "children_under_6": _count(people, age_test(0, 5)),
        "school_age_in_school": _count(people, school_age_with(("in_school",))),
        "school_age_not_in_school": _count(people, school_age_with(("not_in_school",))),
        "school_age_not_finished": _count(people, school_age_with(("in_school", "not_in_school"))),
        "members_60_plus": _count(people, age_test(60)),
        "members_70_plus": _count(people, age_test(70)),
        "severe_disability_members": _count(people, severe),
        "pregnant_members": _count(people, lambda p: _pregnant(p, age(p))),
    }
