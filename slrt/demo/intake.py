"""Demo intake: searchable names, today's visitors (two on the fast track) registered through the
real intake service, and a short change history. Idempotent: keyed visits are made once."""

from __future__ import annotations

import sqlalchemy as sa

from slrt.accounts.models import User
from slrt.core.workdays import local_today
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake import records, registration

VILLAGE = "32.04.05.2001"
VISITS = [
    {
        "idempotency_key": "demo-intake-1",
        "name": "Enok Sumarni",
        "birth_date": "1949-08-17",
        "sex": "P",
        "relationship": "head",
        "nik_missing_reason": "lost",
        "rt": "2",
        "rw": "5",
        "street": "Kp. Babakan No. 12",
        "needs": [{"category": "lansia", "description": "Tinggal sendiri, sulit berjalan ke pasar."}],
    },
    {
        "idempotency_key": "demo-intake-2",
        "name": "Rina Kartika",
        "birth_date": "1993-02-11",
        "sex": "P",
        "relationship": "spouse",
        "nik": "3204055102930007",
        "phone": "0813-2222-4455",
        "rt": "4",
        "rw": "1",
        "street": "Gg. Mawar No. 3",
        "needs": [{"category": "kekerasan", "description": "Melapor kekerasan dalam rumah tangga."}],
    },
    {
        "idempotency_key": "demo-intake-3",
        "name": "Ujang Permana",
        "birth_date": "1978-11-30",
        "sex": "L",
        "relationship": "head",
        "nik_missing_reason": "not_recorded",
        "rt": "1",
        "rw": "3",
        "street": "Jl. Cileunyi Raya No. 40",
        "in_dtsen": "yes",
        "desil": "3",
        "programmes": ["BPNT"],
        "needs": [
            {"category": "pendidikan", "description": "Anak kelas 8 butuh seragam dan buku."},
            {"category": "kesehatan.jaminan", "description": "Belum punya BPJS."},
        ],
    },
]


def seed(ctx: dict) -> None:
    desk = db.session.scalar(sa.select(User).where(User.username == "desk"))
    if desk is None:
        return
    today = local_today()
    for visit in VISITS:
        if db.session.scalar(sa.select(m.Case.id).where(m.Case.idempotency_key == visit["idempotency_key"])):
            continue
        data = {
            "consent": True,
            "consent_by": "self",
            "village_code": VILLAGE,
            "disability": "none",
            "channel": "walk_in",
            "case_type": "need",
            "urgency": "auto",
            **visit,
        }
        registration.create_case(data, [], desk, today)
    _history(desk)
    db.session.flush()


def _history(desk: User) -> None:
    """A phone number and an address corrected at a later visit, so the history is not empty."""
    if db.session.scalar(sa.select(sa.func.count(m.RecordChange.id))):
        return
    person = db.session.scalar(
        sa.select(m.Person)
        .join(m.Case, m.Case.reporter_id == m.Person.id)
        .where(m.Case.idempotency_key == "demo-intake-3")
    )
    if person is None:
        return
    records.apply_changes(person, {"phone": "+6285711223344"}, desk)
    records.apply_changes(person.household, {"rt": "002", "programmes": ["BPNT", "PBI-JK"]}, desk)
