"""The criteria builder: a criterion written as fact, comparison and value in Indonesian, turned
into the expression the engine reads, and back; and trying a service's criteria on example
households before saving (issue 20 item 11). Plain Python: the editor page and its tests call it.

Experts keep writing expressions ("Tulis ekspresi sendiri"); the builder covers the one-fact
comparisons most criteria are (`desil <= 4`, `in_dtsen == true`, `age >= 60`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from slrt.routing.engine import CriterionOutcome, CriterionSpec, combine, evaluate_criterion
from slrt.routing.expressions import ExpressionError, compile_expression
from slrt.routing.facts import FACT_DOMAINS, FACT_TYPES, HouseholdData, PersonData, build_facts
from slrt.routing.facts import T as FactType

EXPERT = ""  # the fact choice "write the expression yourself"

# op code -> (expression operator, words)
NUMBER_OPS = {
    "ge": (">=", _l("paling sedikit")),
    "le": ("<=", _l("paling banyak")),
    "gt": (">", _l("lebih dari")),
    "lt": ("<", _l("kurang dari")),
    "eq": ("==", _l("sama dengan")),
    "ne": ("!=", _l("tidak sama dengan")),
}
TRUTH_OPS = {"yes": ("== true", _l("ya")), "no": ("== false", _l("tidak"))}
TEXT_OPS = {"eq": ("==", _l("sama dengan")), "ne": ("!=", _l("tidak sama dengan"))}

SIMPLE = re.compile(r"^\s*([a-z_0-9]+)\s*(==|!=|<=|>=|<|>)\s*(true|false|'[^']*'|-?\d+(?:\.\d+)?)\s*$")


class BuilderError(ValueError):
    """The builder's fields do not make a criterion; the message is for the officer."""


def kind_of(fact: str) -> str:
    """ "number", "truth" or "text": which comparisons and values the fact takes."""
    fact_type = FACT_TYPES[fact]
    if fact_type is FactType.BOOLEAN:
        return "truth"
    if fact_type is FactType.FLOAT:
        return "number"
    if fact_type is FactType.STRING:
        return "text"
    return "list"  # programmes: written as an expression ("'PKH' in programmes")


def operators(fact: str) -> dict[str, tuple[str, Any]]:
    return {"number": NUMBER_OPS, "truth": TRUTH_OPS, "text": TEXT_OPS}.get(kind_of(fact), {})


def builder_facts() -> list[str]:
    """The facts the builder offers (one value each; lists stay with the expression)."""
    return sorted(name for name in FACT_TYPES if kind_of(name) != "list")


def sentence(fact: str, op: str, value: str | None) -> str:
    """The criterion in words, as its name when the officer gave none ("Desil DTSEN paling
    banyak 4"; "Terdaftar di DTSEN: ya")."""
    from slrt.routing.reasons import fact_label

    words = operators(fact)[op][1]
    if kind_of(fact) == "truth":
        return f"{fact_label(fact)}: {words}"
    return f"{fact_label(fact)} {words} {(value or '').strip()}"


def all_operators() -> list[tuple[str, Any]]:
    """Every comparison, for the one select the page shows (the server checks the fit)."""
    return [(code, words) for code, (_sym, words) in {**NUMBER_OPS, **TRUTH_OPS}.items()]


def compose(fact: str, op: str, value: str | None) -> str:
    """The expression for one comparison; BuilderError says what does not fit."""
    if fact not in FACT_TYPES or kind_of(fact) == "list":
        raise BuilderError(str(_l("Pilih fakta dari daftar.")))
    ops = operators(fact)
    if op not in ops:
        raise BuilderError(str(_l("Perbandingan ini tidak cocok untuk fakta tersebut.")))
    symbol = ops[op][0]
    if kind_of(fact) == "truth":
        return f"{fact} {symbol}"
    text = (value or "").strip().replace(",", ".")
    if kind_of(fact) == "number":
        if not re.fullmatch(r"-?\d+(\.\d+)?", text):
            raise BuilderError(str(_l("Isi nilai berupa angka, misalnya 4.")))
        return f"{fact} {symbol} {text}"
    domain = FACT_DOMAINS.get(fact)
    if not text or "'" in text or (domain and text not in domain):
        choices = ", ".join(str(v) for v in domain) if domain else ""
        raise BuilderError(str(_l("Isi salah satu nilai: %(v)s.", v=choices)))
    return f"{fact} {symbol} '{text}'"


