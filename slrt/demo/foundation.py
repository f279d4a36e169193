"""Demo regency Kabupaten Bandung (32.04): desks, SLRT secretariat, agencies, users, cases."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from slrt.accounts import services as accounts
from slrt.accounts.models import User
from slrt.core import tracking
from slrt.core.workdays import local_today
from slrt.directory.catalog import load_catalog
from slrt.directory.models import Agency, Office, OfficeKind
from slrt.extensions import db
from slrt.intake import models as m
from slrt.regions.models import Region
from slrt.regions.services import load_regions

DEMO_PASSWORD = "demo12345"  # noqa: S105 - printed on purpose; demo data only
REGENCY = "32.04"
VILLAGES = {
    "32.04.05.2001": ("PKS-3204052001", True),  # Cileunyi Kulon: referrals need approval
    "32.04.05.2002": ("PKS-3204052002", False),  # Cileunyi Wetan
    "32.04.05.2003": ("PKS-3204052003", True),  # Cimekar
    "32.04.05.2004": ("PKS-3204052004", False),  # Cinunuk
}
AGENCIES = [
    ("DINSOS-3204", "Dinas Sosial Kabupaten Bandung", "Jl. Raya Soreang No. 1, Soreang", "022-5891234"),
    ("DUKCAPIL-3204", "Disdukcapil Kabupaten Bandung", "Jl. Raya Soreang Km 17, Soreang", "022-5892001"),
    ("DISDIK-3204", "Dinas Pendidikan Kabupaten Bandung", "Jl. Raya Soreang Km 17, Soreang", "022-5891705"),
    ("PUSKESMAS-CILEUNYI", "Puskesmas Cileunyi", "Jl. Raya Cileunyi No. 5, Cileunyi", "022-7798111"),
    ("UPTD-PPA-3204", "UPTD PPA Kabupaten Bandung", "Jl. Al-Fathu, Soreang", "0812-2000-3204"),
    ("BAZNAS-3204", "BAZNAS Kabupaten Bandung", "Komplek Pemkab, Soreang", "022-5893456"),
    ("BPBD-3204", "BPBD Kabupaten Bandung", "Jl. Raya Soreang-Banjaran, Soreang", "022-5897777"),
    ("PERKIM-3204", "Dinas Perkim Kabupaten Bandung", "Jl. Raya Soreang Km 17, Soreang", "022-5891999"),
]
FIRST_M = [
    "Asep",
    "Dadang",
    "Ujang",
    "Cecep",
    "Iwan",
    "Budi",
    "Agus",
    "Dedi",
    "Wawan",
    "Yayat",
    "Rahmat",
    "Hendra",
]
FIRST_F = ["Siti", "Euis", "Neneng", "Iis", "Dewi", "Nining", "Yati", "Rina", "Eneng", "Tati", "Lilis", "Nur"]
LAST = [
    "Suryana",
    "Hidayat",
    "Permana",
    "Nurhayati",
    "Saputra",
    "Rahayu",
    "Kurniawan",
    "Setiawan",
    "Sumarni",
    "Gunawan",
    "Mulyani",
    "Rohman",
]
STREETS = ["Jl. Cileunyi Raya", "Gg. Mawar", "Jl. Cibiru Hilir", "Kp. Babakan", "Kp. Sukamaju", "Jl. Cimekar"]
NEED_TEXT = {
    "pangan": "Keluarga kesulitan membeli beras sejak suami sakit.",
    "kesehatan.jaminan": "Tidak punya BPJS, anak perlu berobat rutin.",
    "lansia": "Nenek tinggal sendiri, tidak ada yang merawat.",
    "pendidikan": "Anak putus sekolah karena tidak ada biaya seragam.",
    "adminduk": "Belum punya KK baru setelah pindah rumah.",
    "dtsen.daftar": "Belum terdaftar di DTSEN, minta didaftarkan.",
    "bansos.penyaluran": "Bansos BPNT tiga bulan terakhir tidak cair.",
    "disabilitas": "Butuh kursi roda untuk anak dengan disabilitas berat.",
    "rumah": "Atap rumah bocor dan dinding retak.",
    "kekerasan": "Ibu melapor kekerasan dalam rumah tangga.",
    "ibu_hamil_balita": "Ibu hamil 6 bulan, belum pernah periksa.",
    "ekonomi": "Ingin modal usaha warung kecil.",
    "informasi": "Bertanya syarat pendaftaran PKH.",
}


def _ensure_regions() -> None:
    if db.session.get(Region, "32.04.05.2001") is None:
        load_regions()


def _office(code: str, name: str, kind: OfficeKind, region: str, approval: bool) -> Office:
    office = db.session.scalar(sa.select(Office).where(Office.code == code))
    if office is None:
        office = Office(
            code=code,
            name=name,
            kind=kind,
            region_code=region,
            requires_approval=approval,
            address="Kantor Desa" if kind is OfficeKind.PUSKESOS else "Dinas Sosial, Soreang",
            phone="022-7800000",
            hours="Senin-Jumat 08.00-15.00",
        )
        db.session.add(office)
    return office


def _user(
    username: str,
    name: str,
    role: str,
    *,
    region_code: str | None = None,
    office_code: str | None = None,
    agency_code: str | None = None,
) -> None:
    if db.session.scalar(sa.select(User).where(User.username == username)) is None:
        user = accounts.save_user(
            None,
            username=username,
            name=name,
            role=role,
            password=secrets.token_urlsafe(24),
            region_code=region_code,
            office_code=office_code,
            agency_code=agency_code,
        )
        # The published demo password is weak on purpose and would fail the password rule.
        user.set_password(DEMO_PASSWORD)


def seed(ctx: dict) -> None:
    _ensure_regions()
    load_catalog(keep_edited=True)  # an administrator's edits survive `make run`
    villages = {r.code: r for r in db.session.scalars(sa.select(Region).where(Region.code.in_(VILLAGES)))}
    for code, (office_code, approval) in VILLAGES.items():
        _office(office_code, f"Puskesos Desa {villages[code].name}", OfficeKind.PUSKESOS, code, approval)
    _office("SLRT-3204", "Sekretariat SLRT Kabupaten Bandung", OfficeKind.SLRT, REGENCY, True)
    for code, name, address, phone in AGENCIES:
        if db.session.scalar(sa.select(Agency).where(Agency.code == code)) is None:
            db.session.add(
                Agency(
                    code=code,
                    name=name,
                    address=address,
                    phone=phone,
                    service_area=[REGENCY],
                    hours="Senin-Jumat 08.00-16.00",
                    email=f"{code.lower()}@example.go.id",
                )
            )
    db.session.flush()
    _user("admin", "Administrator Nasional", "admin")
    _user("admin.jabar", "Admin Provinsi Jawa Barat", "admin", region_code="32")
    _user("desk", "Rina Marlina", "desk", office_code="PKS-3204052001")
    _user("desk.wetan", "Dedi Kurnia", "desk", office_code="PKS-3204052002")
    _user("koordinator", "Hj. Euis Komariah", "coordinator", office_code="PKS-3204052001")
    _user("slrt", "Bambang Wibisono", "slrt", region_code=REGENCY, office_code="SLRT-3204")
    _user("dinsos", "Yuliani (PKH Dinsos)", "agency", agency_code="DINSOS-3204", region_code=REGENCY)
    _user("dukcapil", "Agus Salim (Disdukcapil)", "agency", agency_code="DUKCAPIL-3204", region_code=REGENCY)
    db.session.flush()
    ctx["logins"] = [
        ("desk", "desk", "Puskesos Desa Cileunyi Kulon"),
        ("desk.wetan", "desk", "Puskesos Desa Cileunyi Wetan"),
        ("koordinator", "coordinator", "Puskesos Desa Cileunyi Kulon"),
        ("slrt", "slrt", "SLRT Kabupaten Bandung"),
        ("dinsos", "agency", "Dinas Sosial Kabupaten Bandung"),
        ("dukcapil", "agency", "Disdukcapil Kabupaten Bandung"),
        ("admin.jabar", "admin", "Provinsi Jawa Barat"),
        ("admin", "admin", "Nasional"),
    ]
    demo_cases = db.session.scalar(
        sa.select(sa.func.count(m.Case.id)).where(m.Case.village_code.in_(VILLAGES))
    )
    if not demo_cases:
        _seed_cases(random.Random(2026))
    ctx["offices"] = {o.code: o for o in db.session.scalars(sa.select(Office))}


def _person(
    rng: random.Random,
    household: m.Household,
    relationship: m.Relationship,
    age: int,
    sex: m.Sex,
    today: date,
    with_nik: bool = True,
) -> m.Person:
    first = rng.choice(FIRST_F if sex is m.Sex.FEMALE else FIRST_M)
    name = f"{first} {rng.choice(LAST)}"
    born = today - timedelta(days=age * 365 + rng.randint(0, 300))
    nik = None
    if with_nik:
        day = born.day + (40 if sex is m.Sex.FEMALE else 0)
        nik = f"320405{day:02d}{born.month:02d}{born.year % 100:02d}{rng.randint(1, 9999):04d}"
    return m.Person(
        nik=nik,
        nik_missing_reason=None if nik else "never_registered",
        name=name,
        birth_date=born,
        sex=sex,
        phone=f"+62812{rng.randint(10000000, 99999999)}" if age >= 18 else None,
        disability=m.Disability.NONE,
        household=household,
        relationship_to_head=relationship,
        village_code=household.village_code,
        schooling=m.Schooling.IN_SCHOOL if 6 <= age <= 18 else None,
    )


def _seed_cases(rng: random.Random) -> None:
    # Long on purpose: the demo's cases told in order, one block per kind of visit.
    today = local_today()
    offices = {o.region_code: o for o in db.session.scalars(sa.select(Office))}
    creators = {
        u.office.region_code: u for u in db.session.scalars(sa.select(User).where(User.role == "desk"))
    }
    needs = list(NEED_TEXT)
    for i in range(36):
        village = list(VILLAGES)[i % len(VILLAGES)]
        household = m.Household(
            kk_number=f"320405{rng.randint(10**9, 10**10 - 1)}" if i % 5 else None,
            village_code=village,
            rt=f"{rng.randint(1, 9):03d}",
            rw=f"{rng.randint(1, 12):03d}",
            street=f"{rng.choice(STREETS)} No. {rng.randint(1, 120)}",
            in_dtsen=None if i % 6 == 0 else rng.random() < 0.8,
            programmes=rng.sample(["PKH", "BPNT", "PBI-JK", "PIP"], k=rng.randint(0, 2)),
            house_uninhabitable=rng.random() < 0.2,
        )
        household.desil = rng.randint(1, 7) if household.in_dtsen else None
        db.session.add(household)
        head_sex = m.Sex.FEMALE if i % 3 == 0 else m.Sex.MALE
        head = _person(
            rng, household, m.Relationship.HEAD, rng.randint(28, 75), head_sex, today, with_nik=i % 7 != 3
        )
        members = [head]
        if head_sex is m.Sex.MALE:
            members.append(
                _person(rng, household, m.Relationship.SPOUSE, rng.randint(25, 60), m.Sex.FEMALE, today)
            )
        for _ in range(rng.randint(0, 3)):
            members.append(
                _person(
                    rng,
                    household,
                    m.Relationship.CHILD,
                    rng.randint(1, 20),
                    rng.choice([m.Sex.MALE, m.Sex.FEMALE]),
                    today,
                    with_nik=rng.random() < 0.8,
                )
            )
        if i % 9 == 4:
            members[-1].disability = m.Disability.SEVERE
        db.session.add_all(members)
        need_code = needs[i % len(needs)]
        case_type = (
            m.CaseType.QUESTION
            if need_code == "informasi"
            else (m.CaseType.COMPLAINT if need_code == "bansos.penyaluran" else m.CaseType.NEED)
        )
        days_ago = 0 if i % 8 == 0 else rng.randint(1, 40)
        created = datetime.now(UTC) - timedelta(days=days_ago, hours=rng.randint(0, 6))
        urgent = (
            need_code == "kekerasan"
            or (head.age_on(today) or 0) >= 70
            or any(p.disability is m.Disability.SEVERE for p in members)
        )
        case = m.Case(
            tracking_code=tracking.generate(),
            channel=rng.choice(list(m.Channel)[:3]),
            type=case_type,
            office=offices[village],
            village_code=village,
            reporter=head,
            household=household,
            summary=NEED_TEXT[need_code],
            urgent=urgent,
            urgency_reason="Jalur cepat: kekerasan"
            if need_code == "kekerasan"
            else ("Jalur cepat: lansia/disabilitas berat" if urgent else None),
            consent_given=True,
            consent_by=m.ConsentBy.SELF,
            consent_at=created,
            created_at=created,
            created_by=creators.get(village),
            confidential=need_code == "kekerasan",
        )
        if case_type is m.CaseType.QUESTION:
            case.status = m.CaseStatus.CLOSED
            case.answer = "Syarat PKH dijelaskan: terdaftar DTSEN, desil 1-4, dan ada komponen keluarga."
            case.closed_at = created + timedelta(minutes=15)
        db.session.add(case)
        db.session.add(
            m.Need(case=case, category_code=need_code, description=NEED_TEXT[need_code], person=head)
        )
    db.session.flush()
