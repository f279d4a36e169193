"""The referral letter (surat rujukan) as a PDF: letterhead, number, the citizen's details the
agency needs (the reporter hidden when the case is anonymous), the need, why this service, the
deadlines and a QR code to the public status page."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import segno
from flask_babel import gettext as _
from fpdf import FPDF

from slrt.core import tracking
from slrt.core.crypto import mask
from slrt.core.web import local_date, public_status_url
from slrt.intake.models import SEX_LABELS
from slrt.referrals.models import Referral
from slrt.referrals.queries import office_of

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# fpdf2's font subsetting logs every glyph at INFO; the app logs at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def _pdf() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, 20)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    return pdf


def _row(pdf: FPDF, label: str, value: str | None) -> None:
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(50, 6, label)
    pdf.multi_cell(0, 6, f": {value or '–'}", align="L", new_x="LMARGIN", new_y="NEXT")


def render_letter(referral: Referral, hide_reporter: bool) -> bytes:
    # Long on purpose: the letter is drawn top to bottom in one pass, a block per section in reading order
    # (letterhead, number and date, citizen, need, documents, QR and signature); fpdf keeps the cursor, so
    # split functions would pass the page and its widths along for nothing.
    case = referral.case
    office = office_of(referral)
    pdf = _pdf()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    # Letterhead
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(
        0,
        7,
        (office.name if office else _("Sekretariat SLRT")).upper(),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("DejaVu", "", 9)
    if office and office.region:
        pdf.cell(0, 5, office.region.name, align="C", new_x="LMARGIN", new_y="NEXT")
    contact = " · ".join(
        x for x in (office.address if office else None, office.phone if office else None) if x
    )
    if contact:
        pdf.cell(0, 5, contact, align="C", new_x="LMARGIN", new_y="NEXT")
    y = pdf.get_y() + 2
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, y, pdf.l_margin + width, y)
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin, y + 1.2, pdf.l_margin + width, y + 1.2)
    pdf.set_y(y + 5)

    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 7, _("SURAT RUJUKAN"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, _("Nomor: %(n)s", n=referral.letter_number), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    sent = referral.sent_at.date() if referral.sent_at else None
    pdf.multi_cell(
        0,
        6,
        _("Kepada Yth.")
        + "\n"
        + (referral.agency.name if referral.agency else "–")
        + ("\n" + referral.agency.address if referral.agency and referral.agency.address else ""),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    pdf.multi_cell(
        0,
        6,
        _(
            "Dengan hormat, bersama ini kami merujuk warga berikut untuk mendapatkan layanan %(s)s.",
            s=referral.service.name,
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)

    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, 7, _("Data warga"), new_x="LMARGIN", new_y="NEXT")
    person = referral.need.person if referral.need and referral.need.person else case.reporter
    if hide_reporter and person is not None and person.id == case.reporter_id:
        person = None
    if person is None:
        _row(pdf, _("Identitas"), _("Dirahasiakan atas permintaan pelapor (laporan anonim)"))
    else:
        _row(pdf, _("Nama"), person.name)
        # Masked on paper too: an authorised officer reveals the full number in the app (audited).
        _row(pdf, _("NIK"), mask(person.nik) if person.nik else _("Belum punya NIK"))
        _row(pdf, _("Tanggal lahir"), local_date(person.birth_date, "long") if person.birth_date else None)
        _row(pdf, _("Jenis kelamin"), str(SEX_LABELS[person.sex]) if person.sex else None)
        household = person.household
        if household is not None:
            address = ", ".join(
                x
                for x in (
                    household.street,
                    f"RT {household.rt}/RW {household.rw}" if household.rt and household.rw else None,
                    household.village.name if household.village else None,
                )
                if x
            )
            _row(pdf, _("Alamat"), address)
            _row(pdf, _("No. KK"), mask(household.kk_number))
            if household.in_dtsen is not None:
                dtsen = (
                    _("Terdaftar, desil %(d)s", d=household.desil or "?")
                    if household.in_dtsen
                    else _("Belum terdaftar")
                )
                _row(pdf, _("DTSEN"), dtsen)
        if person.phone and not hide_reporter:
            _row(pdf, _("Telepon"), person.phone)
    pdf.ln(2)

    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, 7, _("Kebutuhan dan alasan rujukan"), new_x="LMARGIN", new_y="NEXT")
    need = referral.need
    _row(pdf, _("Kebutuhan"), need.category.display_name if need else None)
    if need and need.description:
        _row(pdf, _("Keterangan"), need.description)
    _row(pdf, _("Kriteria terpenuhi"), referral.reason or _("Dinilai oleh petugas desk"))
    if referral.service.required_documents:
        _row(pdf, _("Dokumen"), ", ".join(referral.service.required_documents))
    _row(pdf, _("Prioritas"), _("Mendesak (jalur cepat)") if referral.urgent or case.urgent else _("Biasa"))
    _row(pdf, _("Batas jawaban"), local_date(referral.respond_due, "long") if referral.respond_due else None)
    _row(
        pdf,
        _("Batas penyelesaian"),
        local_date(referral.resolve_due, "long") if referral.resolve_due else None,
    )
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(
        0,
        6,
        _(
            "Mohon rujukan ini diterima atau ditolak dengan alasan sebelum batas jawaban, dan hasilnya "
            "dilaporkan kembali (umpan balik) melalui sistem SLRT. Terima kasih atas kerja samanya."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)

    # QR code and signature side by side.
    top = pdf.get_y()
    if pdf.will_page_break(50):
        pdf.add_page()
        top = pdf.get_y()
    qr = io.BytesIO()
    segno.make(public_status_url(case.tracking_code), error="m").save(qr, kind="png", scale=6, border=2)
    qr.seek(0)
    pdf.image(qr, x=pdf.l_margin, y=top, w=32, h=32)
    pdf.set_xy(pdf.l_margin + 35, top + 4)
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(
        60,
        4,
        _("Pindai untuk melihat status. Kode pelacakan: %(code)s", code=tracking.display(case.tracking_code)),
    )
    pdf.set_xy(pdf.l_margin + width - 65, top)
    pdf.set_font("DejaVu", "", 10)
    place = office.region.name if office and office.region else ""
    pdf.multi_cell(
        65,
        6,
        f"{place}, {local_date(sent, 'long') if sent else ''}\n"
        + _("Petugas/Koordinator")
        + "\n\n\n\n(.................................)",
        align="C",
    )
    return bytes(pdf.output())
