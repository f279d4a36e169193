"""Registering a desk visit: parsing the intake form, registering (or updating) the visitor and
their household and opening a case, with consent, urgency, duplicates and attachments.

Services collect every problem and raise `ValidationFailed` once, keyed by the form field id
(`name`, `needs-1-category`, ...), so the page can show all of them; they only `flush()`.
"""

from __future__ import annotations

import errno
import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from lokal import normalize_phone

from slrt.accounts.models import Role, User
from slrt.accounts.services import ValidationFailed
from slrt.core import tracking
from slrt.core.access import region_clause, visible
from slrt.core.ages import age_bounds, may_be_aged, year_only_date
from slrt.core.audit import audit
from slrt.core.crypto import mask, nik_digest
from slrt.core.db import utcnow
from slrt.core.nik import NikMissingReason, check_nik
from slrt.directory.models import NeedCategory, Office
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake.records import apply_changes, nik_clash_message
from slrt.intake.search import DIGITS16, open_cases_of
from slrt.privacy.consent import method_for, record_consent
from slrt.regions.models import Region

PROGRAMMES = ("PKH", "BPNT", "PBI-JK", "PIP")


MAX_UPLOAD = 5 * 1024 * 1024


ELDERLY_AGE = 70


ADULT_AGE = 18


# Fields asked only where they can change something (the routing engine reads pregnancy for
# women of 10-55 and schooling for ages 6-21; the desk asks a little wider for schooling).
PREGNANCY_AGES = (10, 55)
SCHOOLING_AGES = (5, 25)


# As many needs as the citizen has, within reason: a visit with more is better split. The form
# parses up to twice as many rows, so a longer list is refused with a message, never cut short.
MAX_NEEDS = 20
MAX_MEMBERS = 12


RT_RW = re.compile(r"^\d{1,3}$")


# Magic bytes: the type is read from the content, never from the name or the browser's word.
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
)


Errors = dict[str | None, list[str]]


def _add(errors: Errors, key: str | None, message: str) -> None:
    errors.setdefault(key, []).append(message)


def fast_track_reasons(people: list[Any], categories: list[NeedCategory], today: date) -> list[str]:
    """Why a visit goes to the fast-track queue (elderly 70+, severe disability, pregnancy,
    a fast-track need such as violence); an empty list means the normal queue."""
    reasons: list[str] = []
    for person in people:
        bounds = age_bounds(person.birth_date, getattr(person, "birth_precision", None), today)
        # Only a known 70+ counts: born in a year that makes her 69 or 70 is not yet fast-tracked
        # (the officer can raise the priority with a reason).
        if bounds is not None and bounds[0] >= ELDERLY_AGE:
            if bounds[0] == bounds[1]:
                reasons.append(_("Lansia %(age)d tahun: %(name)s", age=bounds[0], name=person.name))
            else:
                reasons.append(
                    _(
                        "Lansia %(low)d sampai %(high)d tahun: %(name)s",
                        low=bounds[0],
                        high=bounds[1],
                        name=person.name,
                    )
                )
        if person.disability is m.Disability.SEVERE:
            reasons.append(_("Disabilitas berat: %(name)s", name=person.name))
        if person.pregnant:
            reasons.append(_("Hamil: %(name)s", name=person.name))
    for category in categories:
        if category.fast_track:
            reasons.append(_("Kebutuhan jalur cepat: %(need)s", need=category.name))
    return list(dict.fromkeys(reasons))


def _text(data: dict, key: str, limit: int = 255) -> str:
    return (str(data.get(key) or "")).strip()[:limit]


def _date(data: dict, key: str, errors: Errors, err_key: str, today: date) -> date | None:
    """An exact birth date, or None. An invalid one is None too, with one message at the field,
    so no check derived from it (age, consent, fast track) adds a second message."""
    raw = _text(data, key, 20)
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        _add(errors, err_key, _("Tanggal tidak valid; gunakan format TTTT-BB-HH."))
        return None
    if value > today:
        _add(errors, err_key, _("Tanggal lahir tidak boleh di masa depan."))
        return None
    if value.year < 1900:
        _add(errors, err_key, _("Tanggal lahir terlalu lampau."))
        return None
    return value


