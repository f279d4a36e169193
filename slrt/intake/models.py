from __future__ import annotations

import enum
import unicodedata
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from slrt.core.crypto import EncryptedString, mask, nik_digest
from slrt.core.db import enum_column, utcnow
from slrt.core.nik import NikMissingReason
from slrt.extensions import Model
from slrt.intake import names


class Sex(enum.StrEnum):
    MALE = "L"
    FEMALE = "P"


class Disability(enum.StrEnum):
    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class Schooling(enum.StrEnum):
    IN_SCHOOL = "in_school"
    NOT_IN_SCHOOL = "not_in_school"
    FINISHED = "finished"  # finished 12 years of school


class BirthPrecision(enum.StrEnum):
    """How much of the birth date is known: elderly people often know only the year."""

    DAY = "day"
    YEAR = "year"  # birth_date holds 1 July of that year
    ABOUT = "about"  # "about" that year (slrt.routing.facts.ABOUT_YEARS either side)


class Relationship(enum.StrEnum):
    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDCHILD = "grandchild"
    OTHER = "other"


class Channel(enum.StrEnum):
    WALK_IN = "walk_in"
    HOME_VISIT = "home_visit"
    PHONE = "phone"
    ONLINE = "online"


class CaseType(enum.StrEnum):
    QUESTION = "question"
    COMPLAINT = "complaint"
    NEED = "need"


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ConsentBy(enum.StrEnum):
    SELF = "self"
    GUARDIAN = "guardian"


class DtsenSource(enum.StrEnum):
    """Where the desk looked a family up in DTSEN."""

    SIKS_NG = "siks_ng"
    CEK_BANSOS = "cek_bansos"
    IMPORT = "import"  # the regency's DTSEN file (slrt.dtsen)
    HOME_VISIT = "home_visit"


DTSEN_SOURCE_LABELS = {
    DtsenSource.SIKS_NG: _l("SIKS-NG"),
    DtsenSource.CEK_BANSOS: _l("Cek Bansos"),
    DtsenSource.IMPORT: _l("Impor data DTSEN"),
    DtsenSource.HOME_VISIT: _l("Kunjungan rumah"),
}

SEX_LABELS = {Sex.MALE: _l("Laki-laki"), Sex.FEMALE: _l("Perempuan")}
DISABILITY_LABELS = {
    Disability.NONE: _l("Tidak ada"),
    Disability.MILD: _l("Ringan"),
    Disability.MODERATE: _l("Sedang"),
    Disability.SEVERE: _l("Berat"),
}
SCHOOLING_LABELS = {
    Schooling.IN_SCHOOL: _l("Sedang sekolah"),
    Schooling.NOT_IN_SCHOOL: _l("Tidak/putus sekolah"),
    Schooling.FINISHED: _l("Sudah tamat 12 tahun"),
}
RELATIONSHIP_LABELS = {
    Relationship.HEAD: _l("Kepala keluarga"),
    Relationship.SPOUSE: _l("Istri/suami"),
    Relationship.CHILD: _l("Anak"),
    Relationship.PARENT: _l("Orang tua/mertua"),
    Relationship.GRANDCHILD: _l("Cucu"),
    Relationship.OTHER: _l("Lainnya"),
}
CHANNEL_LABELS = {
    Channel.WALK_IN: _l("Datang langsung"),
    Channel.HOME_VISIT: _l("Kunjungan rumah"),
    Channel.PHONE: _l("Telepon"),
    Channel.ONLINE: _l("Daring"),
}
CASE_TYPE_LABELS = {
    CaseType.QUESTION: _l("Pertanyaan"),
    CaseType.COMPLAINT: _l("Pengaduan"),
    CaseType.NEED: _l("Kebutuhan"),
}
CASE_STATUS_LABELS = {CaseStatus.OPEN: _l("Terbuka"), CaseStatus.CLOSED: _l("Selesai")}


