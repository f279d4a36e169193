"""Account operations: authentication with lockout, creating and editing users.

Services collect every problem and raise once (`ValidationFailed`), so a form or the CLI can
show them all; they only `flush()`: the caller commits.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from limits import parse as parse_limit
from werkzeug.security import check_password_hash, generate_password_hash

from slrt.accounts.models import API_SCOPES, ApiToken, Role, User
from slrt.core.access import in_region, in_scope_region, region_clause
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.core.transaction import write_apart
from slrt.directory.models import Agency, Office, OfficeKind
from slrt.extensions import db, limiter
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


# Compared against when the username is unknown, so an unknown name costs the same scrypt
# check as a known one (measured before: 16 ms against 180 ms gave existence away).
# Made with the configured method (PASSWORD_HASH_METHOD), so it costs what a stored hash costs.
_DUMMY_HASH: dict[str, str] = {}


def _dummy_check(password: str) -> None:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _DUMMY_HASH:
        _DUMMY_HASH[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    check_password_hash(_DUMMY_HASH[method], password)


def _throttle(username: str, address: str | None) -> tuple[Any, str, Any, str] | None:
    """(per-address limit, its key, per-account limit, its key) in the rate-limit storage."""
    if limiter.limiter is None:
        return None
    minutes = int(current_app.config["LOGIN_LOCKOUT"].total_seconds() // 60)
    here = parse_limit(f"{current_app.config['LOGIN_MAX_FAILURES']} per {minutes} minutes")
    anywhere = parse_limit(f"{current_app.config['LOGIN_ACCOUNT_MAX_FAILURES']} per {minutes} minutes")
    return here, f"login:{username}:{address or '-'}", anywhere, f"login:{username}"


def authenticate(username: str, password: str, address: str | None = None) -> LoginResult:
    """Checks a login; writes audit rows.

    Five failures for one name from one address lock that name *from that address* for 15
    minutes, so an attacker elsewhere cannot lock a desk officer out; a larger budget per name
    (LOGIN_ACCOUNT_MAX_FAILURES, from all addresses) locks the account itself. Unknown names
    are counted and answered exactly like known ones, and cost the same password check."""
    name = username.strip().lower()[:64]
    user = db.session.scalar(sa.select(User).where(User.username == name))
    now = utcnow()
    # Failures and lock-outs are recorded whatever the request answers
    # (slrt.core.transaction.write_apart): the lockout must count every wrong password. The
    # throttle's counters live in the rate-limit storage, outside the database transaction.
    limits_ = _throttle(name, address)
    if limits_ is not None and (
        not limiter.limiter.test(limits_[0], limits_[1]) or not limiter.limiter.test(limits_[2], limits_[3])
    ):
        _dummy_check(password)
        write_apart(
            lambda: audit("login.locked", user, actor=user, detail=None if user else {"username": name})
        )
        return LoginResult(None, locked=True)
    if user is not None and user.locked_until and user.locked_until > now:
        _dummy_check(password)
        write_apart(lambda: audit("login.locked", user, actor=user))
        return LoginResult(None, locked=True)
    if user is None:
        _dummy_check(password)
        good = False
    else:
        good = user.check_password(password) and user.active and not user.service_account
    if not good:
        address_locked = account_locked = False
        if limits_ is not None:
            limiter.limiter.hit(limits_[0], limits_[1])
            limiter.limiter.hit(limits_[2], limits_[3])
            address_locked = not limiter.limiter.test(limits_[0], limits_[1])
            account_locked = user is not None and not limiter.limiter.test(limits_[2], limits_[3])
        locked = address_locked or account_locked

        def count_failure() -> None:
            if user is None:
                audit("login.failed", detail={"username": name, "reason": "unknown", "locked": locked})
                return
            if account_locked:
                user.locked_until = now + current_app.config["LOGIN_LOCKOUT"]
            user.failed_logins += 1
            audit("login.failed", user, actor=user, detail={"locked": locked})

        write_apart(count_failure)
        return LoginResult(None, locked=locked)
    assert user is not None  # `good` holds only for a known user  # noqa: S101
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if limits_ is not None:
        limiter.limiter.clear(limits_[0], limits_[1])
    audit("login.success", user, actor=user)
    return LoginResult(user)


MAX_PASSWORD = 256
# zxcvbn's guess estimate, 0-4: 0 and 1 are the lists of common and breached passwords and
# their variations ("password", "12345678", "jakarta123", "Password1!"). Its time grows with
# the length, so only the first characters are estimated (a longer password is never weaker).
MIN_PASSWORD_SCORE = 2
ESTIMATE_CHARS = 64


def password_problems(password: str, *personal: str | None) -> list[str]:
    """NIST SP 800-63B: at least 8 characters, long ones allowed, no composition rules, and
    nothing common, breached-style or built from the user's own name."""
    if len(password) < MIN_PASSWORD:
        return [_("Kata sandi minimal %(n)d karakter.", n=MIN_PASSWORD)]
    if len(password) > MAX_PASSWORD:
        return [_("Kata sandi paling banyak %(n)d karakter.", n=MAX_PASSWORD)]
    from zxcvbn import zxcvbn  # type: ignore[import-untyped]  # ships no type information

    hints = [p for p in personal if p]
    if zxcvbn(password[:ESTIMATE_CHARS], user_inputs=hints)["score"] < MIN_PASSWORD_SCORE:
        return [
            _(
                "Kata sandi ini terlalu mudah ditebak (umum, pernah bocor, atau memuat nama Anda). "
                "Pakai beberapa kata yang tidak berhubungan, misalnya sebuah frasa."
            )
        ]
    return []


