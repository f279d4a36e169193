"""Desk pages: home, search, the new-case flow, the receipt, case/household/person pages and
attachments. Views stay thin: scope through `visible`/`get_or_404`, one service call, one commit."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from slrt.accounts.models import Role
from slrt.accounts.services import ValidationFailed
from slrt.core.access import get_or_404, visible
from slrt.core.ages import ABOUT_YEARS
from slrt.core.audit import audit
from slrt.core.crypto import mask
from slrt.core.nik import NIK_MISSING_LABELS
from slrt.core.permissions import Permission, has, requires
from slrt.core.transaction import discard
from slrt.core.web import carries_number, held, hold, page_number, public_status_url
from slrt.core.workdays import local_now, local_today
from slrt.directory.models import NeedCategory
from slrt.extensions import db
from slrt.intake import corrections, dedup, provenance, records, registration, visit_form
from slrt.intake import models as m
from slrt.intake import receipt as receipts
from slrt.intake import search as people_search
from slrt.intake import uploads as attachments
from slrt.intake.forms import FindForm, IntakeForm, SearchForm
from slrt.privacy.consent import consent_withdrawn
from slrt.privacy.consent_text import CURRENT_VERSION, purpose_text
from slrt.referrals.access import may_open_documents, sees_people
from slrt.referrals.models import Referral, ReferralStatus

bp = Blueprint("intake", __name__)
# Session key of a search by NIK or phone number (never kept in the URL).
HELD_SEARCH = "held_search"
HELD_FIND = "held_find"  # the new-case find step's fields when they carried a NIK
FIND_FIELDS = ("nik", "name", "birth_date")

PERSON_FIELD_LABELS = {
    "nik": _l("NIK"),
    "nik_missing_reason": _l("Alasan tanpa NIK"),
    "name": _l("Nama"),
    "birth_date": _l("Tanggal lahir"),
    "birth_precision": _l("Ketepatan tanggal lahir"),
    "sex": _l("Jenis kelamin"),
    "phone": _l("Telepon"),
    "relationship_to_head": _l("Hubungan dengan kepala keluarga"),
    "disability": _l("Disabilitas"),
    "pregnant": _l("Hamil"),
    "schooling": _l("Sekolah"),
    "village_code": _l("Desa/kelurahan"),
    "household_id": _l("Keluarga"),
}
HOUSEHOLD_FIELD_LABELS = {
    "kk_number": _l("No. KK"),
    "village_code": _l("Desa/kelurahan"),
    "rt": _l("RT"),
    "rw": _l("RW"),
    "street": _l("Jalan"),
    "in_dtsen": _l("Terdaftar DTSEN"),
    "desil": _l("Desil"),
    "programmes": _l("Program diterima"),
    "house_uninhabitable": _l("Rumah tidak layak huni"),
}


@bp.context_processor
def intake_labels() -> dict[str, Any]:
    return {
        "person_field_labels": PERSON_FIELD_LABELS,
        "household_field_labels": HOUSEHOLD_FIELD_LABELS,
        "nik_missing_labels": NIK_MISSING_LABELS,
        "attachment_labels": m.ATTACHMENT_KIND_LABELS,
    }


PER_PAGE = 20


def start_of_today() -> datetime:
    """The desk's midnight, as UTC: 'today' for the desk is its own local day."""
    return local_now().replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


