"""Recording and correcting the facts the routing engine reads: a person's own data, a
household's address and No. KK (its history kept), its members (added, removed, moved), and
each look-up of the family in DTSEN.

Every function checks the whole input, raises `ValidationFailed` with every problem (changing
nothing), and otherwise writes through `records.apply_changes`, so each changed field leaves
its RecordChange row and one audit event names the fields. Services only flush: the request
commits (slrt.core.transaction).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.core.access import visible
from slrt.core.audit import audit
from slrt.core.crypto import nik_digest
from slrt.core.nik import NikMissingReason, check_nik
from slrt.core.workdays import local_today
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake.records import apply_changes, nik_clash_message
from slrt.intake.search import DIGITS16
from slrt.intake.visit_form import (
    PROGRAMMES,
    RT_RW,
    Errors,
    add_problem,
    birth,
    posted_desil,
    posted_enum,
    posted_text,
)

SEPARATORS = re.compile(r"[\s.\-]")
YES_NO = {"yes": True, "no": False}


def _enum(cls: type, data: dict[str, Any], key: str, errors: Errors) -> Any:
    return posted_enum(cls, data, key, errors, key)


def person_values(
    data: dict[str, Any], person: m.Person | None, actor: User, errors: Errors, today: date
) -> dict[str, Any]:
    """The checked values of a person form; problems go into `errors` under the field names."""
    values: dict[str, Any] = {}
    name = posted_text(data, "name", 160)
    if not name:
        add_problem(errors, "name", _("Nama wajib diisi."))
    values["name"] = name
    nik_text = SEPARATORS.sub("", posted_text(data, "nik", 40))
    missing = _enum(NikMissingReason, data, "nik_missing_reason", errors)
    if nik_text:
        result = check_nik(nik_text, today)
        if not result.valid:
            for message in result.errors:
                add_problem(errors, "nik", message)
        else:
            clash = db.session.scalar(
                sa.select(m.Person.id).where(m.Person.nik_hash == nik_digest(result.nik))
            )
            if clash is not None and (person is None or clash != person.id):
                add_problem(errors, "nik", nik_clash_message(clash, actor))
            values["nik"], values["nik_missing_reason"] = result.nik, None
    elif person is not None and person.nik:
        pass  # left empty: the NIK on record stays (it is never shown in the form)
    elif missing is None:
        add_problem(errors, "nik_missing_reason", _("Tanpa NIK, pilih alasannya."))
    else:
        values["nik"], values["nik_missing_reason"] = None, missing
    values["birth_date"], values["birth_precision"] = birth(data, "", errors, today)
    values["sex"] = _enum(m.Sex, data, "sex", errors)
    values["relationship_to_head"] = _enum(m.Relationship, data, "relationship_to_head", errors)
    values["disability"] = _enum(m.Disability, data, "disability", errors) or m.Disability.NONE
    values["schooling"] = _enum(m.Schooling, data, "schooling", errors)
    pregnant = YES_NO.get(posted_text(data, "pregnant", 3))
    if pregnant and values["sex"] is m.Sex.MALE:
        add_problem(errors, "pregnant", _("Hanya perempuan yang dapat dicatat hamil."))
    values["pregnant"] = False if values["sex"] is m.Sex.MALE and pregnant is None else pregnant
    return values


def correct_person(person: m.Person, data: dict[str, Any], actor: User) -> list[str]:
    """Saves the person form; returns the names of the fields that changed."""
    errors: Errors = {}
    values = person_values(data, person, actor, errors, local_today())
    if errors:
        raise ValidationFailed(errors)
    changed = apply_changes(person, values, actor)
    db.session.flush()
    return changed


def correct_household(household: m.Household, data: dict[str, Any], actor: User) -> list[str]:
    """Saves the household form (No. KK, address, the house). A replaced No. KK is kept in
    KkChange, encrypted and hashed; the change trail records it masked."""
    errors: Errors = {}
    values: dict[str, Any] = {}
    kk = SEPARATORS.sub("", posted_text(data, "kk_number", 40))
    if kk and not DIGITS16.match(kk):
        add_problem(errors, "kk_number", _("No. KK harus 16 digit angka."))
    elif kk:
        values["kk_number"] = kk
    for key in ("rt", "rw"):
        value = posted_text(data, key, 3)
        if value and not RT_RW.match(value):
            add_problem(errors, key, _("Isi dengan angka, paling banyak 3 digit."))
        values[key] = value.zfill(3) if value else None
    values["street"] = posted_text(data, "street") or None
    values["house_uninhabitable"] = YES_NO.get(posted_text(data, "house_uninhabitable", 3))
    if errors:
        raise ValidationFailed(errors)
    if "kk_number" in values and household.kk_number and values["kk_number"] != household.kk_number:
        db.session.add(
            m.KkChange(household_id=household.id, old_kk=household.kk_number, changed_by_id=actor.id)
        )
    changed = apply_changes(household, values, actor)
    db.session.flush()
    return changed


def record_dtsen_check(household: m.Household, data: dict[str, Any], actor: User) -> m.DtsenCheck:
    """Keeps one look-up of the family in DTSEN as a row; the household takes its facts when it
    is the latest (a check dated earlier than the one on record is kept, not applied)."""
    errors: Errors = {}
    today = local_today()
    in_dtsen = YES_NO.get(posted_text(data, "in_dtsen", 3))
    if in_dtsen is None:
        add_problem(errors, "in_dtsen", _("Pilih apakah keluarga terdaftar di DTSEN."))
    desil = posted_desil(data, in_dtsen, errors)
    offered = dtsen_programme_choices(household)
    programmes = [p for p in offered if p in (data.get("programmes") or [])]
    checked_on = None
    raw = posted_text(data, "checked_on", 20)
    try:
        checked_on = date.fromisoformat(raw) if raw else None
    except ValueError:
        add_problem(errors, "checked_on", _("Tanggal tidak valid; gunakan format TTTT-BB-HH."))
    if checked_on is None and "checked_on" not in errors:
        add_problem(errors, "checked_on", _("Isi tanggal pengecekan."))
    elif checked_on is not None and checked_on > today:
        add_problem(errors, "checked_on", _("Tanggal pengecekan tidak boleh di masa depan."))
    elif checked_on is not None and checked_on.year < 2000:
        add_problem(errors, "checked_on", _("Tanggal pengecekan terlalu lampau."))
    source = _enum(m.DtsenSource, data, "source", errors)
    if source is None and "source" not in errors:
        add_problem(errors, "source", _("Pilih sumber pengecekan."))
    if errors or in_dtsen is None or checked_on is None or source is None:
        raise ValidationFailed(errors)
    check = m.DtsenCheck(
        household_id=household.id,
        in_dtsen=in_dtsen,
        desil=desil,
        programmes=programmes,
        checked_on=checked_on,
        source=source,
        checked_by_id=actor.id,
    )
    db.session.add(check)
    db.session.flush()
    audit("household.dtsen_check", household, actor=actor, detail={"check": check.id, "source": source.value})
    if household.dtsen_checked_on is None or checked_on >= household.dtsen_checked_on:
        apply_changes(household, {"in_dtsen": in_dtsen, "desil": desil, "programmes": programmes}, actor)
        household.dtsen_checked_on = checked_on
        household.dtsen_source = source
        household.dtsen_checked_by_id = actor.id
    db.session.flush()
    return check


def dtsen_programme_choices(household: m.Household) -> list[str]:
    """The seed's programme codes, then any other code the household already holds."""
    return list(PROGRAMMES) + [p for p in household.programmes or [] if p not in PROGRAMMES]