def _birth(
    data: dict, prefix: str, errors: Errors, today: date
) -> tuple[date | None, m.BirthPrecision | None]:
    """The birth date and how much of it is known: an exact date, a year only, or about a year.
    A year is stored as 1 July of that year (see slrt.core.ages.year_only_date)."""
    precision = _enum(m.BirthPrecision, data, "birth_precision", errors, prefix + "birth_precision")
    year_text = _text(data, "birth_year", 10)
    if precision in (None, m.BirthPrecision.DAY) and not _text(data, "birth_date") and year_text:
        # Without the script both fields show: a year typed alone means "year only".
        precision = m.BirthPrecision.YEAR
    if precision not in (m.BirthPrecision.YEAR, m.BirthPrecision.ABOUT):
        born = _date(data, "birth_date", errors, prefix + "birth_date", today)
        return born, m.BirthPrecision.DAY if born else None
    key = prefix + "birth_year"
    if not year_text:
        _add(errors, key, _("Isi tahun lahir, atau pilih tanggal lengkap bila tanggalnya diketahui."))
        return None, None
    if not (len(year_text) == 4 and year_text.isdecimal()):
        _add(errors, key, _("Tulis tahun lahir dengan 4 angka, misalnya 1952."))
        return None, None
    year = int(year_text)
    if year > today.year:
        _add(errors, key, _("Tahun lahir tidak boleh di masa depan."))
        return None, None
    if year < 1900:
        _add(errors, key, _("Tahun lahir terlalu lampau."))
        return None, None
    return year_only_date(year, today), precision


def _enum(cls: type, data: dict, key: str, errors: Errors, err_key: str, required: bool = False) -> Any:
    raw = _text(data, key, 40)
    if not raw:
        if required:
            _add(errors, err_key, _("Wajib dipilih."))
        return None
    try:
        return cls(raw)
    except ValueError:
        _add(errors, err_key, _("Pilihan tidak dikenal."))
        return None


def _person_values(data: dict, prefix: str, errors: Errors, today: date) -> dict[str, Any]:
    """Fields shared by the visitor and the other household members."""
    key = prefix.__add__
    values: dict[str, Any] = {}
    name = _text(data, "name", 160)
    if not name:
        _add(errors, key("name"), _("Nama wajib diisi."))
    values["name"] = name
    values["birth_date"], values["birth_precision"] = _birth(data, prefix, errors, today)
    values["sex"] = _enum(m.Sex, data, "sex", errors, key("sex"), required=True)
    values["relationship_to_head"] = _enum(
        m.Relationship, data, "relationship", errors, key("relationship"), required=True
    )
    values["disability"] = _enum(m.Disability, data, "disability", errors, key("disability")) or (
        m.Disability.NONE
    )
    # A field that cannot apply to this person (pregnancy for a man or a woman of 74, schooling
    # for an adult of 40) is hidden on the page; whatever it still carries is ignored here, never
    # an error the officer cannot see.
    bounds = age_bounds(values["birth_date"], values["birth_precision"], today)
    values["pregnant"] = (
        bool(data.get("pregnant")) and values["sex"] is m.Sex.FEMALE and may_be_aged(bounds, *PREGNANCY_AGES)
    )
    schooling = _enum(m.Schooling, data, "schooling", errors, key("schooling"))
    values["schooling"] = schooling if may_be_aged(bounds, *SCHOOLING_AGES) else None
    return values


@dataclass
class IntakeResult:
    case: m.Case
    files: list[Path] = field(default_factory=list)


@dataclass
class Upload:
    kind: m.AttachmentKind
    filename: str
    content: bytes


def sniff(content: bytes) -> tuple[str, str] | None:
    for magic, mime, ext in SIGNATURES:
        if content.startswith(magic):
            return mime, ext
    return None


def _check_uploads(uploads: list[Upload], errors: Errors) -> list[tuple[Upload, str, str]]:
    checked = []
    for upload in uploads:
        key = f"file_{upload.kind.value}"
        if len(upload.content) > MAX_UPLOAD:
            _add(errors, key, _("%(name)s lebih dari 5 MB.", name=upload.filename))
            continue
        kind = sniff(upload.content)
        if kind is None:
            _add(errors, key, _("%(name)s bukan JPEG, PNG atau PDF.", name=upload.filename))
            continue
        checked.append((upload, *kind))
    return checked


def desk_villages(user: User) -> list[Region]:
    """The villages a user may register in: a desk officer's own village, or every village in
    the user's region (for coordinators and SLRT officers, picked with the region picker)."""
    if user.role is Role.DESK:
        return [user.office.region] if user.office else []
    return []


