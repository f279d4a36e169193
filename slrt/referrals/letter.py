"""The referral letter (surat rujukan) as a PDF, drawn to the tata naskah dinas of regional
government: the letterhead of the office's region (PEMERINTAH KABUPATEN ... / KECAMATAN ... /
DESA ..., or DINAS SOSIAL for an SLRT secretariat) with its logo and contacts; place and date
on the office's own clock; Nomor, Sifat, Lampiran and Hal; the addressee; the citizen's details
the agency needs (the reporter hidden when the case is anonymous); the need and the reasons of
this referral in sentences; the documents held and missing; the signer's position, name and
NIP, "a.n." when signing for the office's head; the copies (tembusan); and a QR code to the
public verification page of the letter."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import segno
from flask_babel import gettext as _
from fpdf import FPDF

from slrt.core import tracking
from slrt.core.crypto import mask
from slrt.core.timezones import local_day
from slrt.core.web import local_date, public_verify_url
from slrt.directory.models import NeedCategory, Office, OfficeKind
from slrt.extensions import db
from slrt.intake.models import ATTACHMENT_KIND_LABELS, SEX_LABELS, AttachmentKind
from slrt.referrals.models import Referral, ReferralStatus
from slrt.referrals.queries import office_of
from slrt.regions.models import LEVEL_DISTRICT, LEVEL_REGENCY, LEVEL_VILLAGE
from slrt.regions.services import region_path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# fpdf2's font subsetting logs every glyph at INFO; the app logs at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)
# Needs whose letters are confidential (Sifat: Rahasia): violence and the protection of children.
SECRET_NEEDS = frozenset({"kekerasan"})
# The required documents a case attachment stands for ("KTP" in a service's list is held when
# the desk scanned the KTP).
DOCUMENT_KINDS = {"KTP": AttachmentKind.KTP, "KK": AttachmentKind.KK, "KARTU KELUARGA": AttachmentKind.KK}
COUNT_WORDS = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")


@dataclass
class Signer:
    """Who signs: the officer who sent (or approved) the letter, with the office's head when
    that officer signs on the head's behalf."""

    name: str
    position: str
    nip: str | None
    on_behalf_of: str | None  # the head's position after "a.n."


def letterhead_lines(office: Office | None) -> list[str]:
    """PEMERINTAH KABUPATEN BANDUNG / KECAMATAN CILEUNYI / DESA CILEUNYI KULON for a village
    desk; PEMERINTAH KABUPATEN BANDUNG / DINAS SOSIAL for the SLRT secretariat; KOTA where the
    regency is a city, KELURAHAN where the village is one."""
    if office is None:
        return [_("SEKRETARIAT SLRT")]
    path = {r.level: r for r in region_path(office.region_code)}
    lines = []
    regency = path.get(LEVEL_REGENCY)
    if regency is not None:
        lines.append(_("PEMERINTAH %(regency)s", regency=regency.name).upper())
    if office.kind is OfficeKind.SLRT:
        lines.append(_("DINAS SOSIAL"))
        return lines
    district, village = path.get(LEVEL_DISTRICT), path.get(LEVEL_VILLAGE)
    if district is not None:
        lines.append(_("KECAMATAN %(name)s", name=district.name).upper())
    if village is not None:
        kind = _("KELURAHAN") if village.kind == "kelurahan" else _("DESA")
        lines.append(f"{kind} {village.name}".upper())
    return lines or [office.name.upper()]


def place_name(office: Office | None) -> str:
    """The place before the date: the village of a desk, the regency (without "Kabupaten") of
    a secretariat."""
    if office is None or office.region is None:
        return ""
    name = office.region.name
    for prefix in ("Kabupaten ", "Kota "):
        if office.region.level == LEVEL_REGENCY and name.startswith(prefix):
            return name[len(prefix) :]
    return name


def letter_day(referral: Referral) -> date | None:
    """The letter's date: the day it was sent, on the office's own clock (WIB, WITA or WIT)."""
    if referral.sent_at is None:
        return None
    office = office_of(referral)
    return local_day(referral.sent_at, office.region_code if office else referral.village_code)


def nature(referral: Referral) -> str:
    """Sifat: Rahasia for violence cases, Segera for the fast track, else Biasa."""
    need = referral.need
    if (need is not None and need.category_code in SECRET_NEEDS) or referral.case.confidential:
        return _("Rahasia")
    if referral.urgent or referral.case.urgent:
        return _("Segera")
    return _("Biasa")


