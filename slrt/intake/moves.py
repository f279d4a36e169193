"""A family that moves to another village, handed over from one desk to another (SIKS-NG's
"pemindahan wilayah"), without losing anything.

The desk the family leaves (any user whose scope covers the household) asks for the move to a
village anywhere in the region table, another regency or province too; the desk whose scope
covers the new village accepts or refuses it. Acceptance, in one transaction:

- the household's address becomes the new village (RT/RW and street as given), each change in
  its change trail; its members follow;
- its OPEN cases are re-homed, and with them their referrals (a referral's village is its
  case's, denormalised for scope): the receiving desk now sees and follows them. Nothing about
  their deadlines changes: due dates, risk dates and pauses stay as they were, and a referral
  already with an agency stays with that agency (only which desk follows it changes);
- closed cases stay where they were: the old desk keeps its own history (and loses the family's
  new data, which is now outside its scope).

Refusal and cancellation change nothing but the move itself. One open move per household.

Plain Python that only flushes; the request commits (slrt.core.transaction). Features above
intake whose records carry a case's village register a follower (`follows_move`): referrals
re-home theirs, the report tallies recount both villages (the cases move by plain SQL).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_login import current_user

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.core.access import can_view, in_scope_region, region_clause, scope_rule, visible
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.core.permissions import Permission, Role, has
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake.records import apply_changes
from slrt.intake.visit_form import RT_RW, Errors, add_problem, posted_text
from slrt.regions.models import Region

VILLAGE_LEVEL = 4
REASON_LIMIT = 2000
HISTORY_LIMIT = 50

# A follower re-homes (or recounts) what it owns of the moved cases, called as
# (case ids, old village, new village) after the cases moved; it returns the ids it re-homed, kept
# in the move's `moved` under its name, or None when it re-homed nothing of its own.
Follower = Callable[[list[int], str, str], list[int] | None]
_FOLLOWERS: dict[str, Follower] = {}


def follows_move(name: str) -> Callable[[Follower], Follower]:
    """Registers `fn(case_ids, from_village, to_village)` for the records `name` of moved cases."""

    def register(fn: Follower) -> Follower:
        _FOLLOWERS[name] = fn
        return fn

    return register


class MoveRefused(Exception):
    """The move cannot be decided now (already decided, or the family changed village since)."""


@scope_rule(m.HouseholdMove)
def move_scope(_model: type, user: User) -> sa.ColumnElement[bool]:
    """Both desks see a move: the one the family leaves and the one it goes to. Agencies never."""
    if user.role is Role.AGENCY:
        return sa.false()
    prefix = user.scope_region_code
    return sa.or_(
        region_clause(m.HouseholdMove.from_village_code, prefix),
        region_clause(m.HouseholdMove.to_village_code, prefix),
    )


# --- reads ------------------------------------------------------------------------------------


def incoming(user: User) -> sa.Select:
    """Moves waiting for this user's decision: open, into a village of the user's scope."""
    return (
        sa.select(m.HouseholdMove)
        .where(
            m.HouseholdMove.status == m.MoveStatus.REQUESTED,
            region_clause(m.HouseholdMove.to_village_code, user.scope_region_code),
        )
        .order_by(m.HouseholdMove.requested_at, m.HouseholdMove.id)
    )


def open_move(household: m.Household) -> m.HouseholdMove | None:
    return db.session.scalar(
        sa.select(m.HouseholdMove).where(
            m.HouseholdMove.household_id == household.id, m.HouseholdMove.status == m.MoveStatus.REQUESTED
        )
    )


def household_moves(household: m.Household | None, user: Any = None) -> list[m.HouseholdMove]:
    """The move trail of a family as `user` may see it (either side of each move), newest first."""
    if household is None:
        return []
    user = user or current_user
    return list(
        db.session.scalars(
            visible(m.HouseholdMove, user)
            .where(m.HouseholdMove.household_id == household.id)
            .order_by(m.HouseholdMove.requested_at.desc(), m.HouseholdMove.id.desc())
        )
    )


def case_moves(case: m.Case) -> list[m.HouseholdMove]:
    """The accepted moves of a case's family, for the case page: read only when it moved."""
    household = case.household if case.household_id else None
    if household is None or household.moved_at is None:
        return []
    return [mv for mv in household_moves(household) if mv.status is m.MoveStatus.ACCEPTED]