def village_allowed(user: User, code: str) -> bool:
    """Server-side scope check for a posted village code: never trust the hidden field."""
    if user.role is Role.DESK:
        return bool(user.office) and code == user.office.region_code
    prefix = user.scope_region_code
    return (
        db.session.scalar(
            sa.select(Region.code).where(
                Region.code == code, Region.level == 4, region_clause(Region.code, prefix)
            )
        )
        is not None
    )


def _office_for(user: User, village: str) -> Office | None:
    if user.office is not None:
        return user.office
    return db.session.scalar(sa.select(Office).where(Office.region_code == village).limit(1))


def create_case(data: dict[str, Any], uploads: list[Upload], user: User, today: date) -> IntakeResult:
    """Registers (or updates) the visitor and their household and opens a case, all in the
    session's transaction. Without consent only an anonymous question is stored, with no
    person and no household. Raises ValidationFailed listing every problem."""
    errors: Errors = {}
    consent = bool(data.get("consent"))
    case_type = _enum(m.CaseType, data, "case_type", errors, "case_type", required=True)
    channel = _enum(m.Channel, data, "channel", errors, "channel", required=True)
    existing: m.Person | None = None
    person_id = str(data.get("person_id") or "")
    if person_id:
        existing = (
            db.session.scalar(visible(m.Person, user).where(m.Person.id == int(person_id)))
            if person_id.isdecimal()
            else None
        )
        if existing is None:
            _add(errors, None, _("Warga yang dipilih tidak ditemukan di wilayah Anda."))
    household = existing.household if existing else None
    members = list(household.members) if household else []

    # The needs, and who each is about ("self", an existing member "p<id>", or new member "m<i>").
    categories = {c.code: c for c in db.session.scalars(sa.select(NeedCategory).where(NeedCategory.active))}
    needs: list[tuple[NeedCategory, str, str]] = []
    for i, row in enumerate(data.get("needs") or []):
        code = _text(row, "category", 40)
        description = _text(row, "description", 2000)
        if not code:
            if description:
                _add(errors, f"needs-{i}-category", _("Pilih jenis kebutuhan untuk keterangan ini."))
            continue
        if code not in categories:
            _add(errors, f"needs-{i}-category", _("Jenis kebutuhan tidak dikenal."))
            continue
        needs.append((categories[code], description, _text(row, "person", 20) or "self"))
    if len(needs) > MAX_NEEDS:
        _add(
            errors,
            f"needs-{MAX_NEEDS}-category",
            _(
                "Satu kunjungan paling banyak %(n)d kebutuhan. Kosongkan kebutuhan ke-%(next)d dan "
                "seterusnya, lalu catat sebagai kunjungan baru.",
                n=MAX_NEEDS,
                next=MAX_NEEDS + 1,
            ),
        )
    if not needs and case_type is m.CaseType.QUESTION and "informasi" in categories:
        needs.append((categories["informasi"], "", "self"))
    if not needs and case_type is not None and "needs-0-category" not in errors:
        _add(errors, "needs-0-category", _("Catat minimal satu kebutuhan atau keluhan."))

    if not consent:
        # UU PDP: no consent, no identity. Only a question can be answered without one.
        if case_type is not m.CaseType.QUESTION:
            _add(
                errors,
                "consent",
                _("Tanpa persetujuan warga, kunjungan hanya dapat dicatat sebagai pertanyaan anonim."),
            )
        if uploads:
            _add(errors, "consent", _("Lampiran hanya boleh disimpan dengan persetujuan warga."))
        if existing is not None:
            _add(errors, "consent", _("Warga yang sudah terdaftar hanya dilayani dengan persetujuannya."))
        # Anonymous question: the village is the desk's own, whatever was posted.
        village = user.office.region_code if user.office else _text(data, "village_code", 13)
        if not village or not village_allowed(user, village):
            _add(errors, "village_code", _("Desa/kelurahan ini di luar wilayah tugas Anda."))
        visit = _visit_checks(data, case_type, [], [c for c, _d, _w in needs], today, errors)
        if errors:
            raise ValidationFailed(errors)
        case = _open_case(data, user, village, case_type, channel, visit, needs, None, None, {})
        return IntakeResult(case)

    # With consent: the visitor, the household, the new members.
    person_values = _person_values(data, "", errors, today)
    nik_text = _text(data, "nik", 40)
    if existing is not None and existing.nik and nik_text == mask(existing.nik):
        # The form shows a known person's NIK masked; posted back unchanged, it means "keep it".
        nik_text = existing.nik
    missing = _enum(NikMissingReason, data, "nik_missing_reason", errors, "nik_missing_reason")
    nik = None
    if nik_text:
        result = check_nik(nik_text, today)
        if result.errors:
            for message in result.errors:
                _add(errors, "nik", message)
        else:
            nik = result.nik
            clash = db.session.scalar(sa.select(m.Person.id).where(m.Person.nik_hash == nik_digest(nik)))
            if clash is not None and (existing is None or clash != existing.id):
                _add(errors, "nik", nik_clash_message(clash, user))
        missing = None
    elif missing is None:
        _add(errors, "nik_missing_reason", _("Tanpa NIK, pilih alasannya."))
    person_values["nik"] = nik
    person_values["nik_missing_reason"] = missing
    phone_text = _text(data, "phone", 40)
    phone = None
    if phone_text:
        phone = normalize_phone(phone_text)
        if phone is None:
            _add(errors, "phone", _("Nomor telepon tidak dikenali; contoh 0812-3456-7890."))
    person_values["phone"] = phone

    kk = re.sub(r"[\s.\-]", "", _text(data, "kk_number", 40))
    if household is not None and household.kk_number and kk == mask(household.kk_number):
        kk = household.kk_number
    if kk and not DIGITS16.match(kk):
        _add(errors, "kk_number", _("No. KK harus 16 digit angka."))
    village = _text(data, "village_code", 13)
    if not village:
        _add(errors, "village_code", _("Pilih desa/kelurahan."))
    elif not village_allowed(user, village):
        _add(errors, "village_code", _("Desa/kelurahan ini di luar wilayah tugas Anda."))
    rt, rw = _text(data, "rt", 3), _text(data, "rw", 3)
    for key, value in (("rt", rt), ("rw", rw)):
        if value and not RT_RW.match(value):
            _add(errors, key, _("Isi dengan angka, paling banyak 3 digit."))
    in_dtsen = {"yes": True, "no": False}.get(_text(data, "in_dtsen", 10))
    desil_text = _text(data, "desil", 3)
    desil = int(desil_text) if desil_text.isdecimal() and 1 <= int(desil_text) <= 10 else None
    if desil_text and desil is None:
        _add(errors, "desil", _("Desil 1 sampai 10, atau kosong bila belum diketahui."))
    if desil is not None and in_dtsen is False:
        _add(errors, "desil", _("Rumah tangga yang tidak terdaftar DTSEN tidak memiliki desil."))
    programmes = [p for p in PROGRAMMES if p in (data.get("programmes") or [])]
    others = [p.strip()[:40] for p in _text(data, "programmes_other", 200).split(",") if p.strip()]
    household_values = {
        "kk_number": kk or None,
        "village_code": village,
        "rt": rt.zfill(3) if rt else None,
        "rw": rw.zfill(3) if rw else None,
        "street": _text(data, "street") or None,
        "in_dtsen": in_dtsen,
        "desil": desil,
        "programmes": programmes + [o for o in others if o not in programmes],
    }

    new_members = []
    for i, row in enumerate(data.get("members") or []):
        if not any(_text(row, k) for k in ("name", "birth_date", "birth_year")):
            continue
        new_members.append((i, _person_values(row, f"members-{i}-", errors, today)))
    if len(new_members) > MAX_MEMBERS:
        _add(
            errors,
            f"members-{new_members[MAX_MEMBERS][0]}-name",
            _(
                "Paling banyak %(n)d anggota baru per kunjungan. Catat anggota lainnya di halaman keluarga "
                "setelah kunjungan ini tersimpan.",
                n=MAX_MEMBERS,
            ),
        )

    consent_by = _enum(m.ConsentBy, data, "consent_by", errors, "consent_by") or m.ConsentBy.SELF
    bounds = age_bounds(person_values["birth_date"], person_values["birth_precision"], today)
    if consent_by is m.ConsentBy.SELF and bounds is not None and bounds[1] < ADULT_AGE:
        _add(errors, "consent_by", _("Warga di bawah 18 tahun: persetujuan diberikan orang tua atau wali."))
    if not may_be_aged(bounds, 0, ADULT_AGE - 1):
        # A known adult consents for themself: the guardian fields are hidden for them.
        consent_by = m.ConsentBy.SELF
    guardian_name = _text(data, "guardian_name", 160)
    if consent_by is m.ConsentBy.GUARDIAN and not guardian_name:
        _add(errors, "guardian_name", _("Tuliskan nama orang tua/wali yang memberi persetujuan."))

    # Each need's person must be someone in this household.
    member_keys = {"self"} | {f"p{p.id}" for p in members} | {f"m{i}" for i, _v in new_members}
    for i, (_c, _d, who) in enumerate(needs):
        if who not in member_keys:
            _add(errors, f"needs-{i}-person", _("Pilih anggota keluarga yang tercatat."))

    # The same person already has an open case for the same need: say so, unless a reason is given.
    duplicate_reason = _text(data, "duplicate_reason")
    if existing is not None:
        codes = {c.code for c, _d, who in needs}
        clashes = [
            (case, need)
            for case in open_cases_of(existing, user)
            for need in case.needs
            if need.category_code in codes
        ]
        if clashes and not duplicate_reason:
            for case, need in clashes:
                _add(
                    errors,
                    "duplicate_reason",
                    _(
                        "Warga ini sudah punya kasus terbuka %(code)s untuk %(need)s.",
                        code=tracking.display(case.tracking_code),
                        need=need.category.display_name,
                    ),
                )
            _add(errors, "duplicate_reason", _("Lanjutkan hanya bila perlu, dengan menuliskan alasannya."))

    facts = [
        PersonFacts(
            person_values["name"],
            person_values["birth_date"],
            person_values["disability"],
            person_values["pregnant"],
            person_values["birth_precision"],
        )
    ]
    facts += [p for p in members if existing is None or p.id != existing.id]
    facts += [
        PersonFacts(v["name"], v["birth_date"], v["disability"], v["pregnant"], v["birth_precision"])
        for _i, v in new_members
    ]
    visit = _visit_checks(data, case_type, facts, [c for c, _d, _w in needs], today, errors)
    checked_uploads = _check_uploads(uploads, errors)
    if errors:
        raise ValidationFailed(errors)

    # Everything is valid: write persons and household (with the change trail), then the case.
    if household is None:
        household = m.Household(village_code=village, programmes=[])
        db.session.add(household)
    moved = "village_code" in apply_changes(household, household_values, user)
    if moved:
        # Scope follows the household: every member now belongs to the new village's desk.
        for member in members:
            apply_changes(member, {"village_code": village}, user)
    if (
        existing is not None
        and existing.birth_precision is None
        and person_values["birth_precision"] is (m.BirthPrecision.DAY)
    ):
        # Stored before 0013 without a precision: an exact date still, no change to record.
        person_values["birth_precision"] = None
    person = existing or m.Person(household=household, village_code=village, disability=m.Disability.NONE)
    if existing is None:
        db.session.add(person)
    apply_changes(person, {**person_values, "village_code": village}, user)
    if person.household is None:
        person.household = household
    people = {"self": person} | {f"p{p.id}": p for p in members}
    for i, values in new_members:
        member = m.Person(household=household, village_code=village, **values)
        db.session.add(member)
        people[f"m{i}"] = member
    db.session.flush()
    case = _open_case(
        data,
        user,
        village,
        case_type,
        channel,
        visit,
        needs,
        person,
        household,
        people,
        duplicate_reason=duplicate_reason or None,
        consent_by=consent_by,
    )
    # The proof of consent (UU PDP), under the purpose text shown on the form.
    record_consent(
        person,
        case,
        consent_by,
        method_for(channel),
        user,
        guardian_name=guardian_name if consent_by is m.ConsentBy.GUARDIAN else None,
        guardian_relationship=_text(data, "guardian_relationship", 60)
        if consent_by is m.ConsentBy.GUARDIAN
        else None,
    )
    files = _store_uploads(case, checked_uploads, user)
    return IntakeResult(case, files)


