"""The tanda terima (receipt) a citizen takes home: tracking code, a QR code to the public status
page, the desk's name and hours, and what happens next. A4 for office printers, 80 mm for the
thermal printers many desks use. Reprinted after routing, it also lists the referrals made and
the officer who took the visit."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
from flask_babel import format_date
from flask_babel import gettext as _
from fpdf import FPDF

from slrt.core import tracking
from slrt.core.timezones import local_moment, zone_name
from slrt.core.web import public_status_url
from slrt.directory.models import Office
from slrt.intake import models as m

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SIZES = {"a4": (210.0, 297.0), "80mm": (80.0, 200.0)}  # 80 mm: the shortest cut of the roll
ROLL_MAX, ROLL_MARGIN = 2000.0, 5.0  # mm: the measuring strip, and the roll's margins


@dataclass(frozen=True)
class ReferralLine:
    """One referral as the citizen's receipt names it (the caller reads the referrals: this
    module sits below the referrals package)."""

    service: str
    agency: str | None
    status: str


def received_text(case: m.Case) -> str:
    """When the visit was received, on the office's own clock: "2 Desember 2026 06.30 WIB"."""
    region = case.office.region_code if case.office else case.village_code
    # Flask-Babel's format_datetime would move the moment back to the default (Jakarta) zone.
    moment = local_moment(case.created_at, region)
    return f"{format_date(moment.date(), 'd MMMM yyyy')} {moment:%H.%M} {zone_name(region)}"


def qr_svg(url: str) -> str:
    """Inline SVG markup (no script, no style attribute), safe under a strict CSP."""
    return segno.make(url, error="m").svg_inline(scale=4, title=_("Kode QR halaman status"))


def next_steps(case: m.Case) -> list[str]:
    """What happens next, in plain words for the citizen."""
    if case.status is m.CaseStatus.CLOSED:
        return [_("Pertanyaan Anda sudah dijawab di desk. Kasus ini sudah selesai.")]
    steps = [
        _("Petugas memeriksa data keluarga Anda (DTSEN dan program yang sudah diterima)."),
        _("Bila perlu, fasilitator datang ke rumah untuk verifikasi."),
        _("Kebutuhan Anda dirujuk ke program atau lembaga yang tepat, lalu dipantau sampai selesai."),
        _("Pantau perkembangan dengan kode di atas: pindai kode QR, buka halaman status, atau hubungi desk."),
    ]
    if case.urgent:
        steps.insert(0, _("Kunjungan Anda masuk jalur cepat (prioritas)."))
    return steps


def desk_lines(case: m.Case) -> list[str]:
    return office_lines(case.office)


def office_lines(office: Office | None) -> list[str]:
    """The desk's name, address, hours and phone, as a receipt or a queue ticket heads them."""
    if office is None:
        return []
    lines = [office.name]
    if office.address:
        lines.append(office.address)
    if office.hours:
        lines.append(_("Jam layanan: %(hours)s", hours=office.hours))
    if office.phone:
        lines.append(_("Telepon: %(phone)s", phone=office.phone))
    return lines


def _fonts(pdf: FPDF) -> None:
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVuMono", "B", str(FONT_DIR / "DejaVuSansMono-Bold.ttf"))


def new_pdf(size: str, title: str, height: float | None = None) -> tuple[FPDF, float]:
    """A one-page document in `a4` or `80mm` (thermal roll) width with the receipt's margins and
    fonts (DejaVu, DejaVu Mono bold), and its margin; `height` shortens a thermal slip."""
    width, full = SIZES[size]
    margin = ROLL_MARGIN if size == "80mm" else 18.0
    pdf = FPDF(unit="mm", format=(width, height or full))
    pdf.set_margins(margin, margin, margin)
    pdf.set_auto_page_break(True, margin)
    pdf.set_title(title)
    _fonts(pdf)
    pdf.add_page()
    return pdf, margin


