from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from slrt.core.db import enum_column, utcnow
from slrt.core.permissions import ROLE_LABELS, Role  # in core since the permission table needs it
from slrt.extensions import Model


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    name: Mapped[str] = mapped_column(sa.String(120))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offices.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    # None means the whole country (administrators only).
    scope_region_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An integration (the Open311 bridge, a Dukcapil system, ...): a role and a scope like any
    # user, reached only through API tokens; it can never sign in with a password.
    service_account: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Raised to end every session of the user (logout, new password, new role or scope): a
    # session names the generation it was opened with and older ones are refused.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set when an administrator chose the password: the owner must choose their own first.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Printed under the signature of the letters the user signs: the position (jabatan) and the
    # NIP, which only civil servants (ASN) have; village staff leave it empty.
    position: Mapped[str | None] = mapped_column(sa.String(160))
    nip: Mapped[str | None] = mapped_column(sa.String(18))

    office = relationship("Office", lazy="joined")
    agency = relationship("Agency", lazy="joined")

    def set_password(self, password: str) -> None:
        # scrypt everywhere but the test suite, where it was most of the shared fixture's time.
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """What the session cookie holds: the id and the session generation (see load_user)."""
        return f"{self.id}:{self.session_generation or 0}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def role_label(self) -> str:
        return str(ROLE_LABELS[self.role])

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


# What a token may do; each API route asks for one of these (slrt.api.auth.token_required).
API_SCOPES = {
    "referrals:read": _l("Membaca rujukan"),
    "referrals:write": _l("Mengubah status rujukan"),
    "routing:suggest": _l("Meminta saran layanan"),
    "open311:report": _l("Mengirim laporan warga (Open311)"),
}


class ApiToken(Model):
    """A bearer token for systems that call the API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    scopes: Mapped[list[str]] = mapped_column(sa.JSON, default=list, server_default=sa.text("'[]'"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Who minted it, readable after the user row is gone: a username, or "cli:<system user>".
    created_by_name: Mapped[str | None] = mapped_column(sa.String(80))

    user = relationship(User, lazy="joined", foreign_keys=[user_id])
    created_by = relationship(User, foreign_keys=[created_by_id])

    def active_at(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
