"""Administrator pages for security: the audit trail search and API tokens.

Region administrators see and manage what concerns users of their region only (audit events
whose actor lies in their province, tokens owned by such users); national administrators see
everything, including events without an actor (anonymous failed logins, online reports)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from slrt.accounts import audit_text, services
from slrt.accounts.models import API_SCOPES, ApiToken, User
from slrt.core.access import region_clause
from slrt.core.audit import AuditEvent
from slrt.core.db import utcnow
from slrt.core.forms import EmptyForm, apply_errors
from slrt.core.permissions import Permission, requires
from slrt.core.transaction import discard
from slrt.core.web import page_number
from slrt.core.workdays import JAKARTA
from slrt.extensions import db

bp = Blueprint("security", __name__, url_prefix="/admin")

AUDIT_PER_PAGE = 50


# -- forms ----------------------------------------------------------------------------------


class AuditSearchForm(FlaskForm):
    """A GET search: no CSRF token (it changes nothing), arguments stay in the URL."""

    class Meta:
        csrf = False

    actor = StringField(_l("Pengguna"), validators=[Optional(), Length(max=64)])
    # Choices set by the view (slrt.accounts.audit_text); a prefix typed into the URL still works.
    action = SelectField(_l("Aksi"), validators=[Optional(), Length(max=64)], validate_choice=False)
    object_type = SelectField(
        _l("Jenis data"), validators=[Optional(), Length(max=40)], validate_choice=False
    )
    object_id = StringField(_l("ID data"), validators=[Optional(), Length(max=64)])
    ip = StringField(_l("Alamat IP"), validators=[Optional(), Length(max=45)])
    date_from = DateField(_l("Dari tanggal"), validators=[Optional()])
    date_to = DateField(_l("Sampai tanggal"), validators=[Optional()])


class TokenForm(FlaskForm):
    username = StringField(
        _l("Pemilik (nama pengguna atau akun integrasi)"),
        validators=[DataRequired(_l("Wajib diisi.")), Length(max=64)],
    )
    name = StringField(
        _l("Nama token"),
        validators=[DataRequired(_l("Wajib diisi.")), Length(max=80)],
        description=_l("Contoh: Jembatan Open311, Sistem Dukcapil"),
    )
    scopes = SelectMultipleField(
        _l("Cakupan"),
        choices=[(k, v) for k, v in API_SCOPES.items()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # the service names unknown scopes in Indonesian
    )
    days = IntegerField(
        _l("Berlaku (hari)"),
        default=90,
        validators=[
            InputRequired(_l("Wajib diisi.")),
            NumberRange(1, 3650, _l("Masa berlaku 1 sampai 3650 hari.")),
        ],
    )


# -- queries --------------------------------------------------------------------------------


@dataclass
class AuditFilters:
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    ip: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=JAKARTA).astimezone(UTC)


def audit_query(filters: AuditFilters, admin: User) -> sa.Select:
    """Audit events matching `filters` that `admin` may see, newest first.

    Dates are Jakarta calendar days, both ends included; `action` matches a prefix, so
    `login` finds login.success, login.failed and login.locked."""
    stmt = sa.select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
    if admin.scope_region_code:
        stmt = stmt.where(region_clause(User.scope_region_code, admin.scope_region_code))
    if filters.actor:
        stmt = stmt.where(User.username == filters.actor.strip().lower())
    if filters.action:
        stmt = stmt.where(AuditEvent.action.startswith(filters.action.strip(), autoescape=True))
    if filters.object_type:
        stmt = stmt.where(AuditEvent.object_type == filters.object_type.strip())
    if filters.object_id:
        stmt = stmt.where(AuditEvent.object_id == filters.object_id.strip())
    if filters.ip:
        stmt = stmt.where(AuditEvent.ip == filters.ip.strip())
    if filters.date_from:
        stmt = stmt.where(AuditEvent.at >= _local_midnight(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(AuditEvent.at < _local_midnight(filters.date_to + timedelta(days=1)))
    return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def _tokens_in_scope() -> sa.Select:
    return services.tokens_in_scope(current_user)


def _owner_in_scope(username: str) -> User | None:
    stmt = sa.select(User).where(User.username == (username or "").strip().lower())
    if current_user.scope_region_code:
        stmt = stmt.where(region_clause(User.scope_region_code, current_user.scope_region_code))
    return db.session.scalar(stmt)


def _token_or_404(token_id: int) -> ApiToken:
    token = db.session.scalar(_tokens_in_scope().where(ApiToken.id == token_id))
    if token is None:
        abort(404)
    return token


# -- views ----------------------------------------------------------------------------------


@bp.route("/audit")
@requires(Permission.MANAGE_SECURITY)
def audit_log() -> Any:
    form = AuditSearchForm(request.args)
    form.action.choices = audit_text.action_choices(form.action.data)
    form.object_type.choices = audit_text.object_type_choices(form.object_type.data)
    filters = AuditFilters()
    if request.args and form.validate():
        filters = AuditFilters(**{name: form[name].data or None for name in AuditFilters.__annotations__})
    page = page_number()
    rows: list[tuple[AuditEvent, User | None]] = [
        (row[0], row[1])
        for row in db.session.execute(
            audit_query(filters, current_user).limit(AUDIT_PER_PAGE + 1).offset((page - 1) * AUDIT_PER_PAGE)
        )
    ]
    return render_template(
        "security/audit.html",
        form=form,
        rows=[(event, actor, audit_text.describe(event)) for event, actor in rows[:AUDIT_PER_PAGE]],
        page=page,
        has_next=len(rows) > AUDIT_PER_PAGE,
    )


@bp.route("/tokens", methods=["GET", "POST"])
@requires(Permission.MANAGE_SECURITY)
def tokens() -> Any:
    form = TokenForm()
    if form.is_submitted():
        valid = form.validate()
        # The owner is checked even when other fields fail, so every problem shows at once.
        owner = _owner_in_scope(form.username.data) if form.username.data else None
        if form.username.data and owner is None:
            form.username.errors.append(_("Pengguna %(u)s tidak ada di wilayah Anda.", u=form.username.data))
        elif valid and owner is not None:
            try:
                token, clear = services.issue_token(
                    owner,
                    name=form.name.data,
                    days=form.days.data,
                    scopes=form.scopes.data or [],
                    created_by=current_user,
                )
            except services.ValidationFailed as failed:
                discard()
                apply_errors(form, failed.errors)
            else:
                # The secret is shown on this response only, never stored and never cached.
                page = render_template("security/token_created.html", token=token, secret=clear)
                response = make_response(page)
                response.headers["Cache-Control"] = "no-store"
                return response
    rows = db.session.scalars(_tokens_in_scope().order_by(ApiToken.created_at.desc()).limit(500)).all()
    return render_template("security/tokens.html", form=form, tokens=rows, now=utcnow(), scopes=API_SCOPES)


@bp.route("/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@requires(Permission.MANAGE_SECURITY)
def token_revoke(token_id: int) -> Any:
    token = _token_or_404(token_id)
    form = EmptyForm()
    if form.validate_on_submit():
        if services.revoke_token(token, current_user):
            flash(_("Token %(n)s milik %(u)s dicabut.", n=token.name, u=token.user.username), "success")
        else:
            flash(_("Token ini sudah dicabut sebelumnya."), "info")
        return redirect(url_for("security.tokens"))
    return render_template("security/token_revoke.html", token=token, form=form, scopes=API_SCOPES)
