"""What the new-case form posted, read and checked, one part of the visit at a time.

Each reader takes the posted data (a dict, as `intake.views` builds it from the form) and an
`Errors` dict, adds every problem it finds at its field id (`name`, `needs-1-category`, ...) and
returns what it read; `registration.create_case` raises once with all of them, so the page shows
every problem at once and nothing is written. None of these writes to the database.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from lokal import normalize_phone

from slrt.accounts.models import User
from slrt.core import tracking
from slrt.core.access import visible
from slrt.core.ages import age_bounds, may_be_aged, year_only_date
from slrt.core.crypto import mask, nik_digest
from slrt.core.nik import NikMissingReason, check_nik
from slrt.directory.models import NeedCategory
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake.records import nik_clash_message
from slrt.intake.search import DIGITS16, open_cases_of

PROGRAMMES = ("PKH", "BPNT", "PBI-JK", "PIP")


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


Errors = dict[str | None, list[str]]

# A need as posted: its category, the officer's description, and who it is about ("self", an
# existing member "p<id>", or a new member "m<i>").
PostedNeed = tuple[NeedCategory, str, str]


def add_problem(errors: Errors, key: str | None, message: str) -> None:
    errors.setdefault(key, []).append(message)


def posted_text(data: dict, key: str, limit: int = 255) -> str:
    return (str(data.get(key) or "")).strip()[:limit]


def _date(data: dict, key: str, errors: Errors, err_key: str, today: date) -> date | None:
    """An exact birth date, or None. An invalid one is None too, with one message at the field,
    so no check derived from it (age, consent, fast track) adds a second message."""
    raw = posted_text(data, key, 20)
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        add_problem(errors, err_key, _("Tanggal tidak valid; gunakan format TTTT-BB-HH."))
        return None
    if value > today:
        add_problem(errors, err_key, _("Tanggal lahir tidak boleh di masa depan."))
        return None
    if value.year < 1900:
        add_problem(errors, err_key, _("Tanggal lahir terlalu lampau."))
        return None
    return value


def birth(
    data: dict, prefix: str, errors: Errors, today: date
) -> tuple[date | None, m.BirthPrecision | None]:
    """The birth date and how much of it is known: an exact date, a year only, or about a year.
    A year is stored as 1 July of that year (see slrt.core.ages.year_only_date)."""
    precision = posted_enum(m.BirthPrecision, data, "birth_precision", errors, prefix + "birth_precision")
    year_text = posted_text(data, "birth_year", 10)
    if precision in (None, m.BirthPrecision.DAY) and not posted_text(data, "birth_date") and year_text:
        # Without the script both fields show: a year typed alone means "year only".
        precision = m.BirthPrecision.YEAR
    if precision not in (m.BirthPrecision.YEAR, m.BirthPrecision.ABOUT):
        born = _date(data, "birth_date", errors, prefix + "birth_date", today)
        return born, m.BirthPrecision.DAY if born else None
    key = prefix + "birth_year"
    if not year_text:
        add_problem(errors, key, _("Isi tahun lahir, atau pilih tanggal lengkap bila tanggalnya diketahui."))
        return None, None
    if not (len(year_text) == 4 and year_text.isdecimal()):
        add_problem(errors, key, _("Tulis tahun lahir dengan 4 angka, misalnya 1952."))
        return None, None
    year = int(year_text)
    if year > today.year:
        add_problem(errors, key, _("Tahun lahir tidak boleh di masa depan."))
        return None, None
    if year < 1900:
        add_problem(errors, key, _("Tahun lahir terlalu lampau."))
        return None, None
    return year_only_date(year, today), precision


def posted_enum(cls: type, data: dict, key: str, errors: Errors, err_key: str, required: bool = False) -> Any:
    raw = posted_text(data, key, 40)
    if not raw:
        if required:
            add_problem(errors, err_key, _("Wajib dipilih."))
        return None
    try:
        return cls(raw)
    except ValueError:
        add_problem(errors, err_key, _("Pilihan tidak dikenal."))
        return None


def person_values(data: dict, prefix: str, errors: Errors, today: date) -> dict[str, Any]:
    """Fields shared by the visitor and the other household members."""
    key = prefix.__add__
    values: dict[str, Any] = {}
    name = posted_text(data, "name", 160)
    if not name:
        add_problem(errors, key("name"), _("Nama wajib diisi."))
    values["name"] = name
    values["birth_date"], values["birth_precision"] = birth(data, prefix, errors, today)
    values["sex"] = posted_enum(m.Sex, data, "sex", errors, key("sex"), required=True)
    values["relationship_to_head"] = posted_enum(
        m.Relationship, data, "relationship", errors, key("relationship"), required=True
    )
    values["disability"] = posted_enum(m.Disability, data, "disability", errors, key("disability")) or (
        m.Disability.NONE
    )
    # A field that cannot apply to this person (pregnancy for a man or a woman of 74, schooling
    # for an adult of 40) is hidden on the page; whatever it still carries is ignored here, never
    # an error the officer cannot see.
    bounds = age_bounds(values["birth_date"], values["birth_precision"], today)
    values["pregnant"] = (
        bool(data.get("pregnant")) and values["sex"] is m.Sex.FEMALE and may_be_aged(bounds, *PREGNANCY_AGES)
    )
    schooling = posted_enum(m.Schooling, data, "schooling", errors, key("schooling"))
    values["schooling"] = schooling if may_be_aged(bounds, *SCHOOLING_AGES) else None
    return values


def existing_person(data: dict, user: User, errors: Errors) -> m.Person | None:
    """The registered person the officer picked at the find step, within the officer's scope."""
    person_id = str(data.get("person_id") or "")
    if not person_id:
        return None
    existing = (
        db.session.scalar(visible(m.Person, user).where(m.Person.id == int(person_id)))
        if person_id.isdecimal()
        else None
    )
    if existing is None:
        add_problem(errors, None, _("Warga yang dipilih tidak ditemukan di wilayah Anda."))
    return existing