def count_words(n: int) -> str:
    return f"{n} ({COUNT_WORDS[n]})" if n < len(COUNT_WORDS) else str(n)


def documents(referral: Referral) -> tuple[list[str], list[str]]:
    """The service's required documents the desk holds (scanned on the case) and those missing."""
    kinds = {a.kind for a in referral.case.attachments}
    held: list[str] = []
    missing: list[str] = []
    for name in referral.service.required_documents or []:
        kind = DOCUMENT_KINDS.get(name.strip().upper())
        (held if kind is not None and kind in kinds else missing).append(name)
    return held, missing


def need_sentences(referral: Referral) -> list[str]:
    """The need this referral answers, in sentences. A prerequisite (ADMINDUK before BPNT) names
    its own need, not the need it unlocks."""
    need = referral.need
    own = need is not None and need.category_code in (referral.service.needs or [need.category_code])
    if own:
        category = need.category
    else:
        codes = referral.service.needs or []
        category = db.session.get(NeedCategory, codes[0]) if codes else None
    sentences = []
    if category is not None:
        sentences.append(_("Kebutuhan warga yang dirujuk: %(need)s.", need=category.display_name))
    if own and need.description:
        sentences.append(_sentence(need.description))
    prerequisite = (
        db.session.get(Referral, referral.prerequisite_of_id) if referral.prerequisite_of_id else None
    )
    if prerequisite:
        sentences.append(
            _(
                "Layanan ini diperlukan lebih dulu agar rujukan layanan %(service)s dapat diproses.",
                service=prerequisite.service.name,
            )
        )
    return sentences


def reason_sentences(referral: Referral) -> list[str]:
    """Why this service, from the routing reasons ("Desil 1-4; belum menerima BPNT") as sentences."""
    if not referral.reason:
        return [_("Layanan ini dipilih oleh petugas desk setelah wawancara dengan warga.")]
    parts = [p.strip() for p in referral.reason.replace("\n", ";").split(";") if p.strip()]
    return [_("Warga dirujuk ke layanan ini karena:")] + [_sentence(p) for p in parts]


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[0].upper() + text[1:] if text else text
    return text if text.endswith((".", "!", "?")) else text + "."


def signer_of(referral: Referral) -> Signer | None:
    """The officer who sent the letter (the coordinator who approved it, where approval is
    required), with "a.n." the office's head when the officer is not the head."""
    sent = [e for e in referral.events if e.to_status is ReferralStatus.SENT and e.actor is not None]
    if not sent:
        return None
    user = sent[-1].actor
    office = office_of(referral)
    position = user.position or _("Petugas %(office)s", office=office.name if office else "SLRT")
    head = office.head_title if office else None
    on_behalf = head if head and head.strip().lower() != position.strip().lower() else None
    return Signer(name=user.name, position=position, nip=user.nip, on_behalf_of=on_behalf)


def tembusan(office: Office | None) -> list[str]:
    """The copies: the office's own list, else the archive."""
    lines = [x.strip() for x in (office.tembusan or "").splitlines() if x.strip()] if office else []
    return lines or [_("Arsip")]


class _Letter:
    """The page and its cursor, drawn block by block in reading order."""

    def __init__(self) -> None:
        pdf = FPDF(format="A4")
        pdf.set_margins(25, 15, 20)
        pdf.set_auto_page_break(True, 18)
        pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        pdf.add_page()
        self.pdf = pdf
        self.width = pdf.w - pdf.l_margin - pdf.r_margin

    def text(self, text: str, size: float = 10.5, style: str = "", align: str = "L", h: float = 5.5) -> None:
        self.pdf.set_font("DejaVu", style, size)
        self.pdf.multi_cell(0, h, text, align=align, new_x="LMARGIN", new_y="NEXT")

    def row(self, label: str, value: str | None, indent: float = 0, label_width: float = 42) -> None:
        pdf = self.pdf
        pdf.set_font("DejaVu", "", 10.5)
        pdf.set_x(pdf.l_margin + indent)
        pdf.cell(label_width, 5.5, label)
        pdf.cell(4, 5.5, ":")
        pdf.multi_cell(0, 5.5, value or "–", align="L", new_x="LMARGIN", new_y="NEXT")


