from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from slrt.core.db import enum_column, utcnow
from slrt.extensions import db


class OfficeKind(enum.StrEnum):
    PUSKESOS = "puskesos"  # a village desk
    SLRT = "slrt"  # a regency secretariat inside the Dinas Sosial


OFFICE_KIND_LABELS = {OfficeKind.PUSKESOS: _l("Puskesos"), OfficeKind.SLRT: _l("Sekretariat SLRT")}


class Office(db.Model):
    """Where cases are taken: a Puskesos desk (village) or an SLRT secretariat (regency)."""

    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)  # e.g. PKS-2001, used in letter numbers
    name: Mapped[str] = mapped_column(sa.String(160))
    kind: Mapped[OfficeKind] = mapped_column(enum_column(OfficeKind, "office_kind"))
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    requires_approval: Mapped[bool] = mapped_column(default=False)
    address: Mapped[str | None] = mapped_column(sa.String(255))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    hours: Mapped[str | None] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region = relationship("Region", lazy="joined")


class Agency(db.Model):
    """A receiving organisation: Dinas Sosial, Disdukcapil, Puskesmas, UPTD PPA, BAZNAS, ..."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    address: Mapped[str | None] = mapped_column(sa.String(255))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    hours: Mapped[str | None] = mapped_column(sa.String(120))
    # Region codes the agency serves (any level); the routing table says which service goes where.
    service_area: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NeedCategory(db.Model):
    """The need taxonomy (`informasi`, `pangan`, `kekerasan`, ...). Codes are stable identifiers."""

    __tablename__ = "need_categories"

    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    name_en: Mapped[str | None] = mapped_column(sa.String(160))
    description: Mapped[str | None] = mapped_column(sa.Text)
    fast_track: Mapped[bool] = mapped_column(default=False)  # e.g. kekerasan: always fast-track
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Service(db.Model):
    """A programme or service a need can be referred to (PKH, BPNT, ADMINDUK, ...)."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    required_documents: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    needs: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # need category codes addressed
    sla_respond_days: Mapped[int] = mapped_column(default=3)
    sla_resolve_days: Mapped[int] = mapped_column(default=14)
    needs_nik: Mapped[bool] = mapped_column(default=False)
    urgent: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    default_agency_code: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint("sla_respond_days >= 0 AND sla_resolve_days > 0", name="sla_positive"),
    )