class Household(Model):
    """A family as the desk knows it. No. KK is an attribute, never an identity key: it changes."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Encrypted at rest (slrt.core.crypto); `kk_hash` is the keyed digest searches use.
    kk_number: Mapped[str | None] = mapped_column("kk_encrypted", EncryptedString)
    kk_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    village_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    rt: Mapped[str | None] = mapped_column(sa.String(3))
    rw: Mapped[str | None] = mapped_column(sa.String(3))
    street: Mapped[str | None] = mapped_column(sa.String(255))
    in_dtsen: Mapped[bool | None]  # None: not yet checked
    desil: Mapped[int | None] = mapped_column(sa.SmallInteger)
    programmes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # PKH, BPNT, PBI-JK, PIP, ...
    house_uninhabitable: Mapped[bool | None]
    # Where in_dtsen, desil and programmes come from: the latest DtsenCheck (or the DTSEN import),
    # kept here so every page showing the household shows it without another query.
    dtsen_checked_on: Mapped[date | None]
    dtsen_source: Mapped[DtsenSource | None] = mapped_column(enum_column(DtsenSource, "dtsen_source"))
    dtsen_checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # When the family last moved to another village (slrt.intake.moves): the case page reads the
    # move trail only for families that moved, so the other pages cost nothing more.
    moved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    members = relationship("Person", back_populates="household", order_by="Person.id")
    village = relationship("Region", lazy="joined")
    dtsen_checked_by = relationship("User", lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("desil IS NULL OR desil BETWEEN 1 AND 10", name="desil_range"),
        # Scope filters read "village = X or village under X." (core/access.py): on PostgreSQL a
        # pattern-ops index serves both the equality and the prefix LIKE.
        sa.Index(
            "ix_households_village_prefix",
            "village_code",
            postgresql_ops={"village_code": "varchar_pattern_ops"},
        ),
    )

    @validates("kk_number")
    def _keep_kk_hash(self, _key: str, kk: str | None) -> str | None:
        self.kk_hash = nik_digest(kk)
        return kk or None


def normalize_name(text: str) -> str:
    """The searchable form of a name: lower case, accents stripped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def spelling_keys(name: str) -> dict[str, str]:
    """The spelling-forgiving keys a person's name is searched and compared by (slrt.intake.names),
    for bulk writers that bypass the model's @validates."""
    return {"name_key": names.name_key(name), "name_phonetic": names.name_phonetic(name)}


class Person(Model):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Encrypted at rest (slrt.core.crypto). Unique when present, through the keyed digest
    # `nik_hash` (the ciphertext differs every time); many poor residents have no NIK at all.
    nik: Mapped[str | None] = mapped_column("nik_encrypted", EncryptedString)
    nik_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    nik_missing_reason: Mapped[NikMissingReason | None] = mapped_column(
        enum_column(NikMissingReason, "nik_missing_reason")
    )
    name: Mapped[str] = mapped_column(sa.String(160))
    # Lower-cased, accent-free copy of the name for searching (see intake.search).
    name_search: Mapped[str] = mapped_column(sa.String(160), index=True, default="")
    # Old and new spelling, titles and doubled letters folded, and a sound key (slrt.intake.names):
    # what the forgiving search and the duplicate scan compare. Kept in step like name_search.
    name_key: Mapped[str] = mapped_column(sa.String(160), index=True, default="")
    name_phonetic: Mapped[str] = mapped_column(sa.String(160), index=True, default="")
    birth_date: Mapped[date | None] = mapped_column(index=True)  # the intake duplicate check's block
    # None or DAY: the exact date; YEAR/ABOUT: only the year is known (ages become intervals).
    birth_precision: Mapped[BirthPrecision | None] = mapped_column(
        enum_column(BirthPrecision, "birth_precision")
    )
    sex: Mapped[Sex | None] = mapped_column(enum_column(Sex, "sex"))
    phone: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))  # online reporters may leave one
    disability: Mapped[Disability] = mapped_column(
        enum_column(Disability, "disability"), default=Disability.NONE
    )
    pregnant: Mapped[bool | None]
    schooling: Mapped[Schooling | None] = mapped_column(enum_column(Schooling, "schooling"))
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("households.id"), index=True)
    relationship_to_head: Mapped[Relationship | None] = mapped_column(
        enum_column(Relationship, "relationship")
    )
    # The village whose desks may see this person (the household's, or where the case was taken).
    village_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Set by `flask retention run`: identity removed, counts and categories kept.
    anonymised_at: Mapped[datetime | None]
    # Set when this record was merged into another (slrt.intake.dedup); cleared by the undo.
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"), index=True)

    household = relationship(Household, back_populates="members")

    __table_args__ = (
        sa.Index(
            "ix_persons_village_prefix",
            "village_code",
            postgresql_ops={"village_code": "varchar_pattern_ops"},
        ),  # see Household
        # The intake duplicate check's sound-key block within a birth year (slrt.intake.dedup).
        sa.Index("ix_persons_name_phonetic_birth_date", "name_phonetic", "birth_date"),
    )

    @validates("name")
    def _keep_name_search(self, _key: str, name: str) -> str:
        # Every way of creating or renaming a person keeps the search form in step.
        self.name_search = normalize_name(name)
        self.name_key = names.name_key(name)
        self.name_phonetic = names.name_phonetic(name)
        return name

    @validates("nik")
    def _keep_nik_hash(self, _key: str, nik: str | None) -> str | None:
        # Every writer of a NIK keeps its lookup digest in step, as with name_search.
        self.nik_hash = nik_digest(nik)
        return nik or None

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


