from __future__ import annotations

import enum
import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from slrt.core.db import enum_column, utcnow
from slrt.extensions import Model


class Role(enum.StrEnum):
    DESK = "desk"  # Puskesos officer, one village
    COORDINATOR = "coordinator"  # approves at a Puskesos or SLRT
    SLRT = "slrt"  # regency-wide: manager, supervisor, facilitator
    AGENCY = "agency"  # only referrals addressed to its agency
    ADMIN = "admin"  # a province or the whole country


ROLE_LABELS = {
    Role.DESK: _l("Petugas Puskesos"),
    Role.COORDINATOR: _l("Koordinator"),
    Role.SLRT: _l("SLRT Kabupaten/Kota"),
    Role.AGENCY: _l("Petugas Lembaga Penerima"),
    Role.ADMIN: _l("Administrator"),
}


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

    office = relationship("Office", lazy="joined")
    agency = relationship("Agency", lazy="joined")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

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

    user = relationship(User, lazy="joined", foreign_keys=[user_id])
    created_by = relationship(User, foreign_keys=[created_by_id])

    def active_at(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
