"""Demo step for the public side: a few online reports (one confidential, one anonymous) and
satisfaction survey answers on closed demo cases. Idempotent: fixed idempotency keys, and
answers only where none exist. Prints nothing (no codes, no names)."""

from __future__ import annotations

import sqlalchemy as sa

from slrt.extensions import db
from slrt.intake import models as m
from slrt.public.models import SurveyResponse
from slrt.public.services import OnlineReport, file_online_report
from slrt.referrals.models import Referral

REPORTS = [
    OnlineReport(
        category_code="bansos.penyaluran",
        case_type=m.CaseType.COMPLAINT,
        description="BPNT bulan ini belum masuk ke kartu, padahal bulan lalu masih cair.",
        village_code="32.04.05.2001",
        name="Neneng Rahayu",
        contact="081322114455",
        consent=True,
        idempotency_key="demo-lapor-1",
    ),
    OnlineReport(
        category_code="kekerasan",
        case_type=m.CaseType.NEED,
        description="Tetangga sering terdengar memukul anaknya pada malam hari. Mohon ditindaklanjuti.",
        village_code="32.04.05.2002",
        confidential=True,
        idempotency_key="demo-lapor-2",
    ),
    OnlineReport(
        category_code="lansia",
        case_type=m.CaseType.NEED,
        description="Nenek di RT 04 tinggal sendiri, tidak ada yang merawat, sering tidak makan.",
        village_code="32.04.05.2004",
        name="Asep Permana",
        contact="asep.permana@example.id",
        consent=True,
        anonymous=True,
        idempotency_key="demo-lapor-3",
    ),
    OnlineReport(
        category_code="rumah",
        case_type=m.CaseType.NEED,
        description="Atap rumah warga di RW 09 hampir roboh setelah hujan besar.",
        village_code="32.04.05.2003",
        idempotency_key="demo-lapor-4",
    ),
]
SURVEY = [(5, "Petugas ramah dan jawabannya jelas."), (4, None), (3, "Antrean agak lama.")]


def seed(ctx: dict) -> None:
    for report in REPORTS:
        file_online_report(report)
    closed = db.session.scalars(
        sa.select(m.Case)
        .where(
            m.Case.status == m.CaseStatus.CLOSED,
            m.Case.confidential.is_(False),
            m.Case.village_code.like("32.04.%"),
            ~m.Case.id.in_(sa.select(SurveyResponse.case_id)),
            # Cases closed with open referrals would not be asked; closed at the desk ones are.
            ~m.Case.id.in_(sa.select(Referral.case_id).where(Referral.closed_at.is_(None))),
        )
        .order_by(m.Case.id)
    ).all()
    answered = db.session.scalar(sa.select(sa.func.count(SurveyResponse.id)))
    for case, (rating, comment) in zip(closed, SURVEY[answered:], strict=False):
        db.session.add(
            SurveyResponse(case_id=case.id, village_code=case.village_code, rating=rating, comment=comment)
        )
    db.session.flush()
