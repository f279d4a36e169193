"""Test data for letters: an office with a full letterhead, signers, a referral sent at a frozen
moment, and the PDF's text read with pdftotext."""

from __future__ import annotations

import io
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from slrt.extensions import db
from slrt.intake import models as m
from slrt.referrals import transitions
from slrt.referrals.models import Referral
from slrt.referrals.models import ReferralStatus as S
from tests import factories


def logo_png(colour: str = "#1b5e20") -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (120, 140), "white")
    draw = ImageDraw.Draw(image)
    draw.polygon([(60, 4), (116, 30), (100, 120), (60, 136), (20, 120), (4, 30)], fill=colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def dress_village_office(world: factories.World) -> None:
    """PKS-A as a real desk: contacts, its head, the copies, a logo; the coordinator a village
    secretary without NIP, the SLRT officer a civil servant."""
    office = world.office_a
    office.name = "Puskesos Cileunyi Kulon"
    office.address = "Jl. Raya Cileunyi No. 12, Cileunyi, Bandung 40621"
    office.phone = "022-7798123"
    office.email = "puskesos.cileunyikulon@bandungkab.go.id"
    office.head_title = "Kepala Desa Cileunyi Kulon"
    office.tembusan = "Kepala Dinas Sosial Kabupaten Bandung\nCamat Cileunyi\nArsip"
    office.logo, office.logo_type = logo_png(), "image/png"
    coordinator = world.users["coordinator_a"]
    coordinator.name, coordinator.position = "Dede Kurniawan", "Sekretaris Desa"
    slrt = world.users["slrt"]
    slrt.name, slrt.position, slrt.nip = "Drs. Asep Mulyana", "Kepala Dinas Sosial", "197203151998031004"
    world.slrt_office.name = "Sekretariat SLRT Kabupaten Bandung"
    world.slrt_office.head_title = "Kepala Dinas Sosial"
    db.session.flush()


def send_at(referral: Referral, actor, moment: datetime, monkeypatch) -> None:
    """Sends the referral as `actor` with the clock frozen at `moment` (aware UTC)."""
    monkeypatch.setattr(transitions, "utcnow", lambda: moment)
    transitions.transition(referral, S.SENT, actor)  # its day: the village's, at `moment`
    db.session.commit()


def scan(case: m.Case, kind: m.AttachmentKind) -> None:
    db.session.add(
        m.Attachment(
            case=case,
            kind=kind,
            original_name=f"{kind.value}.jpg",
            stored_name=f"{kind.value}-{case.id}.jpg",
            content_type="image/jpeg",
            size=10,
        )
    )
    db.session.flush()


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as pdftotext lays it out (a label and its value on one line), runs of
    white space made one space."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    return " ".join(out.split())


def pdf_images(pdf: bytes) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True)
    return len(out.stdout.splitlines()) - 2  # two header lines
