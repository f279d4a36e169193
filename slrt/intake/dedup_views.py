"""Suspected duplicates: the list for the user's region, a pair side by side with the evidence,
merge (and its undo) and "not the same person". A coordinator's or the SLRT's decision
(Permission.MERGE_PERSONS); both persons are loaded through the scope check."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from slrt.core.access import get_or_404, visible
from slrt.core.forms import EmptyForm
from slrt.core.permissions import Permission, requires
from slrt.core.transaction import discard
from slrt.extensions import db
from slrt.intake import dedup
from slrt.intake import models as m
from slrt.referrals.models import Referral

bp = Blueprint("dedup", __name__)
LIST_LIMIT = 100


@bp.route("/duplicates")
@requires(Permission.MERGE_PERSONS)
def pairs() -> Any:
    found = dedup.scan(current_user.scope_region_code or "")[:LIST_LIMIT]
    ids = {c.person_a for c in found} | {c.person_b for c in found}
    persons = {p.id: p for p in db.session.scalars(visible(m.Person).where(m.Person.id.in_(ids)))}
    found = [c for c in found if c.person_a in persons and c.person_b in persons]
    return render_template("intake/duplicates.html", pairs=found, persons=persons)


def _side(person: m.Person) -> dict[str, Any]:
    cases = db.session.scalar(sa.select(sa.func.count(m.Case.id)).where(m.Case.reporter_id == person.id))
    referrals = db.session.scalar(
        sa.select(sa.func.count(Referral.id)).where(Referral.person_id == person.id)
    )
    return {"person": person, "cases": cases or 0, "referrals": referrals or 0}


@bp.route("/persons/<int:person_id>/duplicates/<int:other_id>")
@requires(Permission.MERGE_PERSONS)
def pair(person_id: int, other_id: int) -> Any:
    a, b = get_or_404(m.Person, person_id), get_or_404(m.Person, other_id)
    if a.id == b.id:
        abort(404)
    candidate = dedup.compare(dedup.Record.of(a), dedup.Record.of(b))
    return render_template(
        "intake/duplicate_pair.html",
        a=_side(a),
        b=_side(b),
        candidate=candidate,
        evidence_labels=dedup.EVIDENCE_LABELS,
        form=EmptyForm(),
    )


@bp.route("/persons/<int:person_id>/duplicates/<int:other_id>/merge", methods=["POST"])
@requires(Permission.MERGE_PERSONS)
def merge(person_id: int, other_id: int) -> Any:
    a, b = get_or_404(m.Person, person_id), get_or_404(m.Person, other_id)
    if not EmptyForm().validate_on_submit() or a.id == b.id:
        abort(400)
    survivor, merged = (b, a) if request.form.get("survivor") == str(b.id) else (a, b)
    score = dedup.compare(dedup.Record.of(a), dedup.Record.of(b)).score
    try:
        record = dedup.merge(survivor, merged, current_user, score=score)
        db.session.flush()
    except (ValueError, IntegrityError):
        # Already merged, or both have an open referral to the same service (one per person).
        discard()
        message = _(
            "Data ini tidak dapat digabung. Periksa apakah salah satunya sudah digabung, "
            "atau keduanya punya rujukan terbuka ke layanan yang sama."
        )
        flash(message, "error")
        return redirect(url_for("dedup.pair", person_id=a.id, other_id=b.id))
    flash(
        _("Data digabung. Semua kasus, kebutuhan, rujukan dan persetujuan kini ada pada data ini."), "success"
    )
    return redirect(url_for("dedup.merge_detail", merge_id=record.id))


@bp.route("/persons/<int:person_id>/duplicates/<int:other_id>/distinct", methods=["POST"])
@requires(Permission.MERGE_PERSONS)
def distinct(person_id: int, other_id: int) -> Any:
    a, b = get_or_404(m.Person, person_id), get_or_404(m.Person, other_id)
    if not EmptyForm().validate_on_submit() or a.id == b.id:
        abort(400)
    dedup.mark_distinct(a, b, current_user)
    flash(_("Ditandai sebagai dua orang yang berbeda; pasangan ini tidak akan diusulkan lagi."), "success")
    return redirect(url_for("dedup.pairs"))


def _merge_or_404(merge_id: int) -> m.PersonMerge:
    record = db.session.get(m.PersonMerge, merge_id)
    if record is None:
        abort(404)
    get_or_404(m.Person, record.survivor_id)  # scoped through the survivor
    return record


@bp.route("/merges/<int:merge_id>")
@requires(Permission.MERGE_PERSONS)
def merge_detail(merge_id: int) -> Any:
    record = _merge_or_404(merge_id)
    return render_template("intake/merge.html", record=record, form=EmptyForm())


@bp.route("/merges/<int:merge_id>/undo", methods=["POST"])
@requires(Permission.MERGE_PERSONS)
def undo(merge_id: int) -> Any:
    record = _merge_or_404(merge_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        dedup.undo(record, current_user)
        db.session.flush()
    except (ValueError, IntegrityError):
        discard()
        flash(
            _("Penggabungan ini tidak dapat dibatalkan (sudah dibatalkan, atau datanya berubah sejak itu)."),
            "error",
        )
        return redirect(url_for("dedup.merge_detail", merge_id=merge_id))
    flash(_("Penggabungan dibatalkan: kedua data kembali seperti sebelumnya."), "success")
    return redirect(url_for("dedup.pair", person_id=record.survivor_id, other_id=record.merged_id))


@bp.route("/data-quality")
@requires(Permission.CORRECT_FACTS)
def data_quality() -> Any:
    from slrt.core.nik import NIK_MISSING_LABELS
    from slrt.core.workdays import local_today
    from slrt.intake import quality

    return render_template(
        "intake/data_quality.html",
        report=quality.report(current_user, local_today()),
        reasons=quality.NO_NIK_REASONS,
        reason_labels=NIK_MISSING_LABELS,
    )