def _check_password(password: str | None, errors: dict, required: bool, *personal: str | None) -> None:
    if not password:
        if required:
            errors.setdefault("password", []).append(_("Kata sandi wajib diisi."))
        return
    for problem in password_problems(password, *personal):
        errors.setdefault("password", []).append(problem)


def change_own_password(user: User, current: str, new: str) -> None:
    """The user's own change: the current password, the rule for new ones; ends every other
    session (the caller signs this one in again). Raises ValidationFailed."""
    errors: dict[str | None, list[str]] = {}
    if not user.check_password(current or ""):
        errors.setdefault("current", []).append(_("Kata sandi sekarang salah."))
    _check_password(new, errors, True, user.username, user.name)
    if new and new == current:
        errors.setdefault("password", []).append(_("Pilih kata sandi yang berbeda dari yang sekarang."))
    if errors:
        raise ValidationFailed(errors)
    user.set_password(new)
    user.must_change_password = False
    end_sessions(user)
    db.session.flush()
    audit("user.password_change", user, actor=user)


def _once(errors: dict, field: str, message: str) -> None:
    if not errors.get(field):
        errors.setdefault(field, []).append(message)


def _resolve_scope(
    role: Role, region_code: str | None, office: Office | None, agency: Agency | None, errors: dict
) -> str | None:
    """The scope region each role gets, or errors explaining what is missing (one message per
    field: an unknown office code is not also told it is no Puskesos)."""
    region = db.session.get(Region, region_code) if region_code else None
    if region_code and region is None:
        _once(errors, "region_code", _("Kode wilayah %(code)s tidak dikenal.", code=region_code))
        return None
    if role is Role.DESK:
        if office is None or office.kind is not OfficeKind.PUSKESOS:
            _once(errors, "office_code", _("Petugas Puskesos harus terhubung ke satu Puskesos."))
            return None
        return office.region_code
    if role is Role.COORDINATOR:
        if office is None:
            _once(errors, "office_code", _("Koordinator harus terhubung ke Puskesos atau SLRT."))
            return None
        return office.region_code
    if role is Role.SLRT:
        code = region.code if region else office.region_code if office else None
        if code is None or code.count(".") != 1:
            _once(errors, "region_code", _("Petugas SLRT harus berwilayah satu kabupaten/kota."))
            return None
        return code
    if role is Role.AGENCY:
        if agency is None:
            _once(errors, "agency_code", _("Petugas lembaga harus terhubung ke satu lembaga."))
        return region.code if region else None
    # Administrators: a province or the whole country.
    if region is not None and region.level != 1:
        _once(errors, "region_code", _("Administrator berwilayah satu provinsi atau seluruh Indonesia."))
    return region.code if region else None


def _check_actor_may_grant(
    actor: User,
    user: User | None,
    role: Role,
    scope: str | None,
    agency: Agency | None,
    active: bool,
    errors: dict,
) -> None:
    """An administrator gives no more than they hold: a user (and agency) inside their own
    region, never a wider scope; a national administrator only from a national one (or the
    CLI, which passes no actor); and never a change to their own role, scope or activity."""
    if user is not None and user.id == actor.id:
        if role is not user.role or scope != user.scope_region_code or not active:
            errors.setdefault(None, []).append(
                _("Anda tidak dapat mengubah peran, wilayah atau status aktif akun sendiri.")
            )
        return
    limit = actor.scope_region_code
    if role is Role.ADMIN and scope is None and limit is not None:
        errors.setdefault("role", []).append(
            _("Administrator nasional hanya dapat dibuat oleh administrator nasional.")
        )
    elif not in_scope_region(actor, scope):
        errors.setdefault("region_code", []).append(
            _("Wilayah cakupan harus berada di dalam wilayah Anda (%(code)s).", code=limit)
        )
    outside = [a for a in (agency.service_area or []) if not in_scope_region(actor, a)] if agency else []
    if role is Role.AGENCY and agency is not None and outside:
        errors.setdefault("agency_code", []).append(
            _("Lembaga %(c)s melayani wilayah di luar wilayah Anda.", c=agency.code)
        )


