"""Bulk moves where officers work in bulk: a coordinator approves several referrals at once, a desk
officer sends all drafts of a case at once. Each referral goes through the one state machine
(`transitions.transition`) as if alone, inside its own SAVEPOINT: one that cannot go is undone
and says why, the rest go, and the request still commits once (slrt.core.transaction)."""

from __future__ import annotations

from dataclasses import dataclass, field

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.extensions import db
from slrt.referrals import transitions
from slrt.referrals.models import Referral


@dataclass
class BulkResult:
    moved: list[Referral] = field(default_factory=list)
    refused: list[tuple[Referral, str]] = field(default_factory=list)


def move_each(items: list[tuple[Referral, int | None]], to: str, actor: User) -> BulkResult:
    """`transition` for each (referral, expected version); refusals are collected, not raised."""
    result = BulkResult()
    for referral, version in items:
        try:
            with db.session.begin_nested():
                transitions.transition(referral, to, actor, expected_version=version)
        except (transitions.StaleVersion, transitions.TransitionNotAllowed) as exc:
            result.refused.append((referral, str(exc)))
        except ValidationFailed as exc:
            result.refused.append((referral, " ".join(m for ms in exc.errors.values() for m in ms)))
        else:
            result.moved.append(referral)
    return result