class Case(Model):
    """One visit or report, with a public tracking code."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    type: Mapped[CaseType] = mapped_column(enum_column(CaseType, "case_type"))
    status: Mapped[CaseStatus] = mapped_column(
        enum_column(CaseStatus, "case_status"), default=CaseStatus.OPEN
    )
    office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offices.id"), index=True)
    # The scope key: the village whose desk owns the case.
    village_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("households.id"), index=True)
    summary: Mapped[str | None] = mapped_column(sa.Text)
    urgent: Mapped[bool] = mapped_column(default=False)  # fast-track queue card
    urgency_reason: Mapped[str | None] = mapped_column(sa.String(255))
    consent_given: Mapped[bool] = mapped_column(default=False)
    consent_by: Mapped[ConsentBy | None] = mapped_column(enum_column(ConsentBy, "consent_by"))
    consent_at: Mapped[datetime | None]
    confidential: Mapped[bool] = mapped_column(default=False)  # rahasia: never public
    anonymous: Mapped[bool] = mapped_column(default=False)  # reporter hidden from the agency
    answer: Mapped[str | None] = mapped_column(sa.Text)  # questions answered at the desk
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    closed_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]  # see `flask retention run`
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # Why the officer opened this case although the same person had an open case for the same need.
    duplicate_reason: Mapped[str | None] = mapped_column(sa.String(255))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    office = relationship("Office", lazy="joined")
    reporter = relationship(Person, foreign_keys=[reporter_id])
    household = relationship(Household)
    needs = relationship("Need", back_populates="case", order_by="Need.id", cascade="all, delete-orphan")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="case", order_by="Attachment.id")
    created_by = relationship("User")

    __table_args__ = (
        sa.Index(
            "ix_cases_village_prefix", "village_code", postgresql_ops={"village_code": "varchar_pattern_ops"}
        ),  # see Household
    )


class Need(Model):
    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    category_code: Mapped[str] = mapped_column(sa.ForeignKey("need_categories.code"), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    # Closed by the desk on purpose, with the reason (slrt.referrals.closure): the need counts as
    # answered although nothing was referred for it.
    closed_reason: Mapped[str | None] = mapped_column(sa.Text)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    case = relationship(Case, back_populates="needs")
    category = relationship("NeedCategory", lazy="joined")
    person = relationship(Person)
    closed_by = relationship("User")


class AttachmentKind(enum.StrEnum):
    KTP = "ktp"
    KK = "kk"
    HOUSE = "house"


ATTACHMENT_KIND_LABELS = {
    AttachmentKind.KTP: _l("KTP"),
    AttachmentKind.KK: _l("Kartu Keluarga"),
    AttachmentKind.HOUSE: _l("Foto rumah"),
}


class Attachment(Model):
    """A scanned document or photo of a case. The file lives under UPLOAD_DIR with a random name;
    it is only ever served through the case's scope check."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    kind: Mapped[AttachmentKind] = mapped_column(enum_column(AttachmentKind, "attachment_kind"))
    original_name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="attachments")


class RecordChange(Model):
    """One changed field of a person or household: who, when, old and new value. Append-only."""

    __tablename__ = "record_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(sa.String(20))  # "person" or "household"
    object_id: Mapped[int]
    field: Mapped[str] = mapped_column(sa.String(40))
    old_value: Mapped[str | None] = mapped_column(sa.Text)
    new_value: Mapped[str | None] = mapped_column(sa.Text)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    changed_by = relationship("User")

    __table_args__ = (sa.Index("ix_record_changes_object", "object_type", "object_id"),)


class DtsenCheck(Model):
    """One look-up of a family in DTSEN, as the officer recorded it. Append-only: the household's
    current in_dtsen, desil and programmes are those of the latest check."""

    __tablename__ = "dtsen_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"), index=True)
    in_dtsen: Mapped[bool]
    desil: Mapped[int | None] = mapped_column(sa.SmallInteger)
    programmes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    checked_on: Mapped[date]  # the office's local date of the look-up
    source: Mapped[DtsenSource] = mapped_column(enum_column(DtsenSource, "dtsen_check_source"))
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    checked_by = relationship("User", lazy="joined")

    __table_args__ = (sa.CheckConstraint("desil IS NULL OR desil BETWEEN 1 AND 10", name="desil_range"),)