# The NIP of a civil servant (ASN): 18 digits (birth date, appointment month, sex, sequence).
NIP_RE = re.compile(r"^\d{18}$")


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
    position: str | None = None,
    nip: str | None = None,
) -> User:
    """Creates (user None) or updates a user after checking everything; raises ValidationFailed.
    `position` and `nip` (printed under the user's signature on letters) stay as they are when
    None; an empty text clears them."""
    # Long on purpose: every field's check in the form's order, each adding its message at its field, then
    # one write; split, each piece would take and return the same errors dict.
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
    nip = None if nip is None else "".join(nip.split())
    if nip and not NIP_RE.match(nip):
        errors.setdefault("nip", []).append(_("NIP terdiri atas 18 angka; kosongkan bila bukan ASN."))
    _check_password(password, errors, user is None, username, name)
    scope = _resolve_scope(role_value, region_code or None, office, agency, errors) if role_value else None
    if actor is not None and role_value is not None and not errors:
        _check_actor_may_grant(actor, user, role_value, scope, agency, active, errors)
    if errors or role_value is None:  # an unknown role is in errors; the test narrows the type
        raise ValidationFailed(errors)
    created = user is None
    # A new role or scope, or a deactivation, ends every session the user holds.
    ended = user is not None and (
        user.role is not role_value or user.scope_region_code != scope or (user.active and not active)
    )
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
    if position is not None:
        user.position = position.strip() or None
    if nip is not None:
        user.nip = nip or None
    user.active = active
    if service_account is not None:
        user.service_account = service_account
    if password:
        user.set_password(password)
        user.failed_logins = 0
        user.locked_until = None
        ended = ended or not created
        # Whoever set a password for someone else knows it: the owner changes it at next login.
        user.must_change_password = actor is not None and actor.id != user.id and not user.service_account
    if ended:
        end_sessions(user)
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


def end_sessions(user: User) -> None:
    """Ends every session `user` holds, on every browser: the session carries the generation it
    was opened with (User.get_id) and the user loader refuses an older one."""
    user.session_generation = (user.session_generation or 0) + 1


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
    elif created_by is not None and created_by.id != user.id and not user.service_account:
        # A token for someone else's person account would let its minter act as them.
        errors.setdefault("username", []).append(
            _("Token hanya untuk akun integrasi, atau untuk akun Anda sendiri.")
        )
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
        created_by_name=created_by.username if created_by else f"cli:{_system_user()}",
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


def _system_user() -> str:
    """Who ran the CLI (tokens minted there have no user row to point at)."""
    import getpass

    try:
        return getpass.getuser()[:60]
    except (KeyError, OSError):  # no passwd entry in some containers
        return "unknown"


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


# -- what an administrator may administer ----------------------------------------------------


def users_in_scope(admin: User) -> sa.Select:
    """The accounts `admin` administers: everyone whose scope lies inside the admin's own."""
    stmt = sa.select(User).order_by(User.username)
    if admin.scope_region_code:
        stmt = stmt.where(region_clause(User.scope_region_code, admin.scope_region_code))
    return stmt


def tokens_in_scope(admin: User) -> sa.Select:
    """The API tokens of those accounts."""
    stmt = sa.select(ApiToken).join(User, User.id == ApiToken.user_id)
    if admin.scope_region_code:
        stmt = stmt.where(region_clause(User.scope_region_code, admin.scope_region_code))
    return stmt


def picker_choices(admin: User) -> dict[str, list[tuple[str, str]]]:
    """What the user form offers to pick, inside `admin`'s scope: (code, name) of offices,
    agencies serving there, and provinces and regencies (a user's scope is one of those)."""
    scope = admin.scope_region_code
    offices = db.session.execute(
        sa.select(Office.code, Office.name)
        .where(region_clause(Office.region_code, scope))
        .order_by(Office.code)
    ).all()
    agencies = [
        (a.code, a.name)
        for a in db.session.scalars(sa.select(Agency).order_by(Agency.code))
        if not scope or any(in_region(area, scope) or in_region(scope, area) for area in a.service_area or [])
    ]
    regions = db.session.execute(
        sa.select(Region.code, Region.name)
        .where(Region.level <= 2, region_clause(Region.code, scope))
        .order_by(Region.code)
    ).all()
    return {
        "office": [(code, name) for code, name in offices],
        "agency": agencies,
        "region": [(code, name) for code, name in regions],
    }
