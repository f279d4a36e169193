"""The DTSEN review queue: rows the import could not apply, the row beside each candidate person,
and the two decisions (apply to one person, dismiss with a reason). A coordinator's or the
SLRT's decision (Permission.MERGE_PERSONS, as for merging: it settles which record is whose);
conflicts are scoped by the row's village, candidates through the person scope."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from slrt.core.access import get_or_404, visible
from slrt.core.forms import EmptyForm
from slrt.core.permissions import Permission, requires
from slrt.core.transaction import discard
from slrt.dtsen import conflicts
from slrt.dtsen.models import CONFLICT_KIND_LABELS, ConflictStatus, DtsenConflict
from slrt.extensions import db
from slrt.intake import models as m

bp = Blueprint("dtsen", __name__, url_prefix="/dtsen")
LIST_LIMIT = 200


@bp.route("/conflicts")
@requires(Permission.MERGE_PERSONS)
def conflict_list() -> Any:
    rows = db.session.scalars(
        visible(DtsenConflict)
        .where(DtsenConflict.status == ConflictStatus.OPEN)
        .order_by(DtsenConflict.created_at, DtsenConflict.id)
        .limit(LIST_LIMIT)
    ).all()
    return render_template("dtsen/conflicts.html", conflicts=rows, kind_labels=CONFLICT_KIND_LABELS)


@bp.route("/conflicts/<int:conflict_id>")
@requires(Permission.MERGE_PERSONS)
def conflict_detail(conflict_id: int) -> Any:
    conflict = get_or_404(DtsenConflict, conflict_id)
    ids = conflict.candidate_ids or []
    found = {p.id: p for p in db.session.scalars(visible(m.Person).where(m.Person.id.in_(ids)))}
    candidates = [found[i] for i in ids if i in found]
    return render_template(
        "dtsen/conflict.html",
        conflict=conflict,
        candidates=candidates,
        hidden=len(ids) - len(candidates),  # candidates outside the user's region
        kind_labels=CONFLICT_KIND_LABELS,
        form=EmptyForm(),
    )


@bp.route("/conflicts/<int:conflict_id>/apply", methods=["POST"])
@requires(Permission.MERGE_PERSONS)
def conflict_apply(conflict_id: int) -> Any:
    conflict = get_or_404(DtsenConflict, conflict_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    person = get_or_404(m.Person, request.form.get("person_id", type=int))
    try:
        conflicts.apply(conflict, person, current_user)
        db.session.flush()
    except conflicts.AlreadyDecided:
        discard()
        flash(_("Baris ini sudah diputuskan sebelumnya; tidak ada yang diubah."), "error")
        return redirect(url_for("dtsen.conflict_detail", conflict_id=conflict_id))
    except ValueError:
        discard()
        flash(
            _(
                "Baris ini tidak dapat diterapkan pada warga itu: NIK-nya masih tercatat pada warga "
                "lain, atau warga itu sudah punya NIK yang berbeda. Periksa data ganda dulu, atau "
                "abaikan baris ini dengan alasannya."
            ),
            "error",
        )
        return redirect(url_for("dtsen.conflict_detail", conflict_id=conflict_id))
    flash(_("Data DTSEN diterapkan pada warga ini; perubahannya tercatat di riwayat data."), "success")
    return redirect(url_for("intake.person_detail", person_id=person.id))


@bp.route("/conflicts/<int:conflict_id>/dismiss", methods=["POST"])
@requires(Permission.MERGE_PERSONS)
def conflict_dismiss(conflict_id: int) -> Any:
    conflict = get_or_404(DtsenConflict, conflict_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    reason = (request.form.get("reason") or "").strip()[:500]
    if not reason:
        flash(_("Tulis alasan mengapa baris ini diabaikan."), "error")
        return redirect(url_for("dtsen.conflict_detail", conflict_id=conflict_id))
    try:
        conflicts.dismiss(conflict, reason, current_user)
        db.session.flush()
    except conflicts.AlreadyDecided:
        discard()
        flash(_("Baris ini sudah diputuskan sebelumnya; tidak ada yang diubah."), "error")
        return redirect(url_for("dtsen.conflict_detail", conflict_id=conflict_id))
    flash(_("Baris DTSEN diabaikan; alasannya disimpan."), "success")
    return redirect(url_for("dtsen.conflict_list"))
