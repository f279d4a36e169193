"""Moving a family to another village: the request from the household page, the list of moves
(waiting for this desk, asked from here, decided), one move with its decision. Thin: the scope
check through `get_or_404`, one service call (slrt.intake.moves), a flash and a redirect."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from slrt.accounts.services import ValidationFailed
from slrt.core.access import get_or_404, region_clause, visible
from slrt.core.forms import EmptyForm, apply_errors
from slrt.core.permissions import Permission, requires
from slrt.core.transaction import discard
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake import moves
from slrt.intake.fact_forms import HouseholdMoveForm, MoveRefusalForm
from slrt.regions.models import Region

bp = Blueprint("moves", __name__)


@bp.route("/households/<int:household_id>/move", methods=["GET", "POST"])
@requires(Permission.MOVE_HOUSEHOLDS)
def request_move(household_id: int) -> Any:
    household = get_or_404(m.Household, household_id)
    pending = moves.open_move(household)
    form = HouseholdMoveForm()
    if pending is None and form.validate_on_submit():
        try:
            move = moves.request_move(household, form.data, current_user)
        except ValidationFailed as failed:
            discard()
            apply_errors(form, failed.errors)
        except IntegrityError:  # another desk asked at the same moment: one open move
            discard()
            form.form_errors.append(_("Keluarga ini sudah punya permintaan pindah yang belum diputuskan."))
        else:
            flash(
                _("Permintaan pindah dikirim ke desk tujuan. Data keluarga tetap di sini sampai diterima."),
                "success",
            )
            return redirect(url_for("moves.detail", move_id=move.id))
    village = db.session.get(Region, form.village_code.data) if form.village_code.data else None
    return render_template(
        "intake/moves/request.html", household=household, form=form, pending=pending, village=village
    )


@bp.route("/moves")
@requires(Permission.MOVE_HOUSEHOLDS)
def index() -> Any:
    prefix = current_user.scope_region_code
    load = (
        selectinload(m.HouseholdMove.household).selectinload(m.Household.members),
        selectinload(m.HouseholdMove.requested_by),
        selectinload(m.HouseholdMove.decided_by),
    )
    waiting = db.session.scalars(moves.incoming(current_user).options(*load)).all()
    asked = db.session.scalars(
        visible(m.HouseholdMove)
        .where(
            m.HouseholdMove.status == m.MoveStatus.REQUESTED,
            region_clause(m.HouseholdMove.from_village_code, prefix),
            sa.not_(region_clause(m.HouseholdMove.to_village_code, prefix)),
        )
        .options(*load)
        .order_by(m.HouseholdMove.requested_at.desc())
    ).all()
    decided = db.session.scalars(
        visible(m.HouseholdMove)
        .where(m.HouseholdMove.status != m.MoveStatus.REQUESTED)
        .options(*load)
        .order_by(m.HouseholdMove.decided_at.desc(), m.HouseholdMove.id.desc())
        .limit(moves.HISTORY_LIMIT)
    ).all()
    return render_template(
        "intake/moves/list.html", waiting=waiting, asked=asked, decided=decided, head_of=moves.head_of
    )


def _detail_page(move: m.HouseholdMove, refusal: MoveRefusalForm | None = None) -> str:
    sees_household = db.session.scalar(
        visible(m.Household).where(m.Household.id == move.household_id).with_only_columns(m.Household.id)
    )
    return render_template(
        "intake/moves/detail.html",
        move=move,
        head=moves.head_of(move),
        may_decide=moves.can_decide(current_user, move),
        may_cancel=moves.can_cancel(current_user, move),
        sees_household=sees_household is not None,
        form=EmptyForm(formdata=None),
        refusal=refusal or MoveRefusalForm(formdata=None),
    )


@bp.route("/moves/<int:move_id>")
@requires(Permission.MOVE_HOUSEHOLDS)
def detail(move_id: int) -> Any:
    return _detail_page(get_or_404(m.HouseholdMove, move_id))


def _decision(move_id: int, form: Any, allowed: Any) -> m.HouseholdMove | None:
    """The move for a POSTed decision; None, with a message and nothing changed, when it was
    decided meanwhile or this user is on the other side of it (the page shows the right buttons)."""
    move = get_or_404(m.HouseholdMove, move_id)
    if not form.validate_on_submit():
        abort(400)
    if not move.is_open:
        flash(_("Permintaan ini sudah diputuskan."), "error")
        return None
    if not allowed(current_user, move):
        flash(
            _(
                "Permintaan pindah diterima atau ditolak oleh desk tujuan, dan dibatalkan oleh desk "
                "asal. Bagian ini bukan untuk wilayah Anda."
            ),
            "error",
        )
        return None
    return move


@bp.route("/moves/<int:move_id>/accept", methods=["POST"])
@requires(Permission.MOVE_HOUSEHOLDS)
def accept(move_id: int) -> Any:
    move = _decision(move_id, EmptyForm(), moves.can_decide)
    if move is None:
        return redirect(url_for("moves.detail", move_id=move_id))
    try:
        moves.accept_move(move, current_user)
    except (moves.MoveRefused, IntegrityError):
        discard()
        flash(
            _("Permintaan ini tidak dapat diterima lagi: sudah diputuskan, atau keluarga sudah pindah."),
            "error",
        )
        return redirect(url_for("moves.detail", move_id=move_id))
    flash(
        _(
            "Keluarga diterima. Kasus dan rujukan yang masih berjalan kini diikuti desk Anda; "
            "tenggatnya tetap."
        ),
        "success",
    )
    return redirect(url_for("intake.household_detail", household_id=move.household_id))


@bp.route("/moves/<int:move_id>/refuse", methods=["POST"])
@requires(Permission.MOVE_HOUSEHOLDS)
def refuse(move_id: int) -> Any:
    form = MoveRefusalForm()
    move = _decision(move_id, form, moves.can_decide)
    if move is None:
        return redirect(url_for("moves.detail", move_id=move_id))
    try:
        moves.refuse_move(move, form.refusal_reason.data or "", current_user)
    except ValidationFailed as failed:
        discard()
        apply_errors(form, failed.errors)
        return _detail_page(move, refusal=form)
    except moves.MoveRefused:
        discard()
        flash(_("Permintaan ini sudah diputuskan."), "error")
        return redirect(url_for("moves.detail", move_id=move_id))
    flash(
        _("Permintaan pindah ditolak. Desk asal melihat alasannya; data keluarga tidak berubah."), "success"
    )
    return redirect(url_for("moves.index"))


@bp.route("/moves/<int:move_id>/cancel", methods=["POST"])
@requires(Permission.MOVE_HOUSEHOLDS)
def cancel(move_id: int) -> Any:
    move = _decision(move_id, EmptyForm(), moves.can_cancel)
    if move is None:
        return redirect(url_for("moves.detail", move_id=move_id))
    try:
        moves.cancel_move(move, current_user)
    except moves.MoveRefused:
        discard()
        flash(_("Permintaan ini sudah diputuskan."), "error")
        return redirect(url_for("moves.detail", move_id=move_id))
    flash(_("Permintaan pindah dibatalkan."), "success")
    return redirect(url_for("moves.detail", move_id=move_id))
