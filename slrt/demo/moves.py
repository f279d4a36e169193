"""Demo "pindah wilayah" (issue 18 item 7): two families of Cileunyi Wetan moving to Cileunyi
Kulon, the demo desk's village. Dadang Hermawan's family was accepted last week: his open case
and its BPNT referral came along with their deadline, his answered question stayed with the Wetan
desk. Asep Saepudin's family waits on the desk's incoming list (login `desk`, "Keluarga pindah
masuk" on the home). Made through the real services; idempotent (once any move exists)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from slrt.accounts.models import User
from slrt.core.db import utcnow
from slrt.core.workdays import local_today
from slrt.directory.models import Agency, Service
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake import moves, registration
from slrt.referrals.models import Referral
from slrt.referrals.models import ReferralStatus as S
from slrt.referrals.transitions import transition

FROM_VILLAGE = "32.04.05.2002"  # Cileunyi Wetan (desk.wetan)
TO_VILLAGE = "32.04.05.2001"  # Cileunyi Kulon (desk)

ACCEPTED = {
    "idempotency_key": "demo-move-accepted",
    "name": "Dadang Hermawan",
    "birth_date": "1975-04-02",
    "sex": "L",
    "relationship": "head",
    "nik_missing_reason": "not_recorded",
    "rt": "3",
    "rw": "2",
    "street": "Kp. Cibiru Hilir No. 8",
    "needs": [{"category": "pangan", "description": "Kehilangan pekerjaan, kebutuhan pangan keluarga."}],
}
ACCEPTED_QUESTION = {
    "idempotency_key": "demo-move-question",
    "case_type": "question",
    "answer": "Dijelaskan syarat PKH dan jadwal pemutakhiran DTSEN.",
    "needs": [{"category": "informasi", "description": "Bertanya syarat PKH."}],
}
PENDING = {
    "idempotency_key": "demo-move-pending",
    "name": "Asep Saepudin",
    "birth_date": "1952-09-14",
    "sex": "L",
    "relationship": "head",
    "nik_missing_reason": "not_recorded",
    "rt": "1",
    "rw": "4",
    "street": "Kp. Sindangsari No. 2",
    "needs": [{"category": "lansia", "description": "Lansia sakit-sakitan, perlu pendampingan."}],
}


def _visit(visit: dict, desk: User, reporter: m.Person | None = None) -> m.Case:
    data = {
        "consent": True,
        "consent_by": "self",
        "village_code": FROM_VILLAGE,
        "disability": "none",
        "channel": "walk_in",
        "case_type": "need",
        "urgency": "auto",
        **visit,
    }
    if reporter is not None:
        data.update(person_id=str(reporter.id), name=reporter.name, birth_date=str(reporter.birth_date))
        data.update(sex=reporter.sex.value if reporter.sex else "", relationship="head")
        data.update(nik_missing_reason="not_recorded")
    return registration.create_case(data, [], desk, local_today()).case


def seed(ctx: dict) -> None:
    if db.session.scalar(sa.select(m.HouseholdMove.id).limit(1)) is not None:
        return
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    service = db.session.scalar(sa.select(Service).where(Service.code == "BPNT"))
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == "DINSOS-3204"))
    if not {"desk", "desk.wetan", "slrt"} <= users.keys() or service is None or agency is None:
        return
    wetan, kulon = users["desk.wetan"], users["desk"]

    case = _visit(ACCEPTED, wetan)
    question = _visit(ACCEPTED_QUESTION, wetan, reporter=case.reporter)
    question.status, question.closed_at = m.CaseStatus.CLOSED, utcnow() - timedelta(days=20)
    referral = Referral(
        case=case,
        need=case.needs[0],
        service=service,
        agency=agency,
        office=case.office,
        village_code=case.village_code,
        reason="Kebutuhan pangan sesuai layanan BPNT.",
        created_by_id=wetan.id,
        status=S.DRAFT,
    )
    db.session.add(referral)
    db.session.flush()
    event = transition(referral, "sent", wetan)
    if event.to_status is S.AWAITING_APPROVAL:
        event = transition(referral, "sent", users["slrt"], note="Disetujui.")
    referral.sent_at = event.at
    household = case.household
    move = moves.request_move(
        household,
        {
            "village_code": TO_VILLAGE,
            "rt": "5",
            "rw": "1",
            "street": "Jl. Cileunyi Kulon No. 21",
            "reason": "Pindah ke rumah orang tua di Cileunyi Kulon setelah kehilangan pekerjaan.",
        },
        wetan,
    )
    moves.accept_move(move, kulon)

    pending = _visit(PENDING, wetan)
    moves.request_move(
        pending.household,
        {
            "village_code": TO_VILLAGE,
            "rt": "2",
            "rw": "3",
            "reason": "Menumpang di rumah anaknya di Cileunyi Kulon.",
        },
        wetan,
    )
    db.session.flush()
    ctx["moves"] = 2