@dataclass
class PersonFacts:
    """What the fast-track rules need to know of someone not yet saved."""

    name: str
    birth_date: date | None
    disability: m.Disability
    pregnant: bool
    birth_precision: m.BirthPrecision | None = None


@dataclass
class Visit:
    urgent: bool
    urgency_reason: str | None
    answer: str | None


def _visit_checks(
    data: dict,
    case_type: m.CaseType | None,
    people: list,
    categories: list[NeedCategory],
    today: date,
    errors: Errors,
) -> Visit:
    """Urgency (computed, overridable with a reason) and the desk answer to a question."""
    reasons = fast_track_reasons(people, categories, today)
    override = _text(data, "urgency", 10) or "auto"
    override_reason = _text(data, "urgency_reason")
    urgent = bool(reasons)
    if override in ("yes", "no"):
        wanted = override == "yes"
        if wanted != urgent and not override_reason:
            _add(errors, "urgency_reason", _("Tuliskan alasan bila prioritas diubah dari hasil hitungan."))
        urgent = wanted
    reason = override_reason or "; ".join(reasons)
    answer = _text(data, "answer", 4000)
    if answer and case_type is not m.CaseType.QUESTION:
        _add(errors, "answer", _("Jawaban langsung hanya untuk pertanyaan."))
    return Visit(urgent, reason[:255] if (urgent or override_reason) and reason else None, answer or None)