def parse(expression: str | None) -> tuple[str, str, str] | None:
    """(fact, op, value) when the expression is one comparison the builder can show; else None."""
    match = SIMPLE.match(expression or "")
    if not match or match.group(1) not in FACT_TYPES:
        return None
    fact, symbol, value = match.groups()
    kind = kind_of(fact)
    if kind == "truth":
        if symbol != "==" or value not in ("true", "false"):
            return None
        return fact, "yes" if value == "true" else "no", ""
    for code, (sym, _words) in operators(fact).items():
        if sym == symbol:
            if kind == "number" and value[0] == "'":
                return None
            if kind == "text" and value[0] != "'":
                return None
            return fact, code, value.strip("'")
    return None


@dataclass(frozen=True)
class Example:
    key: str
    label: Any
    person: PersonData
    household: HouseholdData
    members: tuple[PersonData, ...] = ()


def _born(today: date, years: int) -> date:
    return date(today.year - years, 1, 1)


def examples(today: date) -> list[Example]:
    """Made-up households that show what a criterion does to the cases a desk meets most; no
    real person's data."""
    return [
        Example(
            "widow",
            _l("Janda 74 tahun tanpa NIK, tinggal dengan cucu 10 tahun yang bersekolah; DTSEN belum dicek"),
            PersonData(birth_date=_born(today, 74), sex="P", has_nik=False, disability="none"),
            HouseholdData(house_uninhabitable=True),
            (PersonData(birth_date=_born(today, 10), sex="L", has_nik=True, schooling="in_school"),),
        ),
        Example(
            "young",
            _l("Ibu hamil 27 tahun dengan balita; terdaftar DTSEN desil 2, menerima BPNT"),
            PersonData(birth_date=_born(today, 27), sex="P", has_nik=True, pregnant=True, disability="none"),
            HouseholdData(in_dtsen=True, desil=2, programmes=["BPNT"], house_uninhabitable=False),
            (PersonData(birth_date=_born(today, 3), sex="L", has_nik=True),),
        ),
        Example(
            "disabled",
            _l("Laki-laki 35 tahun dengan disabilitas berat, tinggal sendiri; tidak terdaftar DTSEN"),
            PersonData(birth_date=_born(today, 35), sex="L", has_nik=True, disability="severe"),
            HouseholdData(in_dtsen=False, programmes=[], house_uninhabitable=False),
        ),
        Example(
            "well_off",
            _l("Keluarga mampu: pasangan 45 tahun dengan anak 16 tahun; terdaftar DTSEN desil 8"),
            PersonData(birth_date=_born(today, 45), sex="L", has_nik=True, disability="none"),
            HouseholdData(in_dtsen=True, desil=8, programmes=[], house_uninhabitable=False),
            (
                PersonData(
                    birth_date=_born(today, 44), sex="P", has_nik=True, pregnant=False, disability="none"
                ),
                PersonData(birth_date=_born(today, 16), sex="P", has_nik=True, schooling="in_school"),
            ),
        ),
    ]


@dataclass(frozen=True)
class Trial:
    example: Example
    outcomes: list[CriterionOutcome]
    result: bool | None  # True: eligible, False: not, None: more data needed
    problems: list[str]  # criteria that do not compile, with the reason


def try_criteria(criteria: list[tuple[str, str]], how: str, example: Example, today: date) -> Trial:
    """The criteria as typed (not saved) judged on one example household."""
    facts = build_facts(example.person, example.household, list(example.members), today=today)
    outcomes, problems = [], []
    for name, expression in criteria:
        try:
            compiled = compile_expression(expression)
        except ExpressionError as exc:
            problems.append(f"{name or expression}: {exc}")
            continue
        outcomes.append(evaluate_criterion(CriterionSpec(name or expression, expression), compiled, facts))
    result = combine((o.result for o in outcomes), how) if not problems else None
    return Trial(example, outcomes, result, problems)
