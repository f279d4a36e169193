"""Referral pages: detail with history and actions, approvals queue, agency inbox, overdue list,
the letter PDF, local holidays. Thin views: validate, call one service, commit once, redirect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.core.access import get_or_404, in_scope_region, visible
from slrt.core.audit import audit
from slrt.core.permissions import Permission, has, requires
from slrt.core.transaction import discard
from slrt.core.web import carries_number, held, hold, is_safe_next, page_number
from slrt.core.workdays import LocalHoliday, local_today
from slrt.directory.models import Agency
from slrt.extensions import db
from slrt.intake.models import Case, Need
from slrt.referrals import closure, deadlines, queries, retry, transitions, workflow
from slrt.referrals.access import can_see_personal_data, contact_shown, sees_people
from slrt.referrals.forms import (
    CloseForm,
    DeleteHolidayForm,
    HolidayForm,
    NoteForm,
    TransitionForm,
    VersionForm,
)
from slrt.referrals.models import (
    DESK_NOTE_STATUSES,
    REFERRAL_STATUS_LABELS,
    Referral,
    ReferralEvent,
    needs_more_data,
)
from slrt.referrals.models import ReferralStatus as S
from slrt.referrals.queries import INBOX_STATUSES, capped_count, inbox_counts
from slrt.regions.models import Region

bp = Blueprint("referrals", __name__)

PER_PAGE = 25


ACTION_LABELS = {
    (S.DRAFT, S.AWAITING_APPROVAL): _l("Ajukan persetujuan"),
    (S.DRAFT, S.SENT): _l("Kirim ke lembaga"),
    (S.AWAITING_APPROVAL, S.SENT): _l("Setujui dan kirim"),
    (S.AWAITING_APPROVAL, S.DRAFT): _l("Kembalikan ke desk"),
    (S.SENT, S.ACCEPTED): _l("Terima rujukan"),
    (S.SENT, S.REJECTED): _l("Tolak rujukan"),
    (S.ACCEPTED, S.IN_PROGRESS): _l("Mulai ditangani"),
    (S.WAITING_CITIZEN, S.IN_PROGRESS): _l("Lanjutkan penanganan"),
    (S.RETURNED, S.SENT): _l("Kirim ulang ke lembaga lain"),
    (S.RETURNED, S.AWAITING_APPROVAL): _l("Kirim ulang ke lembaga lain (perlu persetujuan)"),
    (S.RESOLVED, S.SENT): _l("Ajukan banding (buka kembali)"),
    (S.REJECTED, S.SENT): _l("Ajukan banding (buka kembali)"),
}
TARGET_LABELS = {
    S.CANCELLED: _l("Batalkan rujukan"),
    S.RETURNED: _l("Kembalikan ke desk (bukan untuk kami)"),
    S.WAITING_CITIZEN: _l("Tunggu kelengkapan dari warga"),
    S.RESOLVED: _l("Selesai: catat hasil"),
}
PRIMARY = {S.SENT, S.ACCEPTED, S.RESOLVED, S.AWAITING_APPROVAL, S.IN_PROGRESS}


@dataclass
class Action:
    to: S
    label: str
    rule: workflow.Rule
    primary: bool
    danger: bool


def available_actions(referral: Referral, user: User) -> list[Action]:
    """What `user` may do with `referral` now (the service checks again on submit)."""
    if user.role not in workflow.ACTORS:
        return []
    approval = queries.requires_approval(referral)
    actions = []
    for to in workflow.allowed_targets(referral.status, user.role, approval):
        reopening = (referral.status, to) in workflow.REOPENING
        if reopening and not workflow.within_reopen_window(referral.closed_at, local_today()):
            continue
        label = (
            ACTION_LABELS.get((referral.status, to)) or TARGET_LABELS.get(to) or REFERRAL_STATUS_LABELS[to]
        )
        rule = workflow.TRANSITIONS[(referral.status, to)]
        primary = to in PRIMARY and (referral.status, to) not in workflow.REOPENING
        actions.append(Action(to, str(label), rule, primary, to in (S.CANCELLED, S.REJECTED)))
    actions.sort(key=lambda a: (not a.primary, a.danger))
    return actions


def agency_choices(referral: Referral) -> list[tuple[str, str]]:
    agencies = db.session.scalars(
        sa.select(Agency)
        .where(Agency.active.is_(True), Agency.id != referral.agency_id)
        .order_by(Agency.name)
    ).all()
    return [("", str(_l("— pilih lembaga —")))] + [(str(a.id), a.name) for a in agencies]


def _back(referral: Referral, target: str | None) -> Any:
    if is_safe_next(target):
        return redirect(target)
    return redirect(url_for("referrals.detail", referral_id=referral.id))


def _flash_problems(exc: ValidationFailed) -> None:
    for messages in exc.errors.values():
        for message in messages:
            flash(message, "error")


@bp.route("/referrals/<int:referral_id>")
@login_required
def detail(referral_id: int) -> Any:
    from slrt.intake.models import Person

    # What the agency needs on one page (issue 17): the case, its reporter and household joined.
    referral = get_or_404(
        Referral,
        referral_id,
        options=(joinedload(Referral.case).joinedload(Case.reporter).joinedload(Person.household),),
    )
    events = db.session.scalars(
        sa.select(ReferralEvent)
        .where(ReferralEvent.referral_id == referral.id)
        .options(selectinload(ReferralEvent.actor))
        .order_by(ReferralEvent.id.desc())
    ).all()
    audit("referral.view", referral)
    return render_template(
        "referrals/detail.html",
        referral=referral,
        case=referral.case,
        events=events,
        actions=available_actions(referral, current_user),
        agencies=agency_choices(referral),
        show_reporter=sees_people(current_user)
        and (has(current_user, Permission.SEE_WHOLE_CASE) or not referral.case.anonymous),
        show_contact=contact_shown(current_user, referral),
        desk_notes=[e for e in events if e.to_status in DESK_NOTE_STATUSES and e.note],
    )


@bp.route("/referrals/<int:referral_id>/transition", methods=["POST"])
@login_required
def do_transition(referral_id: int) -> Any:
    referral = get_or_404(Referral, referral_id)
    form = TransitionForm()
    form.agency_id.choices = agency_choices(referral)
    if not form.validate():
        # Back to the page with the form open, what was typed kept, each message at its field.
        retry.keep(referral.id, form.to.data, request.form, dict(form.errors))
        return _back(referral, form.next.data)
    if (
        form.to.data == S.SENT.value
        and referral.status is S.AWAITING_APPROVAL
        and needs_more_data(referral.reason)
        and not request.form.get("confirm_unknown")
    ):
        # Approving a referral whose routing said "Perlu data tambahan" is a decision, not a click.
        message = _("Centang bahwa data yang kurang sudah diperiksa sebelum menyetujui rujukan ini.")
        retry.keep(referral.id, form.to.data, request.form, {"confirm_unknown": [message]})
        return _back(referral, form.next.data)
    agency = None
    if form.agency_id.data and str(form.agency_id.data).isdecimal():
        agency = db.session.get(Agency, int(form.agency_id.data))
    try:
        event = transitions.transition(
            referral,
            form.to.data,
            current_user._get_current_object(),
            note=form.note.data,
            message=form.message.data,
            reason=form.reason.data,
            outcome=form.outcome.data,
            agency=agency,
            expected_version=form.version.data,
        )
    except transitions.StaleVersion as exc:
        discard()
        flash(str(exc), "error")
    except transitions.TransitionNotAllowed as exc:
        discard()
        flash(str(exc), "error")
    except ValidationFailed as exc:
        discard()
        retry.keep(referral.id, form.to.data, request.form, exc.errors)
    else:
        flash(_('Rujukan kini berstatus "%(s)s".', s=REFERRAL_STATUS_LABELS[event.to_status]), "success")
    return _back(referral, form.next.data)


@bp.route("/referrals/<int:referral_id>/note", methods=["POST"])
@login_required
def note(referral_id: int) -> Any:
    referral = get_or_404(Referral, referral_id)
    form = NoteForm()
    if not form.validate():
        flash(_("Catatan terlalu panjang."), "error")
        return _back(referral, None)
    try:
        transitions.add_note(
            referral,
            current_user._get_current_object(),
            form.note.data,
            message=form.message.data,
            expected_version=form.version.data,
        )
    except (transitions.StaleVersion, transitions.TransitionNotAllowed) as exc:
        discard()
        flash(str(exc), "error")
    except ValidationFailed as exc:
        discard()
        _flash_problems(exc)
    else:
        flash(_("Catatan disimpan."), "success")
    return _back(referral, None)


@bp.route("/referrals/<int:referral_id>/informed", methods=["POST"])
@login_required
def informed(referral_id: int) -> Any:
    referral = get_or_404(Referral, referral_id)
    form = VersionForm()
    if not form.validate():
        abort(400)
    try:
        transitions.mark_citizen_informed(
            referral, current_user._get_current_object(), expected_version=form.version.data
        )
    except (transitions.StaleVersion, transitions.TransitionNotAllowed) as exc:
        discard()
        flash(str(exc), "error")
    else:
        flash(_("Dicatat: warga sudah diberi tahu hasilnya."), "success")
    return _back(referral, form.next.data)


@bp.route("/referrals/<int:referral_id>/letter.pdf")
@login_required
def letter(referral_id: int) -> Any:
    referral = get_or_404(Referral, referral_id)
    if not referral.letter_number:
        abort(404)
    from slrt.referrals.letter import render_letter
    from slrt.referrals.verification import issue

    issued = issue(referral)
    hide = referral.case.anonymous or not can_see_personal_data(current_user, referral)
    # The kept copy when the reader may see what it shows; otherwise a copy drawn for this reader
    # (its digest differs from the kept one, which the verification page names).
    pdf = issued.pdf if hide == issued.hides_reporter else render_letter(referral, hide, code=issued.code)
    audit("referral.letter", referral)
    name = referral.letter_number.replace("/", "-")
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="surat-rujukan-{name}.pdf"'},
    )


def _list_options(query: sa.Select) -> sa.Select:
    # Everything a row shows, loaded in a fixed number of statements whatever the page size; the
    # case and its reporter (one each per referral) joined into the page's own statement.
    return query.options(
        joinedload(Referral.case).joinedload(Case.reporter),
        selectinload(Referral.need),
    )


def _page(query: sa.Select) -> tuple[list[Referral], int, int]:
    page = page_number()
    total = capped_count(query)
    rows = db.session.scalars(_list_options(query).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return list(rows), total, page


@bp.route("/referrals/approvals")
@requires(Permission.SEE_APPROVALS)
def approvals() -> Any:
    query = (
        visible(Referral)
        .where(Referral.status == S.AWAITING_APPROVAL)
        .order_by(Referral.urgent.desc(), Referral.updated_at)
    )
    rows, total, page = _page(query)
    # The desk's note when it asked for approval ("Lansia tanpa NIK, mohon diprioritaskan").
    notes = dict(
        db.session.execute(
            sa.select(ReferralEvent.referral_id, ReferralEvent.note)
            .where(
                ReferralEvent.referral_id.in_([r.id for r in rows]),
                ReferralEvent.to_status.in_(DESK_NOTE_STATUSES),
                ReferralEvent.note.is_not(None),
            )
            .order_by(ReferralEvent.at, ReferralEvent.id)
        ).all()
    )
    return render_template(
        "referrals/approvals.html",
        notes=notes,
        referrals=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        can_act=has(current_user, Permission.APPROVE_REFERRALS),
    )


INBOX_SEARCH = "held_inbox_search"


def inbox_search(query: sa.Select, text: str) -> sa.Select:
    """The inbox search box: a tracking code, a letter number or part of the citizen's name (the
    name only where the user sees people and the case is not anonymous to them)."""
    from slrt.core import tracking
    from slrt.intake import models as m
    from slrt.intake.search import MIN_NAME_SEARCH, _like_escape, name_clause

    q = text.strip()
    if tracking.is_valid(q):
        cases = sa.select(Case.id).where(Case.tracking_code == tracking.normalize(q))
        return query.where(Referral.case_id.in_(cases))
    letter = Referral.letter_number.ilike(f"%{_like_escape(q)}%", escape="\\")
    if not sees_people(current_user) or len(m.normalize_name(q)) < MIN_NAME_SEARCH:
        return query.where(letter)
    # The person the referral concerns, or the case's reporter (the name each row shows).
    named = sa.select(m.Person.id).where(name_clause(q))
    reported = sa.select(Case.id).where(Case.reporter_id.in_(named))
    by_name = sa.or_(Referral.person_id.in_(named), Referral.case_id.in_(reported))
    if not has(current_user, Permission.SEE_WHOLE_CASE):  # an anonymous reporter is not found by name
        anonymous = sa.select(Case.id).where(Case.anonymous.is_(True))
        by_name = sa.and_(by_name, Referral.case_id.not_in(anonymous))
    return query.where(sa.or_(letter, by_name))


def _flash_bulk(result: Any, done_message: str) -> None:
    if result.moved:
        flash(done_message % {"n": len(result.moved)}, "success")
    for referral, why in result.refused:
        flash(
            _(
                "%(service)s (#%(id)s) tidak diproses: %(why)s",
                service=referral.service.name,
                id=referral.id,
                why=why,
            ),
            "error",
        )


@bp.route("/referrals/approvals/bulk", methods=["POST"])
@requires(Permission.APPROVE_REFERRALS)
def approve_many() -> Any:
    """Approves and sends the ticked referrals, each checked as if approved alone."""
    from slrt.core.forms import EmptyForm
    from slrt.referrals import bulk

    if not EmptyForm().validate():
        abort(400)
    items = []
    for raw in request.form.getlist("referral"):
        if raw.isdecimal():
            referral = get_or_404(Referral, int(raw))
            version = request.form.get(f"version-{raw}", "")
            items.append((referral, int(version) if version.isdecimal() else None))
    if not items:
        flash(_("Pilih dulu rujukan yang akan disetujui."), "error")
        return redirect(url_for("referrals.approvals"))
    # One whose routing said "Perlu data tambahan" is approved on its own, after a look at it.
    flagged = [
        (r, _("perlu data tambahan; setujui satu per satu setelah memeriksa datanya."))
        for r, _v in items
        if needs_more_data(r.reason)
    ]
    items = [(r, v) for r, v in items if not needs_more_data(r.reason)]
    result = bulk.move_each(items, "sent", current_user._get_current_object())
    result.refused.extend(flagged)
    _flash_bulk(result, _("%(n)s rujukan disetujui dan dikirim ke lembaga."))
    return redirect(url_for("referrals.approvals"))


@bp.route("/cases/<int:case_id>/send-drafts", methods=["POST"])
@requires(Permission.SEND_REFERRALS)
def send_drafts(case_id: int) -> Any:
    """Sends (or submits for approval) every draft referral of a case at once."""
    from slrt.core.forms import EmptyForm
    from slrt.referrals import bulk

    case = get_or_404(Case, case_id)
    if not EmptyForm().validate():
        abort(400)
    drafts = db.session.scalars(
        visible(Referral).where(Referral.case_id == case.id, Referral.status == S.DRAFT).order_by(Referral.id)
    ).all()
    result = bulk.move_each([(r, None) for r in drafts], "sent", current_user._get_current_object())
    _flash_bulk(result, _("%(n)s draf rujukan diajukan."))
    return redirect(url_for("intake.case_detail", case_id=case.id) + "#referrals")


@bp.route("/referrals/inbox")
@requires(Permission.RECEIVE_REFERRALS)
def inbox() -> Any:
    today = queries.user_today(current_user)
    q = (request.args.get("q") or "").strip()
    if carries_number(q):
        # As the desk search: a personal number never stays in the URL (browser history).
        hold(INBOX_SEARCH, q)
        args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "q"}
        return redirect(url_for("referrals.inbox", held=1, **args))
    if request.args.get("held") and not q:
        q = held(INBOX_SEARCH, "")
    status = request.args.get("status", "open")
    deadline = request.args.get("deadline", "")
    urgent = request.args.get("urgent") == "1"
    query = visible(Referral)
    if status == "open":
        query = query.where(Referral.status.in_((S.SENT, S.ACCEPTED, S.IN_PROGRESS, S.WAITING_CITIZEN)))
    elif status in {s.value for s in INBOX_STATUSES}:
        query = query.where(Referral.status == S(status))
    if urgent:
        query = query.where(Referral.urgent.is_(True))
    if deadline == "overdue":
        query = query.where(deadlines.overdue_clause(today))
    elif deadline == "at_risk":
        query = query.where(deadlines.at_risk_clause(today))
    if len(q) >= 2:
        query = inbox_search(query, q)
    query = deadlines.order_by_deadline(query, today)
    rows, total, page = _page(query)
    counts = inbox_counts(current_user)
    return render_template(
        "referrals/inbox.html",
        referrals=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        counts=counts,
        filters={"status": status, "deadline": deadline, "urgent": urgent, "q": q},
        statuses=[(s.value, REFERRAL_STATUS_LABELS[s]) for s in INBOX_STATUSES],
    )


@bp.route("/referrals/overdue")
@requires(Permission.SEE_REPORTS)
def overdue() -> Any:
    today = queries.user_today(current_user)
    query = (
        visible(Referral)
        .where(deadlines.overdue_clause(today))
        .order_by(sa.func.coalesce(Referral.resolve_due, Referral.respond_due), Referral.id)
    )
    rows, total, page = _page(query)
    breaches: dict[int, list[ReferralBreach]] = {}
    if rows:
        from slrt.referrals.models import ReferralBreach

        for b in db.session.scalars(
            sa.select(ReferralBreach).where(ReferralBreach.referral_id.in_([r.id for r in rows]))
        ):
            breaches.setdefault(b.referral_id, []).append(b)
    return render_template(
        "referrals/overdue.html", referrals=rows, total=total, page=page, per_page=PER_PAGE, breaches=breaches
    )


@bp.route("/referrals/<int:referral_id>/remind", methods=["POST"])
@requires(Permission.SEE_REPORTS)
def remind(referral_id: int) -> Any:
    """SLRT reminds the agency of one referral (the overdue list's button)."""
    from slrt.referrals import reminders

    referral = get_or_404(Referral, referral_id)
    form = VersionForm()
    if not form.validate() or referral.agency is None or deadlines.deadline_of(referral)[0] is None:
        abort(400)
    try:
        reminder = reminders.remind(referral, current_user._get_current_object())
    except reminders.NoContact as exc:
        discard()
        flash(str(exc), "error")
    else:
        flash(_("Pengingat dikirim ke %(to)s.", to=reminder.recipients), "success")
    return _back(referral, form.next.data or url_for("referrals.overdue"))


@bp.route("/admin/holidays", methods=["GET", "POST"])
@requires(Permission.MANAGE_HOLIDAYS)
def holidays() -> Any:
    form = HolidayForm()
    if form.validate_on_submit():
        code = (form.region_code.data or "").strip() or None
        if code and db.session.get(Region, code) is None:
            form.region_code.errors.append(_("Kode wilayah %(code)s tidak dikenal.", code=code))
        elif code and not in_scope_region(current_user, code):
            form.region_code.errors.append(_("Wilayah di luar cakupan Anda."))
        elif code is None and current_user.scope_region_code:
            form.region_code.errors.append(_("Isi kode wilayah dalam cakupan Anda."))
        elif db.session.scalar(
            sa.select(LocalHoliday.id).where(
                LocalHoliday.day == form.day.data,
                LocalHoliday.region_code.is_(None) if code is None else LocalHoliday.region_code == code,
            )
        ):
            form.day.errors.append(_("Hari libur ini sudah tercatat."))
        else:
            holiday = LocalHoliday(day=form.day.data, name=form.name.data.strip(), region_code=code)
            db.session.add(holiday)
            db.session.flush()
            audit("holiday.create", holiday, detail={"day": form.day.data.isoformat(), "region": code})
            flash(_("Hari libur lokal ditambahkan."), "success")
            return redirect(url_for("referrals.holidays"))
    rows = db.session.scalars(
        sa.select(LocalHoliday)
        .where(LocalHoliday.day >= local_today().replace(month=1, day=1))
        .order_by(LocalHoliday.day)
    ).all()
    return render_template(
        "referrals/holidays.html", form=form, holidays=rows, delete_form=DeleteHolidayForm()
    )


@bp.route("/admin/holidays/delete", methods=["POST"])
@requires(Permission.MANAGE_HOLIDAYS)
def holiday_delete() -> Any:
    form = DeleteHolidayForm()
    if not form.validate():
        abort(400)
    holiday = db.session.get(LocalHoliday, form.holiday.data)
    if holiday is None or not in_scope_region(current_user, holiday.region_code):
        abort(404)
    audit("holiday.delete", holiday, detail={"day": holiday.day.isoformat(), "region": holiday.region_code})
    db.session.delete(holiday)
    flash(_("Hari libur lokal dihapus. Tenggat yang sudah dihitung tidak berubah."), "success")
    return redirect(url_for("referrals.holidays"))


# --- closing a need or a case on purpose (slrt.referrals.closure) -----------------------------


def _case_page(case: Case, close_errors: dict[str, list[str]], reason: str | None) -> Any:
    """The case page again, the refused closing form open with its message at the field (422:
    the request changes nothing)."""
    referrals = db.session.scalars(
        visible(Referral).where(Referral.case_id == case.id).order_by(Referral.id)
    ).all()
    page = render_template(
        "desk/case.html", case=case, referrals=referrals, close_errors=close_errors, close_reason=reason
    )
    return page, 422


def _close(case: Case, form_key: str, do: Any) -> Any:
    form = CloseForm()
    if not form.validate():
        return _case_page(case, {form_key: [m for ms in form.errors.values() for m in ms]}, form.reason.data)
    try:
        do(form.reason.data)
    except ValidationFailed as exc:
        discard()
        return _case_page(case, {form_key: [m for ms in exc.errors.values() for m in ms]}, form.reason.data)
    except closure.ClosingNotAllowed as exc:
        discard()
        flash(str(exc), "error")
        return redirect(url_for("intake.case_detail", case_id=case.id) + "#needs")
    return None


@bp.route("/needs/<int:need_id>/close", methods=["POST"])
@requires(Permission.ROUTE_CASES)
def close_need(need_id: int) -> Any:
    need = get_or_404(Need, need_id)
    case = need.case
    actor = current_user._get_current_object()
    refused = _close(case, f"need-{need.id}", lambda r: closure.close_need(need, actor, r))
    if refused is not None:
        return refused
    flash(_("Kebutuhan %(n)s ditutup.", n=need.category.display_name), "success")
    return redirect(url_for("intake.case_detail", case_id=case.id) + "#needs")


@bp.route("/cases/<int:case_id>/close", methods=["POST"])
@requires(Permission.ROUTE_CASES)
def close_case(case_id: int) -> Any:
    case = get_or_404(Case, case_id)
    actor = current_user._get_current_object()
    refused = _close(case, "case", lambda r: closure.close_case(case, actor, r))
    if refused is not None:
        return refused
    flash(_("Kasus ditutup."), "success")
    return redirect(url_for("intake.case_detail", case_id=case.id))