class KkChange(Model):
    """A No. KK a household had before: the old number encrypted and hashed as kk_number is,
    who replaced it and when. Append-only."""

    __tablename__ = "kk_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"), index=True)
    old_kk: Mapped[str | None] = mapped_column("old_kk_encrypted", EncryptedString)
    old_kk_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    changed_by = relationship("User", lazy="joined")

    @property
    def old_kk_masked(self) -> str:
        return mask(self.old_kk)

    @validates("old_kk")
    def _keep_old_kk_hash(self, _key: str, kk: str | None) -> str | None:
        self.old_kk_hash = nik_digest(kk)
        return kk or None


class PairDecision(Model):
    """A pair of persons a coordinator judged "not the same person": never proposed again.
    Stored with the smaller id first, so one pair has one row."""

    __tablename__ = "person_pair_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_a_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    person_b_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("person_a_id", "person_b_id", name="uq_person_pair_decisions_pair"),
        sa.CheckConstraint("person_a_id < person_b_id", name="pair_ordered"),
    )


class PersonMerge(Model):
    """One merge of a person into another, with what it moved, so the undo puts back exactly that:
    `moved` maps "table.column" to the ids of the rows whose reference went to the survivor."""

    __tablename__ = "person_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    merged_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    moved: Mapped[dict[str, list[int]]] = mapped_column(sa.JSON, default=dict)
    score: Mapped[float | None]
    merged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    undone_at: Mapped[datetime | None]

    survivor = relationship(Person, foreign_keys=[survivor_id])
    merged = relationship(Person, foreign_keys=[merged_id])
    merged_by = relationship("User", foreign_keys=[merged_by_id])


class QualityTally(Model):
    """The data-quality counts of one village (slrt.intake.quality), stored each night by `flask
    quality refresh` for the dashboards, which sum them per region. `kind` is one of quality.KINDS;
    `key` is the reason recorded for a missing NIK ("" otherwise). Zeros are not stored."""

    __tablename__ = "quality_tallies"

    village_code: Mapped[str] = mapped_column(sa.String(13), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    count: Mapped[int]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class MoveStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    CANCELLED = "cancelled"


MOVE_STATUS_LABELS = {
    MoveStatus.REQUESTED: _l("Menunggu desk tujuan"),
    MoveStatus.ACCEPTED: _l("Diterima desk tujuan"),
    MoveStatus.REFUSED: _l("Ditolak desk tujuan"),
    MoveStatus.CANCELLED: _l("Dibatalkan"),
}
OPEN_MOVE_PREDICATE = "status = 'requested'"


class HouseholdMove(Model):
    """A family handed over to the desk of another village (SIKS-NG's "pemindahan wilayah"): asked
    by the desk it leaves, accepted or refused by the desk whose area covers the new village.
    `moved` keeps what the acceptance re-homed ("persons", "cases", "referrals": ids) and which
    closed cases stayed with the old desk ("stayed"), so both sides can read the hand-over."""

    __tablename__ = "household_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"), index=True)
    from_village_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    to_village_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    # The address in the new village, as the requesting desk gave it.
    rt: Mapped[str | None] = mapped_column(sa.String(3))
    rw: Mapped[str | None] = mapped_column(sa.String(3))
    street: Mapped[str | None] = mapped_column(sa.String(255))
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[MoveStatus] = mapped_column(
        enum_column(MoveStatus, "move_status"), default=MoveStatus.REQUESTED, index=True
    )
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    refusal_reason: Mapped[str | None] = mapped_column(sa.Text)
    moved: Mapped[dict[str, list[int]]] = mapped_column(sa.JSON, default=dict)

    household = relationship(Household)
    from_village = relationship("Region", foreign_keys=[from_village_code], lazy="joined")
    to_village = relationship("Region", foreign_keys=[to_village_code], lazy="joined")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (
        # One open move per family: two desks cannot pull it two ways at once.
        sa.Index(
            "uq_household_moves_open",
            "household_id",
            unique=True,
            postgresql_where=sa.text(OPEN_MOVE_PREDICATE),
            sqlite_where=sa.text(OPEN_MOVE_PREDICATE),
        ),
    )

    @property
    def is_open(self) -> bool:
        return self.status is MoveStatus.REQUESTED