def can_request_move(user: Any, household: m.Household | None) -> bool:
    """Template helper (no statement): may `user` ask to move this family? (Scope: the family's
    village lies in the user's region; the pages load it through the scope check anyway.)"""
    return (
        household is not None
        and has(user, Permission.MOVE_HOUSEHOLDS)
        and in_scope_region(user, household.village_code)
    )


def _may_act(user: Any, move: m.HouseholdMove, village: str) -> bool:
    return move.is_open and has(user, Permission.MOVE_HOUSEHOLDS) and in_scope_region(user, village)


def can_decide(user: Any, move: m.HouseholdMove) -> bool:
    """The receiving desk decides: users whose scope covers the new village."""
    return _may_act(user, move, move.to_village_code)


def can_cancel(user: Any, move: m.HouseholdMove) -> bool:
    """The asking side withdraws: users whose scope covers the village the family leaves."""
    return _may_act(user, move, move.from_village_code)


def head_of(move: m.HouseholdMove) -> m.Person | None:
    """The family's head (else its first member). Read without the scope check on purpose: the
    receiving desk must know whom it is accepting before the family is in its scope; it sees the
    name, never the NIK or No. KK, and only with the permission to decide moves."""
    members = [p for p in move.household.members if p.merged_into_id is None]
    heads = [p for p in members if p.relationship_to_head is m.Relationship.HEAD]
    return (heads or members or [None])[0]


# --- writes -----------------------------------------------------------------------------------


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        raise PermissionError("not allowed to do this with the move")


def request_move(household: m.Household, data: dict[str, Any], actor: User) -> m.HouseholdMove:
    """Asks to move `household` to the village `data["village_code"]` (RT/RW, street, reason).
    Every problem with the input is collected and raised once (ValidationFailed)."""
    _refuse_unless(has(actor, Permission.MOVE_HOUSEHOLDS) and can_view(actor, household))
    errors: Errors = {}
    code = posted_text(data, "village_code", 13)
    village = db.session.get(Region, code) if code else None
    if not code:
        add_problem(errors, "village_code", _("Pilih desa/kelurahan tujuan."))
    elif village is None or village.level != VILLAGE_LEVEL:
        add_problem(errors, "village_code", _("Kode ini bukan desa/kelurahan yang terdaftar."))
    elif code == household.village_code:
        add_problem(errors, "village_code", _("Keluarga ini sudah tercatat di desa/kelurahan itu."))
    address: dict[str, str | None] = {}
    for key in ("rt", "rw"):
        value = posted_text(data, key, 3)
        if value and not RT_RW.match(value):
            add_problem(errors, key, _("Isi dengan angka, paling banyak 3 digit."))
        address[key] = value.zfill(3) if value else None
    address["street"] = posted_text(data, "street") or None
    reason = posted_text(data, "reason", REASON_LIMIT)
    if not reason:
        add_problem(errors, "reason", _("Tulis alasan kepindahan, misalnya ikut suami bekerja di desa lain."))
    if open_move(household) is not None:
        add_problem(errors, None, _("Keluarga ini sudah punya permintaan pindah yang belum diputuskan."))
    if errors:
        raise ValidationFailed(errors)
    move = m.HouseholdMove(
        household_id=household.id,
        from_village_code=household.village_code,
        to_village_code=code,
        reason=reason,
        requested_by_id=actor.id,
        moved={},
        **address,
    )
    db.session.add(move)
    db.session.flush()  # the partial unique index refuses a second open move (IntegrityError)
    audit("household.move_request", household, actor=actor, detail={"move": move.id, "to": code})
    return move


