"""The buku register harian: each desk's visitors of one day, on the office's own clock, with
number, time, name, address, need, the action taken and where they were referred; printable
(A4 landscape PDF, signed by the officer) and as XLSX.

It lives with the referrals because its last column is theirs (the referrals package sits above
intake and may read both)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace
from sqlalchemy.orm import selectinload

from slrt.core.timezones import local_moment, zone_for, zone_name
from slrt.directory.models import Office
from slrt.extensions import db
from slrt.intake import models as m
from slrt.referrals.letter import letterhead_lines, place_name
from slrt.referrals.models import Referral, ReferralStatus

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# Drafts are not referrals yet; a cancelled one was withdrawn.
UNMADE = (ReferralStatus.DRAFT, ReferralStatus.CANCELLED)


@dataclass(frozen=True)
class RegisterRow:
    number: int
    time: str  # HH.mm on the office's clock
    name: str
    address: str
    need: str
    action: str
    referred_to: str
    case_id: int


def day_bounds(office: Office, day: date) -> tuple[datetime, datetime]:
    """The office's local day as a UTC interval [start, end)."""
    zone = zone_for(office.region_code)
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    return start, start + timedelta(days=1)


def _address(household: m.Household | None) -> str:
    if household is None:
        return "–"
    parts = [
        household.street,
        f"RT {household.rt}/RW {household.rw}" if household.rt and household.rw else None,
        household.village.name if household.village else None,
    ]
    return ", ".join(p for p in parts if p) or "–"


def _action(case: m.Case, referrals: list[Referral]) -> str:
    if referrals:
        return _("Dirujuk (%(n)d layanan)", n=len(referrals))
    if case.answer:
        return _("Dijawab di desk: %(answer)s", answer=case.answer)
    if case.status is m.CaseStatus.CLOSED:
        return _("Selesai di desk")
    return _("Dicatat, menunggu tindak lanjut")


def register_rows(office: Office, day: date) -> list[RegisterRow]:
    """The office's visitors of `day` in arrival order."""
    start, end = day_bounds(office, day)
    cases = db.session.scalars(
        sa.select(m.Case)
        .where(m.Case.office_id == office.id, m.Case.created_at >= start, m.Case.created_at < end)
        .options(
            selectinload(m.Case.reporter),
            selectinload(m.Case.household),
            selectinload(m.Case.needs),
        )
        .order_by(m.Case.created_at, m.Case.id)
    ).all()
    made: dict[int, list[Referral]] = {}
    if cases:
        for referral in db.session.scalars(
            sa.select(Referral)
            .where(Referral.case_id.in_([c.id for c in cases]), Referral.status.not_in(UNMADE))
            .order_by(Referral.id)
        ):
            made.setdefault(referral.case_id, []).append(referral)
    rows = []
    for i, case in enumerate(cases, 1):
        referrals = made.get(case.id, [])
        name = _("(anonim)") if case.anonymous or case.reporter is None else case.reporter.name
        rows.append(
            RegisterRow(
                number=i,
                time=local_moment(case.created_at, office.region_code).strftime("%H.%M"),
                name=name,
                address=_address(case.household),
                need=", ".join(n.category.display_name for n in case.needs) or "–",
                action=_action(case, referrals),
                referred_to="; ".join(
                    f"{r.service.code} – {r.agency.name}" if r.agency else r.service.code for r in referrals
                )
                or "–",
                case_id=case.id,
            )
        )
    return rows


def header() -> list[str]:
    return [
        _("No."),
        _("Jam"),
        _("Nama"),
        _("Alamat"),
        _("Kebutuhan"),
        _("Tindakan"),
        _("Dirujuk ke"),
    ]


def as_cells(row: RegisterRow) -> list[str | int]:
    return [row.number, row.time, row.name, row.address, row.need, row.action, row.referred_to]


def title(office: Office, day: date) -> str:
    return _(
        "Buku register harian %(office)s, %(day)s",
        office=office.name,
        day=format_date(day, "EEEE, d MMMM yyyy"),
    )


def register_pdf(
    office: Office, day: date, rows: list[RegisterRow], officer: str, position: str | None = None
) -> bytes:
    """The register of one day as an A4 landscape page (more as needed), signed by `officer`
    (with their position) and countersigned by the office's head."""
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_margins(15, 12, 15)
    pdf.set_auto_page_break(True, 15)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(title(office, day))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 11)
    for line in letterhead_lines(office):
        pdf.cell(0, 5.5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(0, 5, office.name + (f" · {office.address}" if office.address else ""), align="C")
    pdf.ln(6)
    y = pdf.get_y()
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 6, _("BUKU REGISTER HARIAN PENGUNJUNG"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(
        0,
        6,
        _(
            "Hari/tanggal: %(day)s · Waktu: %(zone)s",
            day=format_date(day, "EEEE, d MMMM yyyy"),
            zone=zone_name(office.region_code),
        ),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 8.5)
    with pdf.table(
        col_widths=(9, 13, 40, 58, 45, 50, 52),
        text_align=("CENTER", "CENTER", "LEFT", "LEFT", "LEFT", "LEFT", "LEFT"),
        line_height=4.6,
        padding=1.2,
        headings_style=FontFace(emphasis="BOLD", fill_color=(232, 232, 232)),
        repeat_headings=1,
    ) as table:
        head = table.row()
        for h in header():
            head.cell(h)
        for row in rows:
            cells = table.row()
            for value in as_cells(row):
                cells.cell(str(value))
        if not rows:
            empty = table.row()
            empty.cell(_("Tidak ada pengunjung pada hari ini."), colspan=7, align="C")
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, _("Jumlah pengunjung: %(n)d orang", n=len(rows)), new_x="LMARGIN", new_y="NEXT")
    if pdf.will_page_break(45):
        pdf.add_page()
    pdf.ln(2)
    top = pdf.get_y()
    if office.head_title:
        # The head countersigns the day's register ("Mengetahui"), on the left.
        pdf.set_xy(pdf.l_margin + 10, top + 5.5)
        pdf.multi_cell(80, 5.5, _("Mengetahui,") + "\n" + office.head_title, align="C")
        pdf.set_xy(pdf.l_margin + 10, top + 33)
        pdf.cell(80, 5.5, "(.................................)", align="C")
    x = pdf.w - pdf.r_margin - 80
    pdf.set_xy(x, top)
    place = place_name(office)
    pdf.multi_cell(
        80,
        5.5,
        f"{place}, {format_date(day, 'd MMMM yyyy')}\n" + (position or _("Petugas desk")),
        align="C",
        new_x="LEFT",
        new_y="NEXT",
    )
    pdf.set_xy(x, top + 33)
    pdf.set_font("DejaVu", "BU", 10)
    pdf.cell(80, 5.5, officer, align="C")
    return bytes(pdf.output())
