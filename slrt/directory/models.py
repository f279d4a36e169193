from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from slrt.core.db import enum_column, utcnow
from slrt.extensions import Model


class OfficeKind(enum.StrEnum):
    PUSKESOS = "puskesos"  # a village desk
    SLRT = "slrt"  # a regency secretariat inside the Dinas Sosial


OFFICE_KIND_LABELS = {OfficeKind.PUSKESOS: _l("Puskesos"), OfficeKind.SLRT: _l("Sekretariat SLRT")}


class Office(Model):
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
    # The letterhead (slrt.referrals.letter): the office's e-mail, its head's position (the
    # letter says "a.n." when someone else signs), the copies (tembusan, one a line) and the
    # regional logo. The logo is read only when a letter is drawn, so it is deferred.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    head_title: Mapped[str | None] = mapped_column(sa.String(160))
    tembusan: Mapped[str | None] = mapped_column(sa.Text)
    logo: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(sa.String(20))  # image/png or image/jpeg
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region = relationship("Region", lazy="joined")


class Agency(Model):
    """A receiving organisation: Dinas Sosial, Disdukcapil, Puskesmas, UPTD PPA, BAZNAS, ..."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    address: Mapped[str | None] = mapped_column(sa.String(255))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    hours: Mapped[str | None] = mapped_column(sa.String(120))
    # Whom the SLA sweep escalates a missed deadline to (the head of the agency or unit).
    head_name: Mapped[str | None] = mapped_column(sa.String(160))
    head_email: Mapped[str | None] = mapped_column(sa.String(254))
    head_phone: Mapped[str | None] = mapped_column(sa.String(32))
    # Region codes the agency serves (any level); the routing table says which service goes where.
    service_area: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NeedCategory(Model):
    """The need taxonomy (`informasi`, `pangan`, `kekerasan`, ...). Codes are stable identifiers."""

    __tablename__ = "need_categories"

    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    name_en: Mapped[str | None] = mapped_column(sa.String(160))
    description: Mapped[str | None] = mapped_column(sa.Text)
    fast_track: Mapped[bool] = mapped_column(default=False)  # e.g. kekerasan: always fast-track
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def display_name(self) -> str:
        """The name in the reader's language: English when chosen and known, else Indonesian."""
        from flask_babel import get_locale

        locale = get_locale()
        return self.name_en if self.name_en and locale is not None and locale.language == "en" else self.name


class Combine(enum.StrEnum):
    """How a service's criteria combine: every one must hold, or at least one."""

    ALL = "all"
    ANY = "any"


COMBINE_LABELS = {
    Combine.ALL: _l("Semua kriteria terpenuhi"),
    Combine.ANY: _l("Salah satu kriteria terpenuhi"),
}


class AgencyContact(enum.StrEnum):
    """How much of the citizen's contact the receiving agency sees on a referral of the service
    (slrt.referrals.access.contact_shown): the agency acts on the person, but needs no more than
    its work asks (UU 27/2022)."""

    FULL = "full"  # phone, address and the attached documents
    PHONE = "phone"  # phone and documents, not the address (the desk arranges where to meet)
    NAME = "name"  # the name only: the desk passes on what the agency needs


AGENCY_CONTACT_LABELS = {
    AgencyContact.FULL: _l("Telepon, alamat dan dokumen"),
    AgencyContact.PHONE: _l("Telepon dan dokumen, tanpa alamat"),
    AgencyContact.NAME: _l("Nama saja; desk yang menyampaikan"),
}


class Service(Model):
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
    agency_contact: Mapped[AgencyContact] = mapped_column(
        enum_column(AgencyContact, "agency_contact"),
        default=AgencyContact.FULL,
        server_default=AgencyContact.FULL.value,
    )
    # Offered by household screening besides the named needs (slrt.routing.engine.route).
    screen: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    urgent: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    default_agency_code: Mapped[str | None] = mapped_column(sa.String(40))
    combine: Mapped[Combine] = mapped_column(
        enum_column(Combine, "combine"), default=Combine.ALL, server_default=Combine.ALL.value
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    criteria = relationship(
        "Criterion", back_populates="service", order_by="Criterion.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("sla_respond_days >= 0 AND sla_resolve_days > 0", name="sla_positive"),
    )


class Criterion(Model):
    """One named eligibility rule of a service, an expression over the facts (rule-engine syntax).

    Expressions are compiled and type-checked when saved (slrt.routing.expressions), so a row
    here is always one the engine can run.
    """

    __tablename__ = "criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(160))
    name_en: Mapped[str | None] = mapped_column(sa.String(160))  # how an English reader sees it
    expression: Mapped[str] = mapped_column(sa.Text)

    service = relationship(Service, back_populates="criteria")


class RoutingRule(Model):
    """ "Service x region -> agency". The rule of the most specific region containing the
    village wins (village over district over regency over province). Every rule names one
    service: a catch-all rule per agency would let a village Puskesmas capture PKH."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id", ondelete="CASCADE"), index=True)
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    service = relationship(Service, lazy="joined")
    agency = relationship(Agency, lazy="joined")
    region = relationship("Region", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("service_id", "region_code", name="uq_routing_rules_service_region"),
    )


class DirectoryChange(Model):
    """Version history of the directory: one row per changed field (who, when, old, new)."""

    __tablename__ = "directory_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    object_type: Mapped[str] = mapped_column(sa.String(20))  # agency, service, criterion, routing_rule
    object_id: Mapped[int] = mapped_column()
    object_label: Mapped[str] = mapped_column(sa.String(200))
    field: Mapped[str] = mapped_column(sa.String(60))
    old: Mapped[str | None] = mapped_column(sa.Text)
    new: Mapped[str | None] = mapped_column(sa.Text)

    actor = relationship("User")

    __table_args__ = (sa.Index("ix_directory_changes_object", "object_type", "object_id"),)