def _decide(move: m.HouseholdMove, status: m.MoveStatus, actor: User, **values: Any) -> None:
    """Closes the open move, once: a second decision at the same moment finds it closed."""
    table = cast(sa.Table, m.HouseholdMove.__table__)
    done = db.session.execute(
        sa.update(table)
        .where(table.c.id == move.id, table.c.status == m.MoveStatus.REQUESTED.value)
        .values(status=status.value, decided_by_id=actor.id, decided_at=utcnow(), **values)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult
        raise MoveRefused("this move was already decided")
    db.session.expire(move)


def rehome(table: sa.Table, ids: list[int], village: str) -> None:
    """Moves these rows of `table` to `village`. Core, keeping updated_at and any version: a move
    is no change of the case's or referral's own state (the agency inbox orders by updated_at,
    an officer's form open on the row must still save, and nothing about the deadlines moves)."""
    if ids:
        db.session.execute(
            sa.update(table)
            .where(table.c.id.in_(ids))
            .values(village_code=village, updated_at=table.c.updated_at)
        )


def accept_move(move: m.HouseholdMove, actor: User) -> m.HouseholdMove:
    """The receiving desk takes the family over: address, members, open cases and their
    referrals to the new village, in this transaction; closed cases stay with the old desk."""
    _refuse_unless(can_decide(actor, move))
    household = move.household
    if household.village_code != move.from_village_code:
        raise MoveRefused("the household changed village since the move was asked")
    target = move.to_village_code
    case_rows = db.session.execute(
        sa.select(m.Case.id, m.Case.status).where(m.Case.household_id == household.id).order_by(m.Case.id)
    ).all()
    open_cases = [cid for cid, status in case_rows if status is m.CaseStatus.OPEN]
    stayed = [cid for cid, status in case_rows if status is not m.CaseStatus.OPEN]
    members = list(
        db.session.scalars(
            sa.select(m.Person).where(m.Person.household_id == household.id).order_by(m.Person.id)
        )
    )
    _decide(move, m.MoveStatus.ACCEPTED, actor)
    apply_changes(
        household, {"village_code": target, "rt": move.rt, "rw": move.rw, "street": move.street}, actor
    )
    household.moved_at = utcnow()
    for person in members:
        apply_changes(person, {"village_code": target}, actor)
    db.session.flush()
    rehome(cast(sa.Table, m.Case.__table__), open_cases, target)
    moved: dict[str, list[int]] = {
        "persons": [p.id for p in members],
        "cases": open_cases,
        "stayed": stayed,
    }
    for name, follower in _FOLLOWERS.items():
        ids = follower(open_cases, move.from_village_code, target)
        if ids is not None:
            moved[name] = ids
    moves = cast(sa.Table, m.HouseholdMove.__table__)
    db.session.execute(sa.update(moves).where(moves.c.id == move.id).values(moved=moved))
    db.session.flush()
    db.session.expire_all()
    detail = {"move": move.id, "from": move.from_village_code, "to": target}
    audit("household.move_accept", household, actor=actor, detail=detail | {"cases": open_cases})
    for case_id in open_cases:
        audit("case.move", _Ref("cases", case_id), actor=actor, detail=detail)
    return move


class _Ref:
    """An object the audit row names by table and id, without loading it."""

    def __init__(self, tablename: str, ident: int):
        self.__tablename__ = tablename
        self.id = ident


def refuse_move(move: m.HouseholdMove, reason: str, actor: User) -> None:
    """The receiving desk refuses, with a reason: nothing but the move changes."""
    _refuse_unless(can_decide(actor, move))
    reason = (reason or "").strip()[:REASON_LIMIT]
    if not reason:
        raise ValidationFailed({"refusal_reason": [_("Tulis alasan penolakan untuk desk asal.")]})
    _decide(move, m.MoveStatus.REFUSED, actor, refusal_reason=reason)
    audit("household.move_refuse", move.household, actor=actor, detail={"move": move.id})
    db.session.flush()


def cancel_move(move: m.HouseholdMove, actor: User) -> None:
    """The asking side withdraws its open request."""
    _refuse_unless(can_cancel(actor, move))
    _decide(move, m.MoveStatus.CANCELLED, actor)
    audit("household.move_cancel", move.household, actor=actor, detail={"move": move.id})
    db.session.flush()
