from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from slrt.accounts import services
from slrt.accounts.forms import LoginForm, PasswordChangeForm, UserForm
from slrt.accounts.models import User
from slrt.core.audit import audit
from slrt.core.forms import EmptyForm, apply_errors
from slrt.core.permissions import Permission, requires
from slrt.core.transaction import discard
from slrt.core.web import is_safe_next, without_numbers
from slrt.extensions import db, limiter

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("intake.home"))
    form = LoginForm()
    if form.validate_on_submit():
        result = services.authenticate(form.username.data, form.password.data, request.remote_addr)
        if result.user is not None:
            lang = session.get("lang")
            session.clear()  # a fresh session at login: nothing carried over but the language
            if lang:
                session["lang"] = lang
            login_user(result.user)
            session.permanent = True
            target = request.args.get("next")
            return redirect(without_numbers(target) if is_safe_next(target) else url_for("intake.home"))
        if result.locked:
            form.form_errors.append(
                _(
                    "Masuk dengan nama pengguna ini dikunci 15 menit karena terlalu banyak percobaan "
                    "yang salah. Hubungi admin bila perlu."
                )
            )
        else:
            form.form_errors.append(_("Nama pengguna atau kata sandi salah."))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    form = EmptyForm()
    if form.validate_on_submit():
        audit("logout", current_user)
        # Server side: a copy of this session cookie stops working too.
        services.end_sessions(current_user)
        logout_user()
        session.pop("_user_id", None)
        flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str) -> Any:
    from flask import current_app

    form = EmptyForm()
    if not form.validate_on_submit() or code not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = code
    if current_user.is_authenticated:
        current_user.locale = code
    target = request.form.get("next")
    return redirect(without_numbers(target) if is_safe_next(target) else url_for("intake.home"))


# -- administration of users ---------------------------------------------------------------


def _users_in_scope() -> sa.Select:
    return services.users_in_scope(current_user)


def _user_or_404(user_id: int) -> User:
    user = db.session.scalar(_users_in_scope().where(User.id == user_id))
    if user is None:
        abort(404)
    return user


@bp.route("/admin/users")
@requires(Permission.MANAGE_USERS)
def users() -> Any:
    q = (request.args.get("q") or "").strip().lower()
    stmt = _users_in_scope()
    if q:
        stmt = stmt.where(
            sa.or_(
                User.username.contains(q, autoescape=True),
                sa.func.lower(User.name).contains(q, autoescape=True),
            )
        )
    return render_template(
        "admin/users.html", users=db.session.scalars(stmt.limit(500)).all(), q=q, form=EmptyForm()
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def user_new() -> Any:
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = services.save_user(None, **_form_data(form), actor=current_user)
        except services.ValidationFailed as failed:
            discard()
            apply_errors(form, failed.errors)
        else:
            flash(_("Pengguna %(u)s dibuat.", u=user.username), "success")
            return redirect(url_for("accounts.users"))
    return _user_form(form, None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def user_edit(user_id: int) -> Any:
    user = _user_or_404(user_id)
    form = UserForm(obj=user)
    if request.method == "GET":
        form.role.data = user.role.value
        form.office_code.data = user.office.code if user.office else ""
        form.agency_code.data = user.agency.code if user.agency else ""
        form.region_code.data = user.scope_region_code or ""
    if form.validate_on_submit():
        try:
            services.save_user(user, **_form_data(form), actor=current_user)
        except services.ValidationFailed as failed:
            discard()
            apply_errors(form, failed.errors)
        else:
            flash(_("Perubahan pengguna %(u)s disimpan.", u=user.username), "success")
            return redirect(url_for("accounts.users"))
    return _user_form(form, user)


def _user_form(form: UserForm, user: User | None) -> str:
    """The form with its pickers: each code field suggests the offices, agencies and regions
    inside the administrator's scope as one types (a datalist; a typed code still works)."""
    for name, choices in (("office_code", "office"), ("agency_code", "agency"), ("region_code", "region")):
        form[name].render_kw = {"list": f"{choices}-choices", "autocomplete": "off"}
    return render_template(
        "admin/user_form.html", form=form, user=user, pickers=services.picker_choices(current_user)
    )


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
@requires(Permission.MANAGE_USERS)
def user_deactivate(user_id: int) -> Any:
    user = _user_or_404(user_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash(_("Anda tidak dapat menonaktifkan akun sendiri."), "error")
    else:
        user.active = not user.active
        if not user.active:
            services.end_sessions(user)
        audit("user.activate" if user.active else "user.deactivate", user)
        flash(
            _("Pengguna %(u)s diaktifkan.", u=user.username)
            if user.active
            else _("Pengguna %(u)s dinonaktifkan.", u=user.username),
            "success",
        )
    return redirect(url_for("accounts.users"))


@bp.route("/admin/users/<int:user_id>/sessions/end", methods=["POST"])
@requires(Permission.MANAGE_USERS)
def user_end_sessions(user_id: int) -> Any:
    user = _user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.end_sessions(user)
    audit("user.sessions_ended", user)
    flash(_("Semua sesi %(u)s diakhiri; pengguna harus masuk lagi.", u=user.username), "success")
    return redirect(url_for("accounts.user_edit", user_id=user.id))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_own_password(user, form.current.data, form.password.data)
        except services.ValidationFailed as failed:
            discard()
            apply_errors(form, failed.errors)
        else:
            login_user(user)  # this session goes on under the new generation; every other ends
            flash(_("Kata sandi diganti. Sesi lain akun ini sudah diakhiri."), "success")
            return redirect(url_for("intake.home"))
    return render_template("accounts/password.html", form=form, forced=current_user.must_change_password)


# Reachable while a new password is still owed (User.must_change_password).
PASSWORD_CHANGE_OPEN = {"accounts.change_password", "accounts.logout", "accounts.set_language", "static"}


def require_password_change() -> Any:
    """Until an account created (or reset) by an administrator has a password of its own,
    every page leads to the change-password page."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in PASSWORD_CHANGE_OPEN
        and "_user_id" in session
    ):
        return redirect(url_for("accounts.change_password"))
    return None


def _form_data(form: UserForm) -> dict[str, Any]:
    return {
        "username": form.username.data,
        "name": form.name.data,
        "role": form.role.data,
        "password": form.password.data or None,
        "region_code": (form.region_code.data or "").strip() or None,
        "office_code": (form.office_code.data or "").strip() or None,
        "agency_code": (form.agency_code.data or "").strip() or None,
        "email": form.email.data,
        "active": form.active.data,
        "position": form.position.data or "",
        "nip": form.nip.data or "",
    }
