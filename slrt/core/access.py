"""Access rules, in one place. Every list and every load of people, households, cases and
referrals goes through `scope_clause`; a record outside the user's scope answers 404.

Scope is a region prefix: a desk officer's village, a coordinator's village or regency, an SLRT
officer's regency, an administrator's province (or the whole country when it is empty). Agency
officers see only referrals addressed to their agency (once sent) and what those referrals need.

Core knows no feature's models: the rules for the records the features own (people, households,
cases, needs, referrals) are written together in `slrt.referrals.access` and registered here with
`scope_rule`. A model without a rule is scoped by its `village_code`, and not at all for an agency
officer. What each role may *do* is the permission table, `slrt.core.permissions`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from slrt.core.permissions import Role
from slrt.extensions import db


class _Record(Protocol):
    id: Any  # Mapped[int] on the models: the column on the class, an int on a row


M = TypeVar("M", bound=_Record)  # a model with an integer `id`


def region_clause(column: Any, prefix: str | None) -> sa.ColumnElement[bool]:
    """`column` lies in region `prefix` (the region itself or anything below it)."""
    if not prefix:
        return sa.true()
    return sa.or_(column == prefix, column.startswith(prefix + ".", autoescape=True))


def in_region(code: str | None, prefix: str | None) -> bool:
    """Region `code` lies in region `prefix` (the region itself or anything below it); an empty
    prefix is the whole country. The Python twin of `region_clause`."""
    if not prefix:
        return True
    return code is not None and (code == prefix or code.startswith(prefix + "."))


ScopeRule = Callable[[type, Any], sa.ColumnElement[bool]]
_SCOPE_RULES: dict[type, ScopeRule] = {}


def scope_rule(*models: type) -> Callable:
    """Registers `rule(model, user)` as the scope of `models` (for signed-in, active users)."""

    def register(rule: ScopeRule) -> ScopeRule:
        for model in models:
            _SCOPE_RULES[model] = rule
        return rule

    return register


def scope_clause(model: type, user: Any) -> sa.ColumnElement[bool]:
    """The WHERE clause that keeps `model` rows to what `user` may see."""
    if not user.is_authenticated or not user.active:
        return sa.false()
    rule = _SCOPE_RULES.get(model)
    if rule is not None:
        return rule(model, user)
    column = getattr(model, "village_code", None)
    if user.role is Role.AGENCY or column is None:
        raise LookupError(f"no scope rule for {model.__name__}")
    return region_clause(column, user.scope_region_code)


def visible(model: type[M], user: Any | None = None) -> sa.Select[M]:
    """`select(model)` filtered to the user's scope: start every list query here."""
    user = user or current_user
    return sa.select(model).where(scope_clause(model, user))


def can_view(user: Any, obj: Any) -> bool:
    model = type(obj)
    return (
        db.session.scalar(sa.select(model.id).where(model.id == obj.id, scope_clause(model, user)))
        is not None
    )


def get_or_404(model: type[M], ident: Any, user: Any | None = None, options: tuple = ()) -> M:
    """Loads one record in the user's scope; outside it, or missing, is the same 404. `options`:
    loader options for what the page shows of it (joined into the same statement)."""
    user = user or current_user
    obj = db.session.scalar(visible(model, user).where(model.id == ident).options(*options))
    if obj is None:
        abort(404)
    return obj


def in_scope_region(user: Any, code: str | None) -> bool:
    """Region `code` (None: the whole country) lies within the user's region scope."""
    return in_region(code, user.scope_region_code)
