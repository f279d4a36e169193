"""The queue ticket as an 80 mm slip for the desk's thermal printer (drawn with the receipt's
machinery, slrt.intake.receipt): the office, the number large, fast track or not, the time on
the office's own clock. No name: a ticket is left on chairs and picked up by others."""

from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _

from slrt.core.timezones import local_moment, zone_name
from slrt.intake.receipt import new_pdf, office_lines
from slrt.queue.models import FAST_TRACK_REASON_LABELS, QueueTicket

SLIP_HEIGHT = 120.0  # mm of roll: the slip is cut after the last line


def issued_text(ticket: QueueTicket) -> str:
    """ "2 Desember 2026 08.05 WIB": the moment the number was given, on the office's clock."""
    region = ticket.office.region_code
    moment = local_moment(ticket.created_at, region)
    return f"{format_date(moment.date(), 'd MMMM yyyy')} {moment:%H.%M} {zone_name(region)}"


def ticket_pdf(ticket: QueueTicket, waiting_before: int) -> bytes:
    """The slip as PDF bytes; `waiting_before`: how many are called before this ticket."""
    pdf, margin = new_pdf("80mm", _("Nomor antrean %(number)s", number=ticket.number), SLIP_HEIGHT)
    body = pdf.w - 2 * margin

    def line(text: str, size_pt: float = 8.5, style: str = "", gap: float = 1.0) -> None:
        pdf.set_font("DejaVu", style, size_pt)
        pdf.multi_cell(body, size_pt * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    line(_("NOMOR ANTREAN"), 11.5, "B")
    for text in office_lines(ticket.office):
        line(text, 8, "", 0.3)
    pdf.ln(2)
    pdf.set_font("DejaVuMono", "B", 40)
    pdf.cell(body, 18, ticket.number, align="C", new_x="LMARGIN", new_y="NEXT")
    if ticket.fast_track:
        reason = FAST_TRACK_REASON_LABELS.get(ticket.fast_track_reason) if ticket.fast_track_reason else None
        line(_("JALUR CEPAT") + (f" · {reason}" if reason else ""), 10, "B")
    line(_("Diambil: %(when)s", when=issued_text(ticket)))
    line(_("Antrean sebelum Anda: %(n)d", n=waiting_before))
    pdf.ln(1)
    line(_("Tunggu sampai nomor Anda dipanggil dan tampil di layar antrean."), 8)
    line(_("Nomor ini berlaku hari ini saja."), 7.5, "", 0)
    return bytes(pdf.output())
