from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from slrt.core.access import get_or_404, visible
from slrt.core.audit import audit
from slrt.extensions import db
from slrt.intake import models as m
from slrt.referrals.models import Referral

bp = Blueprint("intake", __name__)

JAKARTA = ZoneInfo("Asia/Jakarta")


def start_of_today() -> datetime:
    """Midnight in Jakarta, as UTC: 'today' for the desk is the local day."""
    today = datetime.now(JAKARTA).date()
    return datetime.combine(today, time.min, tzinfo=JAKARTA).astimezone(UTC)


@bp.route("/")
@login_required
def home() -> Any:
    since = start_of_today()
    today = db.session.scalars(
        visible(m.Case)
        .where(m.Case.created_at >= since, m.Case.created_at < since + timedelta(days=1))
        .options(selectinload(m.Case.reporter), selectinload(m.Case.needs))
        .order_by(m.Case.urgent.desc(), m.Case.created_at)
        .limit(100)
    ).all()
    open_cases = db.session.scalars(
        visible(m.Case)
        .where(m.Case.status == m.CaseStatus.OPEN)
        .options(selectinload(m.Case.reporter), selectinload(m.Case.needs))
        .order_by(m.Case.urgent.desc(), m.Case.created_at.desc())
        .limit(50)
    ).all()
    open_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            visible(m.Case).where(m.Case.status == m.CaseStatus.OPEN).subquery()
        )
    )
    return render_template("desk/home.html", today=today, open_cases=open_cases, open_count=open_count)


@bp.route("/cases/<int:case_id>")
@login_required
def case_detail(case_id: int) -> Any:
    case = get_or_404(m.Case, case_id)
    referrals = db.session.scalars(
        visible(Referral).where(Referral.case_id == case.id).order_by(Referral.id)
    ).all()
    audit("case.view", case)
    db.session.commit()
    return render_template("desk/case.html", case=case, referrals=referrals)


@bp.route("/households/<int:household_id>")
@login_required
def household_detail(household_id: int) -> Any:
    household = get_or_404(m.Household, household_id)
    members = db.session.scalars(visible(m.Person).where(m.Person.household_id == household.id)).all()
    cases = db.session.scalars(
        visible(m.Case).where(m.Case.household_id == household.id).order_by(m.Case.created_at.desc())
    ).all()
    audit("household.view", household)
    db.session.commit()
    return render_template("desk/household.html", household=household, members=members, cases=cases)


@bp.route("/persons/<int:person_id>")
@login_required
def person_detail(person_id: int) -> Any:
    person = get_or_404(m.Person, person_id)
    cases = db.session.scalars(
        visible(m.Case).where(m.Case.reporter_id == person.id).order_by(m.Case.created_at.desc())
    ).all()
    audit("person.view", person)
    db.session.commit()
    return render_template(
        "desk/person.html", person=person, cases=cases, is_agency=current_user.role.value == "agency"
    )
