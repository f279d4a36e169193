"""Persons and households with their change trail: applying posted values field by field, each
change logged (protected numbers never in clear), and the NIK clash message.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from slrt.accounts.models import User
from slrt.core.access import visible
from slrt.core.audit import audit
from slrt.core.crypto import mask
from slrt.core.web import local_date
from slrt.extensions import db
from slrt.intake import models as m


def change_text(value: Any) -> str | None:
    """A field's value as the change trail records it (lists joined, yes/no, ISO dates, enum
    values); the DTSEN import writes its trail with the same words."""
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, date):
        return value.isoformat()
    return str(value.value if hasattr(value, "value") else value)


def birth_text(person: m.Person) -> str:
    """A birth date as the desk knows it: "17 Agu 1949", "1952" or "sekitar 1950". A year-only
    date is stored as 1 July (slrt.core.ages), which must never be shown as if it were known."""
    born = person.birth_date
    if born is None:
        return "–"
    if person.birth_precision is m.BirthPrecision.YEAR:
        return str(born.year)
    if person.birth_precision is m.BirthPrecision.ABOUT:
        return _("sekitar %(year)d", year=born.year)
    return local_date(born)


# Identity numbers never enter the change log in full: it records that they changed, masked.
PROTECTED_FIELDS = ("nik", "kk_number")


def _logged(key: str, value: Any) -> str | None:
    text = change_text(value)
    return mask(text) if key in PROTECTED_FIELDS and text else text


def nik_clash_message(clash_id: int, user: User) -> str:
    """NIK is unique, so "already registered" tells that the number exists. Inside the officer's
    scope that is their own record: point to it. Outside, say only that it is registered
    elsewhere (the officer typed the number, so that much is known to them anyway), never
    where or whose; the SLRT of the regency can find and merge it."""
    if db.session.scalar(visible(m.Person, user).where(m.Person.id == clash_id)) is not None:
        return _(
            "NIK ini sudah tercatat di wilayah Anda. Cari warga itu dulu, lalu pilih dari hasil pencarian."
        )
    return _(
        "NIK ini sudah tercatat di luar wilayah Anda. Hubungi SLRT kabupaten/kota; "
        "data warga itu tidak dapat ditampilkan di sini."
    )


def apply_changes(obj: m.Person | m.Household, values: dict[str, Any], actor: User | None) -> list[str]:
    """Sets fields on a person or household; for a record that already exists, writes one
    RecordChange per field that really changed. This is the only writer of persons and
    households (`Person.name_search` follows the name by itself, see the model)."""
    object_type = "person" if isinstance(obj, m.Person) else "household"
    changed = []
    for key, new in values.items():
        old = getattr(obj, key)
        if old == new or (key == "programmes" and sorted(old or []) == sorted(new or [])):
            continue
        setattr(obj, key, new)
        if obj.id is not None:
            changed.append(key)
            db.session.add(
                m.RecordChange(
                    object_type=object_type,
                    object_id=obj.id,
                    field=key,
                    old_value=_logged(key, old),
                    new_value=_logged(key, new),
                    changed_by_id=getattr(actor, "id", None),
                )
            )
    if changed:
        # The audit trail names the fields only: old and new values stay in record_changes,
        # which the record's own access rules protect.
        audit(f"{object_type}.update", obj, actor=actor, detail={"fields": changed})
    return changed


def changes_for(object_type: str, object_id: int) -> list[m.RecordChange]:
    return list(
        db.session.scalars(
            sa.select(m.RecordChange)
            .where(m.RecordChange.object_type == object_type, m.RecordChange.object_id == object_id)
            .order_by(m.RecordChange.changed_at.desc(), m.RecordChange.id.desc())
        )
    )
