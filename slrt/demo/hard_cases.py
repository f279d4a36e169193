"""Demo: the hard cases of issue 16, registered and followed up through the real services
(intake registration, draft referrals, the transition function, the change trail), with every
date relative to the office's today. Each is keyed by its idempotency key and made once.

- The widow: 74, no NIK, knows only her birth year, her grandson of 10 in school, four needs;
  an ADMINDUK referral for her accepted by Disdukcapil, the services needing a NIK waiting for it.
- A family without KK after moving: the ADMINDUK referral resolved, the new NIK and No. KK
  recorded, so the services that waited for them are ready to refer.
- A violence victim on the fast track: urgent, confidential, referred to UPTD PPA at once.

Runs after slrt.demo.referrals, whose scenario rotation over the demo cases it leaves alone.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from slrt.accounts.models import User
from slrt.core.workdays import local_today
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake import records, registration
from slrt.referrals.drafts import Selection, create_draft_referrals
from slrt.referrals.models import ReferralStatus as S
from slrt.referrals.transitions import transition
from slrt.routing.services import agency_suggester

KULON, WETAN = "32.04.05.2001", "32.04.05.2002"
AGENCY_USERS = {"DINSOS-3204": "dinsos", "DUKCAPIL-3204": "dukcapil"}


def _years_before(today: date, years: int, days: int = 0) -> date:
    born = today - timedelta(days=days)
    return born.replace(year=born.year - years, day=min(born.day, 28))


def _nik(born: date, female: bool, serial: int) -> str:
    """A well-formed NIK of Cileunyi (32.04.05) for the birth date (women: day + 40)."""
    return f"320405{born.day + (40 if female else 0):02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def _visits(today: date) -> list[dict[str, Any]]:
    # Long on purpose: the three hard cases' visits written out as the desk would fill the form, one
    # literal each.
    widow_year = today.year - 74
    father = _years_before(today, 41, 75)
    return [
        {
            "idempotency_key": "demo-hard-widow",
            "village_code": KULON,
            "desk": "desk",
            "name": "Mak Onah Rohaeni",
            "birth_precision": "year",
            "birth_year": str(widow_year),
            "sex": "P",
            "relationship": "head",
            "nik_missing_reason": "lost",
            "rt": "2",
            "rw": "6",
            "street": "Kp. Sukamaju No. 7",
            "members": [
                {
                    "name": "Raka Pratama",
                    "birth_date": _years_before(today, 10, 120).isoformat(),
                    "sex": "L",
                    "relationship": "grandchild",
                    "schooling": "in_school",
                    "disability": "none",
                }
            ],
            "needs": [
                {"category": "pangan", "description": "Beras sering habis; tinggal berdua dengan cucu."},
                {"category": "kesehatan.jaminan", "description": "Belum punya BPJS Kesehatan."},
                {"category": "rumah", "description": "Atap bocor di kamar dan dapur."},
                {"category": "adminduk", "description": "KTP dan KK hilang; tidak ingat tanggal lahir."},
            ],
        },
        {
            "idempotency_key": "demo-hard-moved",
            "village_code": WETAN,
            "desk": "desk.wetan",
            "name": "Asep Hidayat",
            "birth_date": father.isoformat(),
            "sex": "L",
            "relationship": "head",
            "nik_missing_reason": "not_recorded",
            "phone": "0812-7788-1200",
            "rt": "5",
            "rw": "2",
            "street": "Kontrakan Gg. Melati No. 2",
            "members": [
                {
                    "name": "Neng Sari",
                    "birth_date": _years_before(today, 36, 200).isoformat(),
                    "sex": "P",
                    "relationship": "spouse",
                    "disability": "none",
                },
                {
                    "name": "Dimas",
                    "birth_date": _years_before(today, 8, 30).isoformat(),
                    "sex": "L",
                    "relationship": "child",
                    "schooling": "in_school",
                    "disability": "none",
                },
            ],
            "needs": [
                {
                    "category": "adminduk",
                    "description": "Pindah dari Garut; KK lama dicabut, KK baru belum ada.",
                },
                {"category": "pangan", "description": "Baru pindah, belum bekerja tetap."},
                {
                    "category": "pendidikan",
                    "member": 1,
                    "description": "Dimas pindah sekolah, butuh seragam.",
                },
            ],
        },
        {
            "idempotency_key": "demo-hard-violence",
            "village_code": KULON,
            "desk": "desk",
            "name": "Lina Marlina",
            "birth_date": _years_before(today, 29, 40).isoformat(),
            "sex": "P",
            "relationship": "spouse",
            "nik": _nik(_years_before(today, 29, 40), True, 31),
            "rt": "1",
            "rw": "4",
            "needs": [
                {
                    "category": "kekerasan",
                    "description": "Kekerasan dalam rumah tangga; perlu pendampingan dan tempat aman.",
                }
            ],
        },
    ]


def _register(visit: dict[str, Any], desk: User, today: date) -> m.Case:
    members = visit.pop("members", [])
    needs = [
        {
            "category": n["category"],
            "description": n["description"],
            "person": f"m{n['member']}" if "member" in n else "self",
        }
        for n in visit.pop("needs")
    ]
    data = {
        "consent": True,
        "consent_by": "self",
        "disability": "none",
        "channel": "walk_in",
        "case_type": "need",
        "urgency": "auto",
        "members": members,
        "needs": needs,
        **visit,
    }
    return registration.create_case(data, [], desk, today).case


def _refer(case: m.Case, category: str, service: str, reason: str, desk: User) -> Any:
    need = next(n for n in case.needs if n.category_code == category)
    [referral] = create_draft_referrals(case, [Selection(need.id, service, reason)], desk, agency_suggester())
    return referral


def _follow(referral: Any, steps: list[tuple[str, str, dict[str, Any]]], users: dict[str, User]) -> None:
    """Moves a referral along `steps` (to, who, input); approval is asked where the desk needs it."""
    agency_user = users.get(AGENCY_USERS.get(referral.agency.code if referral.agency else "", ""))
    for to, who, extra in steps:
        actor = users[who] if who != "agency" else agency_user
        if actor is None:
            return
        event = transition(referral, to, actor, today=local_today(), **extra)
        if event.to_status is S.AWAITING_APPROVAL:
            transition(referral, "sent", users["koordinator"], today=local_today(), note="Disetujui.")


def seed(ctx: dict) -> None:
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    if not {"desk", "desk.wetan", "koordinator"} <= users.keys():
        return
    today = local_today()
    made = []
    for visit in _visits(today):
        key = visit["idempotency_key"]
        if db.session.scalar(sa.select(m.Case.id).where(m.Case.idempotency_key == key)):
            continue
        desk = users[visit.pop("desk")]
        case = _register(dict(visit), desk, today)
        db.session.flush()
        if key == "demo-hard-widow":
            admin = _refer(case, "adminduk", "ADMINDUK", "Belum punya NIK: urus KTP dan KK dulu.", desk)
            _follow(admin, [("sent", "desk", {}), ("accepted", "agency", {})], users)
        elif key == "demo-hard-moved":
            admin = _refer(case, "adminduk", "ADMINDUK", "KK baru setelah pindah datang.", desk)
            _follow(
                admin,
                [
                    ("sent", "desk.wetan", {}),
                    ("accepted", "agency", {}),
                    (
                        "resolved",
                        "agency",
                        {
                            "outcome": "service_delivered",
                            "note": "KK baru dan KTP-el terbit.",
                            "message": "KK baru sudah terbit. Silakan ambil di kantor kecamatan.",
                        },
                    ),
                ],
                users,
            )
            # The desk records the new NIK and No. KK: the services that waited are ready.
            head = case.reporter
            records.apply_changes(
                head, {"nik": _nik(head.birth_date, False, 17), "nik_missing_reason": None}, desk
            )
            records.apply_changes(case.household, {"kk_number": "3204050101260009"}, desk)
        elif key == "demo-hard-violence":
            # The desk form has no confidentiality switch yet; a violence report is never public.
            case.confidential = True
            ppa = _refer(case, "kekerasan", "UPTD-PPA", "Korban kekerasan: pendampingan segera.", desk)
            _follow(ppa, [("sent", "desk", {})], users)
        made.append(case)
    db.session.flush()
    ctx["hard_cases"] = [(c.tracking_code, c.reporter.name if c.reporter else "") for c in made]