def _open_case(
    data: dict,
    user: User,
    village: str,
    case_type: m.CaseType,
    channel: m.Channel,
    visit: Visit,
    needs: list[tuple[NeedCategory, str, str]],
    person: m.Person | None,
    household: m.Household | None,
    people: dict[str, m.Person],
    duplicate_reason: str | None = None,
    consent_by: m.ConsentBy | None = None,
) -> m.Case:
    now = utcnow()
    case = m.Case(
        tracking_code=tracking.generate(),
        channel=channel,
        type=case_type,
        office=_office_for(user, village),
        village_code=village,
        reporter=person,
        household=household,
        urgent=visit.urgent,
        urgency_reason=visit.urgency_reason,
        consent_given=person is not None,
        consent_by=consent_by if person is not None else None,
        consent_at=now if person is not None else None,
        anonymous=person is None,
        idempotency_key=_text(data, "idempotency_key", 64) or None,
        duplicate_reason=duplicate_reason,
        created_by_id=user.id,
    )
    db.session.add(case)
    for category, description, who in needs:
        db.session.add(
            m.Need(
                case=case,
                category_code=category.code,
                description=description or None,
                person=people.get(who),
            )
        )
    if visit.answer:
        # A question answered at the desk is finished: no referral follows.
        case.answer = visit.answer
        case.status = m.CaseStatus.CLOSED
        case.closed_at = now
    db.session.flush()
    audit(
        "case.create",
        case,
        actor=user,
        detail={
            "type": case_type.value,
            "urgent": visit.urgent,
            "anonymous": person is None,
            "duplicate_reason": duplicate_reason,
            "closed_at_desk": bool(visit.answer),
        },
    )
    return case