def add_member(household: m.Household, data: dict[str, Any], actor: User) -> m.Person:
    """A new person in the household, seen by the household's village."""
    errors: Errors = {}
    values = person_values(data, None, actor, errors, local_today())
    if errors:
        raise ValidationFailed(errors)
    person = m.Person(household=household, village_code=household.village_code)
    apply_changes(person, values, actor)
    db.session.add(person)
    db.session.flush()
    audit("household.member_add", household, actor=actor, detail={"person": person.id})
    return person


def remove_member(person: m.Person, actor: User) -> None:
    """Takes the person out of their household; the person stays on record (cases, referrals)."""
    household = person.household
    if household is None:
        raise ValidationFailed({None: [_("Warga ini tidak tercatat dalam keluarga mana pun.")]})
    apply_changes(person, {"household_id": None, "relationship_to_head": None}, actor)
    audit("household.member_remove", household, actor=actor, detail={"person": person.id})
    db.session.flush()


def move_member(person: m.Person, data: dict[str, Any], actor: User) -> m.Household:
    """Moves the person to the household with the No. KK typed (within the officer's scope), or
    to a new household of the same village when `new_household` is set."""
    errors: Errors = {}
    old = person.household
    kk = SEPARATORS.sub("", posted_text(data, "kk_number", 40))
    target: m.Household | None = None
    if data.get("new_household"):
        if kk:
            add_problem(
                errors, "kk_number", _("Pilih salah satu: No. KK keluarga tujuan, atau keluarga baru.")
            )
    elif not kk:
        add_problem(errors, "kk_number", _("Isi No. KK keluarga tujuan, atau pilih keluarga baru."))
    elif not DIGITS16.match(kk):
        add_problem(errors, "kk_number", _("No. KK harus 16 digit angka."))
    else:
        target = db.session.scalar(visible(m.Household, actor).where(m.Household.kk_hash == nik_digest(kk)))
        if target is None:
            add_problem(errors, "kk_number", _("Tidak ada keluarga dengan No. KK ini di wilayah Anda."))
        elif old is not None and target.id == old.id:
            add_problem(errors, "kk_number", _("Warga ini sudah anggota keluarga tersebut."))
    relationship = _enum(m.Relationship, data, "relationship_to_head", errors)
    if errors:
        raise ValidationFailed(errors)
    if target is None:
        target = m.Household(village_code=person.village_code, kk_number=kk or None, programmes=[])
        db.session.add(target)
        db.session.flush()
        audit("household.create", target, actor=actor, detail={"from_person": person.id})
    apply_changes(person, {"household_id": target.id, "relationship_to_head": relationship}, actor)
    db.session.flush()
    db.session.expire(person, ["household"])
    audit(
        "household.member_move",
        target,
        actor=actor,
        detail={"person": person.id, "from": old.id if old is not None else None},
    )
    return target


def kk_history(household: m.Household) -> list[m.KkChange]:
    """The No. KK the household had before, newest first."""
    return list(
        db.session.scalars(
            sa.select(m.KkChange)
            .where(m.KkChange.household_id == household.id)
            .order_by(m.KkChange.changed_at.desc(), m.KkChange.id.desc())
        )
    )


def dtsen_checks(household: m.Household) -> list[m.DtsenCheck]:
    """Every recorded DTSEN check of the household, newest first."""
    return list(
        db.session.scalars(
            sa.select(m.DtsenCheck)
            .where(m.DtsenCheck.household_id == household.id)
            .order_by(m.DtsenCheck.checked_on.desc(), m.DtsenCheck.id.desc())
        )
    )