def posted_needs(data: dict, case_type: m.CaseType | None, errors: Errors) -> list[PostedNeed]:
    """The needs, and who each is about ("self", an existing member "p<id>", or new member "m<i>")."""
    categories = {c.code: c for c in db.session.scalars(sa.select(NeedCategory).where(NeedCategory.active))}
    needs: list[PostedNeed] = []
    for i, row in enumerate(data.get("needs") or []):
        code = posted_text(row, "category", 40)
        description = posted_text(row, "description", 2000)
        if not code:
            if description:
                add_problem(errors, f"needs-{i}-category", _("Pilih jenis kebutuhan untuk keterangan ini."))
            continue
        if code not in categories:
            add_problem(errors, f"needs-{i}-category", _("Jenis kebutuhan tidak dikenal."))
            continue
        needs.append((categories[code], description, posted_text(row, "person", 20) or "self"))
    if len(needs) > MAX_NEEDS:
        add_problem(
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
        add_problem(errors, "needs-0-category", _("Catat minimal satu kebutuhan atau keluhan."))
    return needs


def visitor_values(
    data: dict, existing: m.Person | None, user: User, today: date, errors: Errors
) -> dict[str, Any]:
    """The visitor's own facts, with the NIK (or why there is none) and the phone number."""
    values = person_values(data, "", errors, today)
    nik_text = posted_text(data, "nik", 40)
    if existing is not None and existing.nik and nik_text == mask(existing.nik):
        # The form shows a known person's NIK masked; posted back unchanged, it means "keep it".
        nik_text = existing.nik
    missing = posted_enum(NikMissingReason, data, "nik_missing_reason", errors, "nik_missing_reason")
    nik = None
    if nik_text:
        result = check_nik(nik_text, today)
        if result.errors:
            for message in result.errors:
                add_problem(errors, "nik", message)
        else:
            nik = result.nik
            clash = db.session.scalar(sa.select(m.Person.id).where(m.Person.nik_hash == nik_digest(nik)))
            if clash is not None and (existing is None or clash != existing.id):
                add_problem(errors, "nik", nik_clash_message(clash, user))
        missing = None
    elif missing is None:
        add_problem(errors, "nik_missing_reason", _("Tanpa NIK, pilih alasannya."))
    values["nik"] = nik
    values["nik_missing_reason"] = missing
    phone_text = posted_text(data, "phone", 40)
    phone = None
    if phone_text:
        phone = normalize_phone(phone_text)
        if phone is None:
            add_problem(errors, "phone", _("Nomor telepon tidak dikenali; contoh 0812-3456-7890."))
    values["phone"] = phone
    return values


def household_values(
    data: dict, household: m.Household | None, allowed: bool, errors: Errors
) -> dict[str, Any]:
    """The household's No. KK, address and register facts. `allowed`: the posted village is in
    the officer's scope (checked by the caller, who knows the officer)."""
    kk = re.sub(r"[\s.\-]", "", posted_text(data, "kk_number", 40))
    if household is not None and household.kk_number and kk == mask(household.kk_number):
        kk = household.kk_number
    if kk and not DIGITS16.match(kk):
        add_problem(errors, "kk_number", _("No. KK harus 16 digit angka."))
    village = posted_text(data, "village_code", 13)
    if not village:
        add_problem(errors, "village_code", _("Pilih desa/kelurahan."))
    elif not allowed:
        add_problem(errors, "village_code", _("Desa/kelurahan ini di luar wilayah tugas Anda."))
    rt, rw = posted_text(data, "rt", 3), posted_text(data, "rw", 3)
    for key, value in (("rt", rt), ("rw", rw)):
        if value and not RT_RW.match(value):
            add_problem(errors, key, _("Isi dengan angka, paling banyak 3 digit."))
    in_dtsen = {"yes": True, "no": False}.get(posted_text(data, "in_dtsen", 10))
    desil = posted_desil(data, in_dtsen, errors)
    programmes = [p for p in PROGRAMMES if p in (data.get("programmes") or [])]
    others = [p.strip()[:40] for p in posted_text(data, "programmes_other", 200).split(",") if p.strip()]
    return {
        "kk_number": kk or None,
        "village_code": village,
        "rt": rt.zfill(3) if rt else None,
        "rw": rw.zfill(3) if rw else None,
        "street": posted_text(data, "street") or None,
        "in_dtsen": in_dtsen,
        "desil": desil,
        "programmes": programmes + [o for o in others if o not in programmes],
    }


def posted_desil(data: dict, in_dtsen: bool | None, errors: Errors) -> int | None:
    """The desil (1-10), or None when left empty; a family outside DTSEN has none."""
    text = posted_text(data, "desil", 3)
    desil = int(text) if text.isdecimal() and 1 <= int(text) <= 10 else None
    if text and desil is None:
        add_problem(errors, "desil", _("Desil 1 sampai 10, atau kosong bila belum diketahui."))
    if desil is not None and in_dtsen is False:
        add_problem(errors, "desil", _("Keluarga yang tidak terdaftar di DTSEN tidak memiliki desil."))
    return desil


def new_members(data: dict, today: date, errors: Errors) -> list[tuple[int, dict[str, Any]]]:
    """The household members added on this visit, with their row number on the form."""
    members = []
    for i, row in enumerate(data.get("members") or []):
        if not any(posted_text(row, k) for k in ("name", "birth_date", "birth_year")):
            continue
        members.append((i, person_values(row, f"members-{i}-", errors, today)))
    if len(members) > MAX_MEMBERS:
        add_problem(
            errors,
            f"members-{members[MAX_MEMBERS][0]}-name",
            _(
                "Paling banyak %(n)d anggota baru per kunjungan. Catat anggota lainnya di halaman keluarga "
                "setelah kunjungan ini tersimpan.",
                n=MAX_MEMBERS,
            ),
        )
    return members


def consent_given_by(
    data: dict, visitor: dict[str, Any], today: date, errors: Errors
) -> tuple[m.ConsentBy, str]:
    """Who consents (the visitor, or a parent or guardian for a minor) and the guardian's name."""
    consent_by = posted_enum(m.ConsentBy, data, "consent_by", errors, "consent_by") or m.ConsentBy.SELF
    bounds = age_bounds(visitor["birth_date"], visitor["birth_precision"], today)
    if consent_by is m.ConsentBy.SELF and bounds is not None and bounds[1] < ADULT_AGE:
        add_problem(
            errors, "consent_by", _("Warga di bawah 18 tahun: persetujuan diberikan orang tua atau wali.")
        )
    if not may_be_aged(bounds, 0, ADULT_AGE - 1):
        # A known adult consents for themself: the guardian fields are hidden for them.
        consent_by = m.ConsentBy.SELF
    guardian_name = posted_text(data, "guardian_name", 160)
    if consent_by is m.ConsentBy.GUARDIAN and not guardian_name:
        add_problem(errors, "guardian_name", _("Tuliskan nama orang tua/wali yang memberi persetujuan."))
    return consent_by, guardian_name


def check_need_people(
    needs: list[PostedNeed], members: list[m.Person], added: list[tuple[int, dict]], errors: Errors
) -> None:
    """Each need's person must be someone in this household."""
    member_keys = {"self"} | {f"p{p.id}" for p in members} | {f"m{i}" for i, _v in added}
    for i, (_c, _d, who) in enumerate(needs):
        if who not in member_keys:
            add_problem(errors, f"needs-{i}-person", _("Pilih anggota keluarga yang tercatat."))


def duplicate_reason(
    data: dict, existing: m.Person | None, needs: list[PostedNeed], user: User, errors: Errors
) -> str:
    """The same person already has an open case for the same need: say so, unless a reason is given."""
    reason = posted_text(data, "duplicate_reason")
    if existing is None:
        return reason
    codes = {c.code for c, _d, who in needs}
    clashes = [
        (case, need)
        for case in open_cases_of(existing, user)
        for need in case.needs
        if need.category_code in codes
    ]
    if clashes and not reason:
        for case, need in clashes:
            add_problem(
                errors,
                "duplicate_reason",
                _(
                    "Warga ini sudah punya kasus terbuka %(code)s untuk %(need)s.",
                    code=tracking.display(case.tracking_code),
                    need=need.category.display_name,
                ),
            )
        add_problem(errors, "duplicate_reason", _("Lanjutkan hanya bila perlu, dengan menuliskan alasannya."))
    return reason
