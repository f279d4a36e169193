"""Factory functions for test data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from slrt.accounts import services as accounts
from slrt.accounts.models import User
from slrt.core import tracking
from slrt.directory.catalog import load_catalog
from slrt.directory.models import Agency, Office, OfficeKind, Service
from slrt.extensions import db
from slrt.intake import models as m
from slrt.referrals.models import Referral, ReferralStatus

PASSWORD = "rahasia-123"
VILLAGE_A = "32.04.05.2001"  # Cileunyi Kulon, Kab. Bandung
VILLAGE_B = "32.04.05.2002"  # Cileunyi Wetan, Kab. Bandung
VILLAGE_OTHER = "32.73.01.1001"  # Kota Bandung: another regency


def make_office(
    code: str, region: str, kind: OfficeKind = OfficeKind.PUSKESOS, approval: bool = False
) -> Office:
    office = Office(
        code=code, name=f"Kantor {code}", kind=kind, region_code=region, requires_approval=approval
    )
    db.session.add(office)
    db.session.flush()
    return office


def make_agency(code: str = "DINSOS-3204", area: list[str] | None = None) -> Agency:
    agency = Agency(code=code, name=f"Lembaga {code}", service_area=area or ["32.04"])
    db.session.add(agency)
    db.session.flush()
    return agency


def make_user(username: str, role: str, **kwargs: Any) -> User:
    user = accounts.save_user(
        None, username=username, name=username.title(), role=role, password=PASSWORD, **kwargs
    )
    db.session.flush()
    return user


def make_person(village: str = VILLAGE_A, **kwargs: Any) -> m.Person:
    household = kwargs.pop("household", None) or m.Household(village_code=village)
    values = {"name": "Siti Aminah", "birth_date": date(1980, 5, 17), "sex": m.Sex.FEMALE}
    values.update(kwargs)
    person = m.Person(
        household=household,
        village_code=household.village_code,
        relationship_to_head=m.Relationship.HEAD,
        **values,
    )
    db.session.add(person)
    db.session.flush()
    return person


def make_case(
    village: str = VILLAGE_A,
    office: Office | None = None,
    need: str = "pangan",
    reporter: m.Person | None = None,
    **kwargs: Any,
) -> m.Case:
    reporter = reporter or make_person(village)
    case = m.Case(
        tracking_code=tracking.generate(),
        channel=m.Channel.WALK_IN,
        type=m.CaseType.NEED,
        office=office,
        village_code=village,
        reporter=reporter,
        household=reporter.household,
        consent_given=True,
        consent_by=m.ConsentBy.SELF,
        consent_at=datetime.now(UTC),
        **kwargs,
    )
    db.session.add(case)
    db.session.add(m.Need(case=case, category_code=need, description="Butuh bantuan", person=reporter))
    db.session.flush()
    return case


def make_referral(
    case: m.Case,
    service_code: str = "BPNT",
    agency: Agency | None = None,
    status: ReferralStatus = ReferralStatus.SENT,
) -> Referral:
    from sqlalchemy import select

    service = db.session.scalar(select(Service).where(Service.code == service_code))
    need = case.needs[0]
    person_id = need.person_id or case.reporter_id
    if db.session.scalar(
        select(Referral.id).where(Referral.person_id == person_id, Referral.service_id == service.id)
    ):
        # Bulk test data: one open referral per person and service is the rule (issue 16), so a
        # further one (even a closed one, which may be reopened) concerns someone else: a
        # person of its own, outside any household.
        db.session.add(stand_in := m.Person(name="Warga lain", village_code=case.village_code))
        db.session.flush()
        person_id = stand_in.id
    referral = Referral(
        case=case,
        need=need,
        person_id=person_id,
        service=service,
        agency=agency,
        status=status,
        village_code=case.village_code,
        office=case.office,
    )
    db.session.add(referral)
    db.session.flush()
    return referral


@dataclass
class World:
    office_a: Office
    office_b: Office
    office_other: Office
    slrt_office: Office
    agency: Agency
    other_agency: Agency
    users: dict[str, User] = field(default_factory=dict)
    case_a: m.Case | None = None
    case_b: m.Case | None = None
    case_other: m.Case | None = None
    referral_a: Referral | None = None
    referral_b: Referral | None = None


def make_world() -> World:
    load_catalog()
    w = World(
        office_a=make_office("PKS-A", VILLAGE_A),
        office_b=make_office("PKS-B", VILLAGE_B),
        office_other=make_office("PKS-X", VILLAGE_OTHER),
        slrt_office=make_office("SLRT-3204", "32.04", OfficeKind.SLRT),
        agency=make_agency("DINSOS-3204"),
        other_agency=make_agency("DUKCAPIL-3204"),
    )
    w.users["desk_a"] = make_user("desk.a", "desk", office_code="PKS-A")
    w.users["desk_b"] = make_user("desk.b", "desk", office_code="PKS-B")
    w.users["desk_other"] = make_user("desk.x", "desk", office_code="PKS-X")
    w.users["coordinator_a"] = make_user("koor.a", "coordinator", office_code="PKS-A")
    w.users["slrt"] = make_user("slrt.bdg", "slrt", region_code="32.04", office_code="SLRT-3204")
    w.users["agency"] = make_user("dinsos", "agency", agency_code="DINSOS-3204")
    w.users["other_agency"] = make_user("dukcapil", "agency", agency_code="DUKCAPIL-3204")
    w.users["admin"] = make_user("admin", "admin")
    w.users["admin_jabar"] = make_user("admin.jabar", "admin", region_code="32")
    w.users["admin_jatim"] = make_user("admin.jatim", "admin", region_code="35")
    w.case_a = make_case(VILLAGE_A, w.office_a)
    w.case_b = make_case(VILLAGE_B, w.office_b, reporter=make_person(VILLAGE_B, name="Budi Santoso"))
    w.case_other = make_case(VILLAGE_OTHER, w.office_other, reporter=make_person(VILLAGE_OTHER, name="Joko"))
    w.referral_a = make_referral(w.case_a, agency=w.agency)
    w.referral_b = make_referral(w.case_b, agency=w.other_agency)
    db.session.commit()
    return w