def _store_uploads(case: m.Case, uploads: list[tuple[Upload, str, str]], user: User) -> list[Path]:
    limit = current_app.config["MAX_ATTACHMENTS_PER_CASE"]
    if len(case.attachments) + len(uploads) > limit:
        # Found by the second security review: 30 attachments were accepted on one case.
        first_over = uploads[max(limit - len(case.attachments), 0)][0]
        raise ValidationFailed(
            {
                f"file_{first_over.kind.value}": [
                    _(
                        "Paling banyak %(limit)d lampiran per kasus. Tidak ada yang tersimpan; "
                        "kurangi lampiran lalu kirim lagi.",
                        limit=limit,
                    )
                ]
            }
        )
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for upload, mime, ext in uploads:
        stored = f"{secrets.token_hex(16)}.{ext}"
        path = folder / stored
        try:
            path.write_bytes(upload.content)
        except OSError as exc:
            # A full disk (found by tests/test_faults.py: a bare 500, and the files written
            # before it stayed on disk with no case): remove what this visit wrote, keep nothing.
            for done in [*written, path]:
                done.unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise ValidationFailed(
                    {
                        None: [
                            _(
                                "Lampiran tidak dapat disimpan karena penyimpanan server penuh. Tidak ada "
                                "yang tersimpan; hubungi administrator, lalu kirim lagi."
                            )
                        ]
                    }
                ) from exc
            raise
        written.append(path)
        db.session.add(
            m.Attachment(
                case=case,
                kind=upload.kind,
                original_name=Path(upload.filename or "berkas").name[:255],
                stored_name=stored,
                content_type=mime,
                size=len(upload.content),
                uploaded_by_id=user.id,
            )
        )
    db.session.flush()
    return written


def attachment_path(attachment: m.Attachment) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / attachment.stored_name
