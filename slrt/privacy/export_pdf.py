"""The data-subject export as a PDF a citizen can take home: the same content as the JSON."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from fpdf import FPDF

from slrt.intake.receipt import FONT_DIR


class _Pdf(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.cell(0, 6, _("Halaman %(n)s · rahasia: data pribadi (UU 27/2022)", n=self.page_no()), align="C")


def _text(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("ya") if value else _("tidak")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    return str(value)


def render(data: dict[str, Any]) -> bytes:
    # Long on purpose: the PDF is drawn top to bottom in one pass, a block per section of the export in
    # reading order; fpdf keeps the cursor between blocks.
    pdf = _Pdf(unit="mm", format="A4")
    pdf.set_margins(16, 16, 16)
    pdf.set_auto_page_break(True, 16)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(_("Data pribadi dan jejak pemrosesan"))
    pdf.add_page()

    def heading(text: str, size: int = 12) -> None:
        pdf.set_font("DejaVu", "B", size)
        pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)

    def rows(values: dict[str, Any], skip: tuple[str, ...] = ()) -> None:
        pdf.set_font("DejaVu", "", 9)
        for key, value in values.items():
            if key in skip or (isinstance(value, (dict, list)) and key not in ("programmes",)):
                continue
            pdf.multi_cell(0, 5, f"{key}: {_text(value)}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    heading(_("Data pribadi dan jejak pemrosesan"), 15)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(
        0,
        5,
        _(
            "Salinan seluruh data yang disimpan tentang warga ini dan siapa yang melihat atau "
            "mengubahnya (UU 27/2022 Pasal 7 dan 32). Dibuat %(at)s oleh %(by)s.",
            at=data["generated_at"],
            by=data["generated_by"],
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    heading(_("Warga"))
    rows(data["person"])
    if data["household"]:
        heading(_("Keluarga"))
        rows(data["household"])
    heading(_("Persetujuan (%(n)d)", n=len(data["consents"])))
    for consent in data["consents"]:
        rows(consent)
    heading(_("Kasus (%(n)d)", n=len(data["cases"])))
    for case in data["cases"]:
        pdf.set_font("DejaVu", "B", 10)
        pdf.multi_cell(0, 6, _("Kasus %(code)s", code=case["tracking_code"]), new_x="LMARGIN", new_y="NEXT")
        rows(case)
        for need in case["needs"]:
            pdf.multi_cell(
                0,
                5,
                _("Kebutuhan: %(c)s %(d)s", c=need["category"], d=_text(need["description"])),
                new_x="LMARGIN",
                new_y="NEXT",
            )
        for item in case["attachments"]:
            pdf.multi_cell(
                0,
                5,
                _("Lampiran: %(k)s, %(n)s", k=item["kind"], n=item["name"]),
                new_x="LMARGIN",
                new_y="NEXT",
            )
        for referral in case["referrals"]:
            pdf.set_font("DejaVu", "B", 9)
            pdf.multi_cell(
                0,
                5,
                _("Rujukan %(s)s ke %(a)s", s=_text(referral["service"]), a=_text(referral["agency"])),
                new_x="LMARGIN",
                new_y="NEXT",
            )
            rows(referral)
            for event in referral["events"]:
                pdf.multi_cell(
                    0,
                    5,
                    f"  {event['at']} · {_text(event['from'])} → {event['to']} · {_text(event['by'])}",
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
        pdf.ln(2)
    heading(_("Perubahan data (%(n)d)", n=len(data["changes"])))
    for change in data["changes"]:
        pdf.multi_cell(
            0,
            5,
            f"{change['at']} · {change['field']}: {_text(change['old'])} → {_text(change['new'])}"
            f" · {_text(change['by'])}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(2)
    heading(_("Jejak pemrosesan: siapa melihat atau mengubah (%(n)d)", n=len(data["trail"])))
    for event in data["trail"]:
        pdf.multi_cell(
            0,
            5,
            f"{event['at']} · {event['action']} · {_text(event['by'])} · IP {_text(event['ip'])}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())