def _letterhead(page: _Letter, office: Office | None) -> None:
    pdf = page.pdf
    top = pdf.get_y()
    if office is not None and office.logo:
        # Checked when uploaded (slrt.directory.services.check_logo): a PNG or JPEG fpdf reads.
        pdf.image(io.BytesIO(office.logo), x=pdf.l_margin, y=top, h=24)
    lines = letterhead_lines(office)
    pdf.set_xy(pdf.l_margin + 22, top)
    for i, line in enumerate(lines):
        pdf.set_x(pdf.l_margin + 22)
        pdf.set_font("DejaVu", "B", 13 if i == 0 else 14.5)
        pdf.cell(page.width - 22, 6.5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8.5)
    contacts = []
    if office is not None:
        if office.address:
            contacts.append(office.address)
        phone_mail = " · ".join(
            x
            for x in (
                _("Telepon %(phone)s", phone=office.phone) if office.phone else None,
                _("Pos-el %(email)s", email=office.email) if office.email else None,
            )
            if x
        )
        if phone_mail:
            contacts.append(phone_mail)
    for line in contacts:
        pdf.set_x(pdf.l_margin + 22)
        pdf.cell(page.width - 22, 4.5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    y = max(pdf.get_y(), top + 25) + 1.5
    pdf.set_line_width(0.9)
    pdf.line(pdf.l_margin, y, pdf.l_margin + page.width, y)
    pdf.set_line_width(0.25)
    pdf.line(pdf.l_margin, y + 1.2, pdf.l_margin + page.width, y + 1.2)
    pdf.set_y(y + 5)


def _citizen(page: _Letter, referral: Referral, hide_reporter: bool) -> None:
    """The citizen's block."""
    case = referral.case
    person = referral.need.person if referral.need and referral.need.person else case.reporter
    if hide_reporter and person is not None and person.id == case.reporter_id:
        person = None
    if person is None:
        page.row(_("Identitas"), _("Dirahasiakan atas permintaan pelapor (laporan anonim)"), indent=8)
        return
    page.row(_("Nama"), person.name, indent=8)
    # Masked on paper too: an authorised officer reveals the full number in the app (audited).
    page.row(_("NIK"), mask(person.nik) if person.nik else _("Belum punya NIK"), indent=8)
    page.row(
        _("Tanggal lahir"), local_date(person.birth_date, "long") if person.birth_date else None, indent=8
    )
    page.row(_("Jenis kelamin"), str(SEX_LABELS[person.sex]) if person.sex else None, indent=8)
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
        page.row(_("Alamat"), address, indent=8)
        page.row(_("No. KK"), mask(household.kk_number), indent=8)
        if household.in_dtsen is not None:
            dtsen = (
                _("Terdaftar, desil %(d)s", d=household.desil or "?")
                if household.in_dtsen
                else _("Belum terdaftar")
            )
            page.row(_("DTSEN"), dtsen, indent=8)
    if person.phone and not hide_reporter:
        page.row(_("Telepon"), person.phone, indent=8)


def render_letter(referral: Referral, hide_reporter: bool, code: str | None = None) -> bytes:
    """The letter as PDF bytes; `code` is the verification code its QR carries (None: no QR,
    for a letter not yet issued)."""
    # Long on purpose: the letter is drawn top to bottom in one pass, a block per part in reading
    # order; fpdf keeps the cursor, so split functions would pass the page along for nothing.
    office = office_of(referral)
    page = _Letter()
    pdf = page.pdf
    _letterhead(page, office)

    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 6, _("SURAT RUJUKAN"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    day = letter_day(referral)
    top = pdf.get_y()
    pdf.set_font("DejaVu", "", 10.5)
    pdf.set_xy(pdf.l_margin + page.width - 70, top)
    pdf.cell(70, 5.5, f"{place_name(office)}, {local_date(day, 'long') if day else ''}", align="R")
    pdf.set_xy(pdf.l_margin, top)
    person = referral.need.person if referral.need and referral.need.person else referral.case.reporter
    hidden = person is None or (hide_reporter and person.id == referral.case.reporter_id)
    citizen = _("warga (dirahasiakan)") if hidden else person.name
    held, missing = documents(referral)
    attachments = [a for a in referral.case.attachments if a.kind is not AttachmentKind.HOUSE]
    page.row(_("Nomor"), referral.letter_number, label_width=20)
    page.row(_("Sifat"), nature(referral), label_width=20)
    page.row(
        _("Lampiran"),
        _("%(n)s berkas", n=count_words(len(attachments))) if attachments else "–",
        label_width=20,
    )
    page.row(
        _("Hal"),
        _("Rujukan layanan %(service)s a.n. %(name)s", service=referral.service.code, name=citizen),
        label_width=20,
    )
    pdf.ln(4)

    agency = referral.agency
    page.text(_("Yth. Pimpinan %(agency)s", agency=agency.name if agency else "–"))
    if agency and agency.address:
        page.text(agency.address)
    page.text(_("di tempat"))
    pdf.ln(3)
    page.text(
        _(
            "Dengan hormat, bersama ini kami merujuk warga berikut untuk mendapatkan layanan %(s)s:",
            s=referral.service.name,
        ),
        align="J",
    )
    pdf.ln(1)
    _citizen(page, referral, hide_reporter)
    pdf.ln(2)

    page.text(" ".join(need_sentences(referral)), align="J")
    pdf.ln(1)
    page.text(" ".join(reason_sentences(referral)), align="J")
    pdf.ln(1)
    if held:
        page.text(_("Dokumen yang sudah ada: %(docs)s.", docs=", ".join(held)))
    if missing:
        page.text(_("Dokumen yang belum ada: %(docs)s.", docs=", ".join(missing)))
    if attachments:
        names = ", ".join(str(ATTACHMENT_KIND_LABELS[a.kind]) for a in attachments)
        page.text(_("Salinan yang dilampirkan: %(docs)s.", docs=names))
    pdf.ln(1)
    if referral.respond_due:
        deadlines = _(
            "Mohon rujukan ini diterima atau ditolak dengan alasan paling lambat %(respond)s",
            respond=local_date(referral.respond_due, "long"),
        )
        if referral.resolve_due:
            deadlines += _(
                ", dan layanan diselesaikan paling lambat %(resolve)s",
                resolve=local_date(referral.resolve_due, "long"),
            )
        page.text(deadlines + ".", align="J")
    page.text(
        _(
            "Hasilnya mohon dilaporkan kembali (umpan balik) melalui sistem SLRT. Demikian surat ini "
            "kami sampaikan; atas perhatian dan kerja samanya kami ucapkan terima kasih."
        ),
        align="J",
    )
    pdf.ln(5)

    # The signature block on the right, the QR code on the left.
    if pdf.will_page_break(55):
        pdf.add_page()
    top = pdf.get_y()
    signer = signer_of(referral)
    block_x, block_w = pdf.l_margin + page.width - 78, 78
    pdf.set_xy(block_x, top)
    lines = []
    if signer and signer.on_behalf_of:
        lines.append(_("a.n. %(head)s", head=signer.on_behalf_of))
    lines.append(signer.position if signer else _("Petugas/Koordinator"))
    pdf.set_font("DejaVu", "", 10.5)
    pdf.multi_cell(block_w, 5.5, "\n".join(lines), align="C", new_x="LEFT", new_y="NEXT")
    pdf.ln(18)
    pdf.set_x(block_x)
    pdf.set_font("DejaVu", "BU", 10.5)
    pdf.cell(block_w, 5.5, signer.name if signer else "(.................................)", align="C")
    pdf.ln(5.5)
    if signer and signer.nip:
        pdf.set_x(block_x)
        pdf.set_font("DejaVu", "", 10.5)
        pdf.cell(block_w, 5.5, _("NIP %(nip)s", nip=signer.nip), align="C")
        pdf.ln(5.5)
    if code is not None:
        # The QR code left of the signature: it opens the letter's verification page.
        qr = io.BytesIO()
        segno.make(public_verify_url(code), error="m").save(qr, kind="png", scale=6, border=2)
        qr.seek(0)
        pdf.image(qr, x=pdf.l_margin, y=top, w=30, h=30)
        pdf.set_y(max(pdf.get_y(), top + 30))
    pdf.ln(4)
    page.text(_("Tembusan:"), size=9.5, h=4.8)
    for i, line in enumerate(tembusan(office), 1):
        page.text(f"{i}. {line}", size=9.5, h=4.8)
    if code is not None:
        # The verification address in the page's foot, as electronic letters carry it.
        pdf.set_auto_page_break(False)
        pdf.set_y(-14)
        pdf.set_font("DejaVu", "", 7.5)
        pdf.multi_cell(
            0,
            3.6,
            _(
                "Keaslian surat ini dapat diperiksa dengan memindai kode QR atau membuka %(url)s "
                "(kode verifikasi %(code)s).",
                url=public_verify_url(code),
                code=tracking.display(code),
            ),
            align="C",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())
