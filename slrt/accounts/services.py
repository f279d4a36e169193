"""Account operations: authentication with lockout, creating and editing users.

Services collect every problem and raise once (`ValidationFailed`), so a form or the CLI can
show them all; they only `flush()`: the caller commits.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from slrt.accounts.models import API_SCOPES, ApiToken, Role, User
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.directory.models import Agency, Office, OfficeKind
from slrt.extensions import db
from slrt.regions.models import Region

USERNAME_RE = re.compile(r"^[a-z0-9._-]{3,64}$")
MIN_PASSWORD = 8


class ValidationFailed(Exception):
    """Every problem found, as {field: [messages]}; field None for the whole input."""

    def __init__(self, errors: dict[str | None, list[str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class LoginResult:
    user: User | None
    locked: bool = False


def authenticate(username: str, password: str) -> LoginResult:
    """Checks a login; five failures lock the account for 15 minutes. Writes audit rows."""
    user = db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    now = utcnow()
    if user is None:
        audit("login.failed", detail={"username": username[:64], "reason": "unknown"})
        return LoginResult(None)
    if user.locked_until and user.locked_until > now:
        audit("login.locked", user, actor=user)
        return LoginResult(None, locked=True)
    if not user.active or user.service_account or not user.check_password(password):
        user.failed_logins += 1
        locked = user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]
        if locked:
            user.locked_until = now + current_app.config["LOGIN_LOCKOUT"]
            user.failed_logins = 0
        audit("login.failed", user, actor=user, detail={"locked": locked})
        return LoginResult(None, locked=locked)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit("login.success", user, actor=user)
    return LoginResult(user)


def _check_password(password: str | None, errors: dict, required: bool) -> None:
    if not password:
        if required:
            errors.setdefault("password", []).append(_("Kata sandi wajib diisi."))
        return
    if len(password) < MIN_PASSWORD:
        errors.setdefault("password", []).append(_("Kata sandi minimal %(n)d karakter.", n=MIN_PASSWORD))


def _resolve_scope(
    role: Role, region_code: str | None, office: Office | None, agency: Agency | None, errors: dict
) -> str | None:
    """The scope region each role gets, or errors explaining what is missing."""
    region = db.session.get(Region, region_code) if region_code else None
    if region_code and region is None:
        errors.setdefault("region_code", []).append(
            _("Kode wilayah %(code)s tidak dikenal.", code=region_code)
        )
        return None
    if role is Role.DESK:
        if office is None or office.kind is not OfficeKind.PUSKESOS:
            errors.setdefault("office_code", []).append(
                _("Petugas Puskesos harus terhubung ke satu Puskesos.")
            )
            return None
        return office.region_code
    if role is Role.COORDINATOR:
        if office is None:
            errors.setdefault("office_code", []).append(
                _("Koordinator harus terhubung ke Puskesos atau SLRT.")
            )
            return None
        return office.region_code
    if role is Role.SLRT:
        code = region.code if region else office.region_code if office else None
        if code is None or code.count(".") != 1:
            errors.setdefault("region_code", []).append(
                _("Petugas SLRT harus berwilayah satu kabupaten/kota.")
            )
            return None
        return code
    if role is Role.AGENCY:
        if agency is None:
            errors.setdefault("agency_code", []).append(_("Petugas lembaga harus terhubung ke satu lembaga."))
        return region.code if region else None
    # Administrators: a province or the whole country.
    if region is not None and region.level != 1:
        errors.setdefault("region_code", []).append(
            _("Administrator berwilayah satu provinsi atau seluruh Indonesia.")
        )
    return region.code if region else None


def save_user(
    user: User | None,
    *,
    username: str,
    name: str,
    role: str,
    password: str | None = None,
    region_code: str | None = None,
    office_code: str | None = None,
    agency_code: str | None = None,
    email: str | None = None,
    active: bool = True,
    actor: User | None = None,
    service_account: bool | None = None,
) -> User:
    """Creates (user None) or updates a user after checking everything; raises ValidationFailed."""
    errors: dict[str | None, list[str]] = {}
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        errors.setdefault("username", []).append(
            _("Nama pengguna 3-64 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung.")
        )
    else:
        clash = db.session.scalar(sa.select(User).where(User.username == username))
        if clash is not None and clash is not user:
            errors.setdefault("username", []).append(_("Nama pengguna %(u)s sudah dipakai.", u=username))
    if not (name or "").strip():
        errors.setdefault("name", []).append(_("Nama lengkap wajib diisi."))
    try:
        role_value = Role(role)
    except ValueError:
        errors.setdefault("role", []).append(_("Peran %(r)s tidak dikenal.", r=role))
        role_value = None
    office = agency = None
    if office_code:
        office = db.session.scalar(sa.select(Office).where(Office.code == office_code))
        if office is None:
            errors.setdefault("office_code", []).append(_("Kantor %(c)s tidak dikenal.", c=office_code))
    if agency_code:
        agency = db.session.scalar(sa.select(Agency).where(Agency.code == agency_code))
        if agency is None:
            errors.setdefault("agency_code", []).append(_("Lembaga %(c)s tidak dikenal.", c=agency_code))
    _check_password(password, errors, required=user is None)
    scope = _resolve_scope(role_value, region_code or None, office, agency, errors) if role_value else None
    if errors or role_value is None:  # an unknown role is in errors; the test narrows the type
        raise ValidationFailed(errors)
    created = user is None
    if user is None:
        user = User(username=username)
        db.session.add(user)
    user.username = username
    user.name = name.strip()
    user.role = role_value
    user.office = office if role_value in (Role.DESK, Role.COORDINATOR, Role.SLRT) else None
    user.agency = agency if role_value is Role.AGENCY else None
    user.scope_region_code = scope
    user.email = (email or "").strip() or None
    user.active = active
    if service_account is not None:
        user.service_account = service_account
    if password:
        user.set_password(password)
        user.failed_logins = 0
        user.locked_until = None
    db.session.flush()
    audit(
        "user.create" if created else "user.update",
        user,
        actor=actor,
        detail={
            "role": role_value.value,
            "scope": scope,
            "active": active,
            "service_account": bool(user.service_account),
        },
    )
    return user


def issue_token(
    user: User,
    name: str = "cli",
    days: int | None = 90,
    scopes: list[str] | None = None,
    created_by: User | None = None,
) -> tuple[ApiToken, str]:
    """A new bearer token; the clear text is returned once and never stored.

    `scopes` None gives every scope (the CLI's default); an empty or unknown scope list, a name
    missing, or an inactive owner raise ValidationFailed.
    """
    errors: dict[str | None, list[str]] = {}
    chosen = list(API_SCOPES) if scopes is None else [s for s in API_SCOPES if s in scopes]
    unknown = sorted(set(scopes or ()) - API_SCOPES.keys())
    if unknown:
        errors.setdefault("scopes", []).append(_("Cakupan %(s)s tidak dikenal.", s=", ".join(unknown)))
    elif not chosen:
        errors.setdefault("scopes", []).append(_("Pilih sedikitnya satu cakupan."))
    if not (name or "").strip():
        errors.setdefault("name", []).append(_("Nama token wajib diisi."))
    if days is not None and not 1 <= days <= 3650:
        errors.setdefault("days", []).append(_("Masa berlaku 1 sampai 3650 hari."))
    if not user.active:
        errors.setdefault("username", []).append(_("Pengguna %(u)s tidak aktif.", u=user.username))
    if errors:
        raise ValidationFailed(errors)
    clear = "slrt_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:80],
        token_hash=ApiToken.hash(clear),
        expires_at=utcnow() + timedelta(days=days) if days else None,
        scopes=chosen,
        created_by_id=created_by.id if created_by else None,
    )
    db.session.add(token)
    db.session.flush()
    audit(
        "token.create",
        token,
        actor=created_by or user,
        detail={"name": token.name, "days": days, "scopes": chosen, "owner": user.username},
    )
    return token, clear


def revoke_token(token: ApiToken, actor: User | None) -> bool:
    """Revokes a token at once (its next request gets 401). False when it was already revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.flush()
    audit("token.revoke", token, actor=actor, detail={"name": token.name, "owner": token.user.username})
    return True


def token_for(clear: str, now: datetime | None = None) -> ApiToken | None:
    """The live token with this clear text (unexpired, unrevoked, owner active), or None."""
    now = now or utcnow()
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(clear)))
    if token is None or not token.active_at(now) or not token.user.active:
        return None
    return token


def user_for_token(clear: str, now: datetime | None = None) -> User | None:
    token = token_for(clear, now)
    return token.user if token else None