@bp.route("/")
@login_required
def home() -> Any:
    if not has(current_user, Permission.REGISTER_CASES):
        # An agency's or an administrator's home holds its own work (templates/desk/home.html).
        return render_template("desk/home.html", search_form=SearchForm(formdata=None))
    since = start_of_today()
    today = db.session.scalars(
        visible(m.Case)
        .where(m.Case.created_at >= since, m.Case.created_at < since + timedelta(days=1))
        .options(selectinload(m.Case.reporter), selectinload(m.Case.needs))
        .order_by(m.Case.urgent.desc(), m.Case.created_at)
        .limit(100)
    ).all()
    open_cases = db.paginate(
        visible(m.Case)
        .where(m.Case.status == m.CaseStatus.OPEN)
        .options(selectinload(m.Case.reporter), selectinload(m.Case.needs))
        .order_by(m.Case.urgent.desc(), m.Case.created_at.desc()),
        page=page_number(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "desk/home.html",
        today=today,
        open_cases=open_cases.items,
        open_pages=open_cases,
        open_count=open_cases.total,
        search_form=SearchForm(formdata=None),
    )


@bp.route("/search")
@login_required
def search() -> Any:
    if not has(current_user, Permission.SEE_WHOLE_CASE):
        abort(403)
    form = SearchForm(request.args)
    if carries_number(form.q.data):
        # A NIK or phone number never stays in the URL (browser history): kept in the session.
        hold(HELD_SEARCH, form.q.data)
        return redirect(url_for("intake.search", held=1))
    if request.args.get("held") and not form.q.data:
        form.q.data = held(HELD_SEARCH, "")
    result = people_search.search_statements(form.q.data or "", current_user)
    persons = cases = None
    if result.persons is not None and sees_people(current_user):
        persons = db.paginate(
            result.persons,
            page=page_number(),
            per_page=PER_PAGE,
            error_out=False,
        )
    if result.cases is not None:
        cases = db.paginate(result.cases, page=page_number(), per_page=PER_PAGE, error_out=False)
    capped = (
        result.kind == "name"
        and persons is not None
        and (persons.total or 0) >= people_search.MAX_NAME_MATCHES
    )
    return render_template(
        "intake/search.html", form=form, kind=result.kind, persons=persons, cases=cases, capped=capped
    )


# --- new case -------------------------------------------------------------------------------


def _need_choices() -> list[tuple[str, str]]:
    categories = db.session.scalars(
        sa.select(NeedCategory).where(NeedCategory.active).order_by(NeedCategory.position, NeedCategory.code)
    )
    return [("", _("– pilih –"))] + [(c.code, c.display_name) for c in categories]


def _prepare(form: IntakeForm, person: m.Person | None) -> None:
    """Choices that depend on the database, the household and the officer's scope."""
    needs = _need_choices()
    people = [("self", _("Warga yang datang"))]
    if person and person.household:
        people += [(f"p{p.id}", p.name) for p in person.household.members if p.id != person.id]
    people += [(f"m{i}", _("Anggota baru ke-%(n)d", n=i + 1)) for i in range(len(form.members.entries))]
    for entry in form.needs:
        entry.category.choices = needs
        entry.person.choices = people


def _fill_from(form: IntakeForm, person: m.Person) -> None:
    form.person_id.data = str(person.id)
    # Masked: posted back unchanged it keeps the stored number (see registration.create_case).
    form.nik.data = mask(person.nik)
    form.nik_missing_reason.data = person.nik_missing_reason.value if person.nik_missing_reason else ""
    form.name.data = person.name
    precision = person.birth_precision or m.BirthPrecision.DAY
    form.birth_precision.data = precision.value
    if person.birth_date and precision is m.BirthPrecision.DAY:
        form.birth_date.data = person.birth_date.isoformat()
    elif person.birth_date:
        form.birth_year.data = str(person.birth_date.year)
    form.sex.data = person.sex.value if person.sex else ""
    form.phone.data = person.phone or ""
    form.relationship.data = person.relationship_to_head.value if person.relationship_to_head else ""
    form.disability.data = person.disability.value
    form.pregnant.data = bool(person.pregnant)
    form.schooling.data = person.schooling.value if person.schooling else ""
    household = person.household
    if household:
        form.kk_number.data = mask(household.kk_number)
        form.village_code.data = household.village_code
        form.rt.data, form.rw.data, form.street.data = household.rt, household.rw, household.street
        form.in_dtsen.data = {True: "yes", False: "no"}.get(household.in_dtsen, "")
        form.desil.data = str(household.desil or "")
        form.programmes.data = [p for p in household.programmes if p in visit_form.PROGRAMMES]
        form.programmes_other.data = ", ".join(
            p for p in household.programmes if p not in visit_form.PROGRAMMES
        )


def _person_context(person: m.Person | None) -> dict[str, Any]:
    if person is None:
        return {"person": None, "open_cases": [], "past_referrals": []}
    case_ids = sa.select(m.Case.id).where(
        sa.or_(m.Case.reporter_id == person.id, m.Case.household_id == person.household_id)
    )
    referrals = db.session.scalars(
        visible(Referral).where(Referral.case_id.in_(case_ids)).order_by(Referral.created_at.desc()).limit(20)
    ).all()
    return {
        "person": person,
        "open_cases": people_search.open_cases_of(person, current_user),
        "past_referrals": referrals,
    }


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@bp.route("/cases/new", methods=["GET"])
@requires(Permission.REGISTER_CASES)
def new_case() -> Any:
    """Find the visitor first; then one form for visitor, household and visit."""
    if carries_number(request.args.get("nik")):
        # Like the search: a NIK never stays in the URL (browser history, proxy logs); the find
        # fields wait in the session and the page is asked for again without them.
        hold(HELD_FIND, {key: request.args.get(key, "") for key in FIND_FIELDS})
        return redirect(url_for("intake.new_case", held=1, new=request.args.get("new") or None))
    args = request.args
    if args.get("held"):
        args = MultiDict({**held(HELD_FIND, {}), **args.to_dict()})
    find = FindForm(args)
    person = None
    if request.args.get("person_id"):
        person = get_or_404(m.Person, request.args.get("person_id", type=int))
    searched = bool(find.nik.data or find.name.data)
    candidates = (
        people_search.find_people(
            current_user, find.nik.data or "", find.name.data or "", _parse_date(find.birth_date.data)
        )
        if searched and person is None
        else []
    )
    if person is None and not request.args.get("new") and (not searched or candidates):
        return render_template(
            "intake/find.html",
            find=find,
            candidates=candidates,
            searched=searched,
            held=bool(args.get("held")),
        )
    form = IntakeForm(formdata=None)
    form.idempotency_key.data = secrets.token_urlsafe(24)
    if person is not None:
        _fill_from(form, person)
    else:
        form.nik.data = find.nik.data or ""
        form.name.data = find.name.data or ""
        form.birth_date.data = find.birth_date.data or ""
    office = current_user.office
    if person is None and office is not None and office.region and office.region.level == 4:
        # Pre-filled with the desk's village; for a desk officer it is fixed, and the service
        # refuses any other posted value.
        form.village_code.data = office.region_code
    _prepare(form, person)
    return _render_intake(form, person)


def _render_intake(
    form: IntakeForm,
    person: m.Person | None,
    problems: list | None = None,
    status: int = 200,
    likely: list | None = None,
):
    village = None
    if form.village_code.data:
        from slrt.regions.models import Region

        village = db.session.get(Region, form.village_code.data)
    return (
        render_template(
            "intake/new_case.html",
            form=form,
            problems=problems or [],
            village=village,
            village_fixed=current_user.role is Role.DESK,
            show_duplicate=bool(form.duplicate_reason.errors or form.duplicate_reason.data),
            likely=likely or [],
            likely_by_id={p.id: c for p, c in likely or []},
            evidence_labels=dedup.EVIDENCE_LABELS,
            consent_version=CURRENT_VERSION,
            consent_purpose=purpose_text(CURRENT_VERSION),
            row_limits=ROW_LIMITS,
            today=local_today(),
            ages={
                "pregnancy": visit_form.PREGNANCY_AGES,
                "schooling": visit_form.SCHOOLING_AGES,
                "adult": visit_form.ADULT_AGE,
                "about": ABOUT_YEARS,
            },
            **_person_context(person),
        ),
        status,
    )


def _fields_by_id(form: Any) -> dict[str | None, Any]:
    found: dict[str | None, Any] = {}
    for f in form:
        if f.type == "FieldList":
            for entry in f.entries:
                for sub in entry.form:
                    found[sub.id] = sub
        else:
            found[f.id] = f
    return found


def _show_errors(form: IntakeForm, errors: dict[str | None, list[str]]) -> list[tuple[str | None, str, str]]:
    """Puts every problem beside its field and returns them in page order for the summary."""
    fields = _fields_by_id(form)
    problems: list[tuple[str | None, str, str]] = []
    for key in [None, *fields]:
        for message in errors.get(key, []):
            field = fields.get(key)
            if field is not None:
                field.errors = [*field.errors, message]
                problems.append((key, str(field.label.text).rstrip("."), message))
            else:
                problems.append((None, "", message))
    return problems


def _uploads() -> list[attachments.Upload]:
    uploads = []
    for kind in m.AttachmentKind:
        for storage in request.files.getlist(f"file_{kind.value}"):
            if storage and storage.filename:
                # One byte over the limit is enough to refuse; a huge file is never held whole.
                uploads.append(
                    attachments.Upload(kind, storage.filename, storage.read(attachments.MAX_UPLOAD + 1))
                )
    return uploads


@bp.route("/cases/new", methods=["POST"])
@requires(Permission.REGISTER_CASES)
def create_case() -> Any:
    form = IntakeForm()
    person = None
    if form.person_id.data and form.person_id.data.isdecimal():
        person = get_or_404(m.Person, int(form.person_id.data))
    _prepare(form, person)
    if request.form.get("add_row") in ROW_LIMITS:
        # "Add another need/member" without the script: the same page again, one row longer,
        # with everything typed kept. Nothing is checked or saved yet.
        _add_row(form, request.form["add_row"])
        _prepare(form, person)
        return _render_intake(form, person)
    key = (form.idempotency_key.data or "")[:64]
    done = _case_by_key(key)
    if done is not None:
        # A double click, a back-and-resubmit or a network retry: the case already exists.
        flash(_("Kunjungan ini sudah tersimpan; ini tanda terimanya."), "info")
        return redirect(url_for("intake.receipt", case_id=done.id))
    if not form.validate():
        return _render_intake(form, person, _show_errors(form, {}), 400)
    data = {k: v for k, v in form.data.items() if not k.startswith("file_") and k != "csrf_token"}
    data["idempotency_key"] = key
    likely = []
    if person is None and data.get("consent") and not form.not_duplicate.data:
        # Asked before anything is written, shown only once the form is otherwise valid.
        likely = dedup.candidates_for(dedup.visitor_record(data), current_user)
    result = None
    try:
        result = registration.create_case(data, _uploads(), current_user, local_today())
        # Flushed here, not at the request's commit: a retry of the same form (idempotency key)
        # or a NIK saved a moment ago by someone else must be answered below.
        db.session.flush()
        if likely:
            # Before a second record of someone already registered: show who, and why.
            discard()
            for path in result.files:
                path.unlink(missing_ok=True)
            return _render_intake(form, person, status=409, likely=likely)
    except ValidationFailed as exc:
        discard()
        return _render_intake(form, person, _show_errors(form, exc.errors), 422)
    except IntegrityError:
        discard()
        if result is not None:
            for path in result.files:
                path.unlink(missing_ok=True)
        done = _case_by_key(key)
        if done is not None:
            return redirect(url_for("intake.receipt", case_id=done.id))
        # Someone saved the same NIK a moment ago (or the key was reused): nothing was written.
        form.idempotency_key.data = secrets.token_urlsafe(24)
        message = _("Data berubah saat disimpan; tidak ada yang tersimpan. Periksa lalu kirim lagi.")
        return _render_intake(form, person, _show_errors(form, {None: [message]}), 409)
    case = result.case
    if case.status is m.CaseStatus.CLOSED:
        flash(_("Pertanyaan dijawab dan kasus ditutup."), "success")
    else:
        flash(_("Kunjungan tersimpan. Berikan tanda terima kepada warga."), "success")
    return redirect(url_for("intake.receipt", case_id=case.id))


ROW_LIMITS = {"needs": visit_form.MAX_NEEDS, "members": visit_form.MAX_MEMBERS}


def _add_row(form: IntakeForm, kind: str) -> None:
    rows = getattr(form, kind)
    if len(rows.entries) >= ROW_LIMITS[kind]:
        return  # the page says the limit is reached; the button is gone
    entry = rows.append_entry()
    first = entry.form.category if kind == "needs" else entry.form.name
    first.render_kw = {**(first.render_kw or {}), "autofocus": True}


def _case_by_key(key: str) -> m.Case | None:
    if not key:
        return None
    return db.session.scalar(visible(m.Case).where(m.Case.idempotency_key == key))


# --- receipt ---------------------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/receipt")
@login_required
def receipt(case_id: int) -> Any:
    case = get_or_404(m.Case, case_id)
    url = public_status_url(case.tracking_code)
    return render_template(
        "intake/receipt.html",
        case=case,
        status_url=url,
        qr_svg=receipts.qr_svg(url),
        next_steps=receipts.next_steps(case),
        referrals=_receipt_referrals(case),
        received=receipts.received_text(case),
    )


def _receipt_referrals(case: m.Case) -> list[receipts.ReferralLine]:
    """The referrals made for the case, as its reprinted receipt lists them: sent or on their
    way (drafts are not promises yet, cancelled ones were withdrawn)."""
    rows = db.session.scalars(
        sa.select(Referral)
        .where(
            Referral.case_id == case.id,
            Referral.status.not_in((ReferralStatus.DRAFT, ReferralStatus.CANCELLED)),
        )
        .order_by(Referral.id)
    ).all()
    return [
        receipts.ReferralLine(r.service.name, r.agency.name if r.agency else None, r.status_label)
        for r in rows
    ]


@bp.route("/cases/<int:case_id>/receipt.pdf")
@login_required
def receipt_pdf(case_id: int) -> Any:
    case = get_or_404(m.Case, case_id)
    size = request.args.get("size", "a4")
    if size not in receipts.SIZES:
        abort(400)
    audit("case.receipt_pdf", case, detail={"size": size})
    officer = case.created_by.name if case.created_by else None
    pdf = receipts.receipt_pdf(case, size, referrals=_receipt_referrals(case), officer=officer)
    name = f"tanda-terima-{case.tracking_code}-{size}.pdf"
    return Response(
        pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


# --- detail pages ------------------------------------------------------------------------------


@bp.route("/cases/<int:case_id>")
@login_required
def case_detail(case_id: int) -> Any:
    case = get_or_404(m.Case, case_id, options=(joinedload(m.Case.reporter).joinedload(m.Person.household),))
    referrals = db.session.scalars(
        visible(Referral).where(Referral.case_id == case.id).order_by(Referral.id)
    ).all()
    audit("case.view", case)
    return render_template("desk/case.html", case=case, referrals=referrals)


@bp.route("/households/<int:household_id>")
@login_required
def household_detail(household_id: int) -> Any:
    household = get_or_404(m.Household, household_id)
    members = db.session.scalars(
        visible(m.Person).where(m.Person.household_id == household.id).order_by(m.Person.id)
    ).all()
    cases = db.session.scalars(
        visible(m.Case)
        .where(m.Case.household_id == household.id)
        .options(selectinload(m.Case.needs), selectinload(m.Case.reporter))
        .order_by(m.Case.created_at.desc())
    ).all()
    referrals = db.session.scalars(
        visible(Referral)
        .where(Referral.case_id.in_(sa.select(m.Case.id).where(m.Case.household_id == household.id)))
        .order_by(Referral.created_at.desc())
    ).all()
    audit("household.view", household)
    changes = records.changes_for("household", household.id)
    today = local_today()
    return render_template(
        "desk/household.html",
        household=household,
        members=members,
        cases=cases,
        referrals=referrals,
        changes=changes,
        today=today,
        dtsen_provenance=provenance.dtsen(household, today),
        field_provenance=provenance.of_fields(household, changes),
        kk_history=corrections.kk_history(household),
    )


@bp.route("/persons/<int:person_id>")
@login_required
def person_detail(person_id: int) -> Any:
    person = get_or_404(m.Person, person_id)
    cases = db.session.scalars(
        visible(m.Case)
        .where(m.Case.reporter_id == person.id)
        .options(selectinload(m.Case.needs))
        .order_by(m.Case.created_at.desc())
    ).all()
    audit("person.view", person)
    whole_case = has(current_user, Permission.SEE_WHOLE_CASE)
    changes = records.changes_for("person", person.id) if whole_case else []
    return render_template(
        "desk/person.html",
        person=person,
        cases=cases,
        whole_case=whole_case,
        changes=changes,
        field_provenance=provenance.of_fields(person, changes),
        today=local_today(),
        consent_withdrawn=consent_withdrawn(person.id),
    )


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int) -> Any:
    """Serves an attachment to users whose scope covers its case; anyone else gets 404."""
    item = db.session.get(m.Attachment, attachment_id)
    if item is None:
        abort(404)
    case = get_or_404(m.Case, item.case_id)
    if not may_open_documents(current_user, case):  # a KTP scan is personal data (never administrators')
        abort(404)
    path = attachments.attachment_path(item)
    if not path.is_file():
        abort(404)
    audit("attachment.view", item)
    response = send_file(
        path,
        mimetype=item.content_type,
        download_name=item.original_name,
        as_attachment=item.content_type == "application/pdf" and request.args.get("download") == "1",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
