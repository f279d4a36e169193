"""What an administrator's home shows: the accounts and tokens of their own scope, never people.

Administrators run the system and never see citizens' data (UU 27/2022), so their home holds
the work that is theirs: accounts waiting for a first password, deactivated ones, API tokens
about to lapse."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask_login import current_user

from slrt.accounts.models import ApiToken, User
from slrt.accounts.services import tokens_in_scope, users_in_scope
from slrt.core.db import utcnow
from slrt.core.permissions import Permission, has
from slrt.extensions import db

TOKENS_LAPSE_WITHIN = timedelta(days=30)


def _count(stmt: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0


def admin_home_data() -> dict[str, Any] | None:
    """Figures for the administrator's home, inside their own scope; None for everyone else."""
    if not has(current_user, Permission.MANAGE_USERS):
        return None
    now = utcnow()
    users = users_in_scope(current_user)
    tokens = tokens_in_scope(current_user).where(
        ApiToken.revoked_at.is_(None), sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now)
    )
    return {
        "active": _count(users.where(User.active.is_(True))),
        "first_password": _count(users.where(User.active.is_(True), User.must_change_password.is_(True))),
        "inactive": _count(users.where(User.active.is_(False))),
        "tokens": _count(tokens),
        "tokens_lapsing": _count(
            tokens.where(ApiToken.expires_at.is_not(None), ApiToken.expires_at <= now + TOKENS_LAPSE_WITHIN)
        ),
    }
