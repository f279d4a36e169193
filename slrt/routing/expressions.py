"""Criterion expressions: rule-engine syntax over the facts of `slrt.routing.facts`, never eval.

`check_expression` is run whenever a criterion is saved or a catalogue file is loaded, with a
typed context, so a syntax error, an unknown fact or a type mismatch is refused with a clear
message and never reaches the engine. `compile_expression` is cached: the engine compiles each
distinct expression once per process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import rule_engine
from flask_babel import gettext as _

from slrt.routing.facts import FACT_DOMAINS, FACT_TYPES

MAX_LENGTH = 1000
_CONTEXT = rule_engine.Context(type_resolver=FACT_TYPES)
_STRING_RE = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_NUMBER_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
_NAME_RE = re.compile(r"\b[a-z_][a-z0-9_]*\b")


class ExpressionError(ValueError):
    """The expression cannot be used; `message` says why, in Indonesian."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CompiledExpression:
    """A checked expression, the facts it reads, and the values to try for each when unknown."""

    text: str
    rule: rule_engine.Rule
    facts: tuple[str, ...]
    samples: dict[str, tuple[Any, ...]]


def check_expression(text: str) -> str | None:
    """None when `text` is a usable criterion, else the reason in Indonesian."""
    try:
        compile_expression(text)
    except ExpressionError as exc:
        return exc.message
    return None


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> CompiledExpression:
    """Compiles and type-checks `text`; raises ExpressionError with an Indonesian message."""
    if not text or not text.strip():
        raise ExpressionError(_("Ekspresi kosong."))
    if len(text) > MAX_LENGTH:
        raise ExpressionError(_("Ekspresi terlalu panjang (paling banyak %(n)d karakter).", n=MAX_LENGTH))
    try:
        rule = rule_engine.Rule(text, context=_CONTEXT)
    except rule_engine.errors.SymbolResolutionError as exc:
        raise ExpressionError(
            _(
                "Fakta '%(name)s' tidak dikenal. Fakta yang tersedia: %(known)s.",
                name=exc.symbol_name,
                known=", ".join(sorted(FACT_TYPES)),
            )
        ) from exc
    except rule_engine.errors.RuleSyntaxError as exc:
        near = getattr(getattr(exc, "token", None), "value", None)
        if near is not None:
            raise ExpressionError(_("Penulisan ekspresi salah di dekat '%(near)s'.", near=near)) from exc
        raise ExpressionError(_("Penulisan ekspresi salah atau tidak lengkap.")) from exc
    except rule_engine.errors.EvaluationError as exc:
        raise ExpressionError(
            _(
                "Jenis data tidak cocok (misalnya angka dibandingkan dengan teks): %(detail)s.",
                detail=str(exc),
            )
        ) from exc
    except rule_engine.errors.EngineError as exc:
        raise ExpressionError(_("Ekspresi tidak dapat dipakai: %(detail)s.", detail=str(exc))) from exc
    result_type = rule.statement.expression.result_type
    if result_type not in (rule_engine.DataType.BOOLEAN, rule_engine.DataType.UNDEFINED):
        raise ExpressionError(
            _("Ekspresi harus menghasilkan benar atau salah, misalnya 'desil <= 4', bukan angka atau teks.")
        )
    without_strings = _STRING_RE.sub(" ", text)
    facts = tuple(sorted({n for n in _NAME_RE.findall(without_strings) if n in FACT_TYPES}))
    return CompiledExpression(text=text, rule=rule, facts=facts, samples=_samples(text, facts))


def _samples(text: str, facts: tuple[str, ...]) -> dict[str, tuple[Any, ...]]:
    """Values to try for each fact when it is unknown: every boundary the expression names.

    Criteria compare facts with constants (`desil <= 4`, `age >= 18 and age <= 59`); trying each
    constant and its neighbours, plus the ends of the range, covers every region where such a
    comparison changes its answer, so the outcome is "unknown" exactly when it could change.
    """
    numbers = {Decimal(n) for n in _NUMBER_RE.findall(_STRING_RE.sub(" ", text))}
    strings = {s[1:-1] for s in _STRING_RE.findall(text)}
    out: dict[str, tuple[Any, ...]] = {}
    for name in facts:
        kind = FACT_TYPES[name]
        if name in FACT_DOMAINS:
            out[name] = tuple(FACT_DOMAINS[name]) + tuple(sorted(strings - set(FACT_DOMAINS[name])))
        elif kind == rule_engine.DataType.BOOLEAN:
            out[name] = (True, False)
        elif kind == rule_engine.DataType.FLOAT:
            values = {Decimal(0), Decimal(1), Decimal(150)}
            for n in numbers:
                values |= {n - 1, n, n + 1}
                if n != n.to_integral_value():  # a fractional bound: try just either side too
                    values |= {n - Decimal("0.01"), n + Decimal("0.01")}
            out[name] = tuple(sorted(v for v in values if v >= 0))
        elif kind == rule_engine.DataType.STRING:
            out[name] = tuple(sorted(strings | {""}))
        else:  # arrays of programme codes: none, each named one, all of them
            out[name] = ((), *((s,) for s in sorted(strings)), tuple(sorted(strings)))
    return out
