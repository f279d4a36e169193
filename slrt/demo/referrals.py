"""Demo referrals in every state across the demo cases, made through the real transition
function (so history, letters, deadlines and notifications are as in real use), then dated back
so some are overdue and some at risk. Runs only while no demo referral has been sent yet."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from slrt.accounts.models import User
from slrt.core.workdays import JAKARTA, calendar_for, local_today
from slrt.directory.models import Agency, Service
from slrt.extensions import db
from slrt.intake.models import Case, CaseType
from slrt.referrals.models import Referral, ReferralEvent
from slrt.referrals.models import ReferralStatus as S
from slrt.referrals.transitions import transition

VILLAGES = ("32.04.05.2001", "32.04.05.2002", "32.04.05.2003", "32.04.05.2004")
# (steps, working days ago the referral was sent). Steps: (to, actor key, extra).
SENT: list[tuple[str, str, dict[str, Any]]] = [("sent", "desk", {})]
SCENARIOS = [
    ("draft", [], 0),
    ("awaiting", [("sent", "desk", {"note": "Mohon penetapan, warga sangat membutuhkan."})], 0),
    ("sent_overdue", [*SENT], 6),
    (
        "in_progress",
        [
            *SENT,
            ("accepted", "agency", {"message": "Rujukan Anda diterima dan sedang kami proses."}),
            ("in_progress", "agency", {"note": "Verifikasi lapangan dijadwalkan."}),
        ],
        8,
    ),
    (
        "resolved",
        [
            *SENT,
            ("accepted", "agency", {}),
            (
                "resolved",
                "agency",
                {
                    "outcome": "granted",
                    "note": "Masuk daftar penerima bulan depan.",
                    "message": "Bantuan disetujui. Pencairan mulai bulan depan.",
                },
            ),
        ],
        12,
    ),
    (
        "rejected",
        [
            *SENT,
            (
                "rejected",
                "agency",
                {
                    "reason": "not_responsible",
                    "note": "Bukan wewenang kami; ajukan ke lembaga terkait.",
                    "message": "Rujukan perlu diarahkan ke lembaga lain.",
                },
            ),
        ],
        5,
    ),
    ("returned", [*SENT, ("returned", "agency", {"note": "Layanan ini ditangani lembaga lain."})], 4),
    ("sent_at_risk", [*SENT], 2),
    (
        "waiting_citizen",
        [
            *SENT,
            ("accepted", "agency", {}),
            (
                "waiting_citizen",
                "agency",
                {
                    "note": "KK terbaru belum dilampirkan.",
                    "message": "Mohon bawa fotokopi KK terbaru ke Puskesos.",
                },
            ),
        ],
        6,
    ),
    ("cancelled", [("cancelled", "desk", {"note": "Warga pindah ke luar kabupaten."})], 0),
    (
        "resolved_told",
        [
            *SENT,
            ("accepted", "agency", {}),
            (
                "resolved",
                "agency",
                {
                    "outcome": "service_delivered",
                    "note": "Sudah dilayani.",
                    "message": "Layanan sudah diberikan. Terima kasih.",
                },
            ),
        ],
        15,
    ),
    ("accepted_overdue", [*SENT, ("accepted", "agency", {})], 25),
    ("sent", [*SENT], 1),
]
# Each village starts elsewhere in the list, so every state shows up; Cileunyi Kulon (which
# requires approval) gets an extra referral waiting for the coordinator.
OFFSETS = {"32.04.05.2001": 0, "32.04.05.2002": 7, "32.04.05.2003": 3, "32.04.05.2004": 10}
DESKS = {"32.04.05.2001": "desk", "32.04.05.2002": "desk.wetan"}
AGENCY_USERS = {"DINSOS-3204": "dinsos", "DUKCAPIL-3204": "dukcapil"}


def _agency_for(service: Service, agencies: dict[str, Agency]) -> Agency:
    if service.code == "ADMINDUK":
        return agencies["DUKCAPIL-3204"]
    return agencies["DINSOS-3204"]  # the demo's agencies with logins


def _service_for(category: str, services: list[Service]) -> Service | None:
    for service in services:
        if category in (service.needs or []):
            return service
    return None


def _working_days_ago(village: str, n: int) -> date:
    calendar = calendar_for(village)
    day = local_today()
    while calendar.between(day, local_today()) < n or not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=JAKARTA).astimezone(UTC)


def seed(ctx: dict) -> None:
    # Long on purpose: the demo's referrals walked through the workflow in order, one block per state
    # shown.
    sent_already = db.session.scalar(
        sa.select(sa.func.count(Referral.id)).where(
            Referral.village_code.in_(VILLAGES), Referral.status != S.DRAFT
        )
    )
    if sent_already:
        return
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    agencies = {a.code: a for a in db.session.scalars(sa.select(Agency))}
    if "DINSOS-3204" not in agencies or "slrt" not in users:
        return
    services = list(
        db.session.scalars(sa.select(Service).where(Service.active.is_(True)).order_by(Service.id))
    )
    cases = db.session.scalars(
        sa.select(Case)
        .where(Case.village_code.in_(VILLAGES), Case.type != CaseType.QUESTION)
        .order_by(Case.id)
    ).all()
    counters = dict.fromkeys(VILLAGES, 0)
    made = 0
    for case in cases:
        if not case.needs or db.session.scalar(sa.select(Referral.id).where(Referral.case_id == case.id)):
            continue
        need = case.needs[0]
        service = _service_for(need.category_code, services)
        if service is None:
            continue
        plan = SCENARIOS[:2] + SCENARIOS[1:] if case.village_code == "32.04.05.2001" else SCENARIOS
        name, steps, days_ago = plan[(OFFSETS[case.village_code] + counters[case.village_code]) % len(plan)]
        counters[case.village_code] += 1
        made += 1
        agency = _agency_for(service, agencies)
        referral = Referral(
            case=case,
            need=need,
            service=service,
            agency=agency,
            office=case.office,
            village_code=case.village_code,
            urgent=case.urgent or service.urgent,
            reason=f"Kebutuhan {need.category.name.lower()} sesuai layanan {service.name}.",
            created_by_id=case.created_by_id,
            status=S.DRAFT,
        )
        db.session.add(referral)
        db.session.flush()
        start = _working_days_ago(case.village_code, days_ago)
        # Made on the day its history starts: it charts in the month its letter is numbered in.
        referral.created_at = _at(start, 8)
        db.session.add(
            ReferralEvent(
                referral=referral,
                from_status=None,
                to_status=S.DRAFT,
                at=_at(start, 8),
                actor_id=case.created_by_id,
                note="Dibuat dari hasil penelusuran layanan.",
            )
        )
        desk = users[DESKS.get(case.village_code, "slrt")]
        approver = users["koordinator"] if case.village_code == "32.04.05.2001" else users["slrt"]
        agency_user = users[AGENCY_USERS[agency.code]]
        day = start
        for i, (to, who, extra) in enumerate(steps):
            actor = {"desk": desk, "agency": agency_user}[who]
            event = transition(referral, to, actor, today=day, **extra)
            event.at = _at(day, 9 + i)
            if event.to_status is S.AWAITING_APPROVAL and name != "awaiting":
                event = transition(referral, "sent", approver, today=day, note="Disetujui.")
                event.at = _at(day, 10 + i)
            if event.to_status is S.SENT:
                referral.sent_at = event.at
            if event.to_status in (S.RESOLVED, S.REJECTED, S.CANCELLED):
                referral.closed_at = event.at
            day = min(day + timedelta(days=1), local_today())
        if name == "resolved_told":
            referral.citizen_informed_at = referral.closed_at
        db.session.flush()
    ctx["referrals"] = made