def receipt_pdf(
    case: m.Case,
    size: str = "a4",
    referrals: Sequence[ReferralLine] = (),
    officer: str | None = None,
) -> bytes:
    """The receipt as PDF bytes, in `a4` or `80mm` (thermal roll) width; with the referrals made
    and the officer's name when reprinted after routing."""
    if size != "80mm":
        return bytes(_draw(case, size, None, referrals, officer).output())
    # A roll is cut where the text ends, however many referrals it lists: drawn once on a long
    # strip to measure, then on a page exactly that long (one page, never a half-empty second).
    shortest = SIZES[size][1]
    strip = _draw(case, size, ROLL_MAX, referrals, officer)
    length = max(shortest, strip.get_y() + ROLL_MARGIN)
    return bytes(_draw(case, size, length, referrals, officer).output())


def _draw(
    case: m.Case,
    size: str,
    height: float | None,
    referrals: Sequence[ReferralLine],
    officer: str | None,
) -> FPDF:
    # Long on purpose: the receipt is drawn top to bottom in one pass (header, code, QR, next steps) for
    # either paper width; fpdf keeps the cursor between blocks.
    width = SIZES[size][0]
    narrow = size == "80mm"
    title = _("Tanda terima %(code)s", code=tracking.display(case.tracking_code))
    pdf, margin = new_pdf(size, title, height)
    body = width - 2 * margin
    base = 8.5 if narrow else 11.0

    def line(text: str, size_pt: float = base, style: str = "", align: str = "L", gap: float = 1.0) -> None:
        pdf.set_font("DejaVu", style, size_pt)
        pdf.multi_cell(body, size_pt * 0.5, text, align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    align = "C" if narrow else "L"
    line(_("TANDA TERIMA LAYANAN"), base + 3, "B", align)
    for text in desk_lines(case):
        line(text, base - 0.5, "", align, 0.3)
    pdf.ln(2)
    line(_("Kode pelacakan"), base, "", "C", 0)
    pdf.set_font("DejaVuMono", "B", 16 if narrow else 24)
    pdf.cell(
        body,
        10 if narrow else 14,
        tracking.display(case.tracking_code),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    url = public_status_url(case.tracking_code)
    qr = io.BytesIO()
    segno.make(url, error="m").save(qr, kind="png", scale=10, border=4)
    qr.seek(0)
    side = 40.0 if narrow else 55.0
    pdf.image(qr, x=(width - side) / 2, w=side, h=side)
    pdf.ln(1)
    line(_("Pindai kode QR atau buka:"), base - 1, "", "C", 0)
    line(url, base - 1.5, "", "C", 2)
    line(_("Diterima: %(when)s", when=received_text(case)), base, "", "L", 0.5)
    if officer:
        line(_("Petugas: %(name)s", name=officer), base, "", "L", 0.5)
    line(
        _("Jenis: %(type)s", type=str(m.CASE_TYPE_LABELS[case.type]))
        + (" · " + _("Prioritas") if case.urgent else ""),
        base,
        "",
        "L",
        0.5,
    )
    if case.needs:
        needs = ", ".join(n.category.display_name for n in case.needs)
        line(_("Kebutuhan: %(needs)s", needs=needs), base, "", "L", 2)
    if referrals:
        line(_("Rujukan yang sudah dibuat"), base + 1, "B", "L", 0.5)
        for i, r in enumerate(referrals, 1):
            to = _(" ke %(agency)s", agency=r.agency) if r.agency else ""
            line(f"{i}. {r.service}{to} ({r.status})", base, "", "L", 0.5)
        pdf.ln(1.5)
    line(_("Langkah selanjutnya"), base + 1, "B", "L", 0.5)
    for i, step in enumerate(next_steps(case), 1):
        line(f"{i}. {step}", base, "", "L", 0.5)
    pdf.ln(2)
    line(
        _("Simpan tanda terima ini dan jangan bagikan kodenya kepada orang lain."),
        base - 1.5,
        "",
        "L",
        0,
    )
    return pdf
