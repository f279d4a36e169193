"""Demo step for issue 17: letterheads (contacts, the head's position, copies and a drawn
regional logo) on every desk and the secretariat, signers with positions (and a NIP for the
civil servant), and the letters of the sent referrals issued, each with its verification page.
Fields an administrator has filled are left as they are."""

from __future__ import annotations

import io

import sqlalchemy as sa

from slrt.accounts.models import User
from slrt.directory.models import Office, OfficeKind
from slrt.extensions import db
from slrt.referrals.models import Referral
from slrt.referrals.verification import issue

SIGNERS = {
    # username: (position, NIP); village staff have no NIP.
    "koordinator": ("Sekretaris Desa Cileunyi Kulon", None),
    "desk": ("Operator Puskesos", None),
    "desk.wetan": ("Operator Puskesos", None),
    "slrt": ("Kepala Bidang Perlindungan dan Jaminan Sosial", "197506122000031003"),
}


def logo_png(colour: tuple[int, int, int]) -> bytes:
    """A plain shield in the regency's colours, standing in for the official emblem."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (180, 210), "white")
    draw = ImageDraw.Draw(image)
    shield = [(90, 6), (172, 40), (156, 160), (90, 204), (24, 160), (8, 40)]
    draw.polygon(shield, fill=colour, outline=(212, 175, 55), width=6)
    draw.regular_polygon((90, 92, 34), 5, rotation=0, fill=(212, 175, 55))
    draw.rectangle((52, 140, 128, 152), fill=(212, 175, 55))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _dress(office: Office) -> None:
    village = office.region.name if office.region else ""
    if office.kind is OfficeKind.PUSKESOS:
        head = ("Lurah " if office.region and office.region.kind == "kelurahan" else "Kepala Desa ") + village
        defaults = {
            "address": f"Jl. Raya Cileunyi, Kantor Desa {village}, Kecamatan Cileunyi, Kabupaten Bandung",
            "email": f"puskesos.{village.lower().replace(' ', '')}@bandungkab.go.id",
            "head_title": head,
            "tembusan": "Kepala Dinas Sosial Kabupaten Bandung\nCamat Cileunyi\nArsip",
        }
    else:
        defaults = {
            "address": "Jl. Raya Soreang Km 17, Soreang, Kabupaten Bandung 40911",
            "email": "slrt@dinsos.bandungkab.go.id",
            "head_title": "Kepala Dinas Sosial Kabupaten Bandung",
            "tembusan": "Bupati Bandung\nArsip",
        }
    for name, value in defaults.items():
        if not getattr(office, name):
            setattr(office, name, value)
    if office.logo_type is None:
        office.logo, office.logo_type = logo_png((27, 94, 32)), "image/png"


def seed(ctx: dict) -> None:
    for office in db.session.scalars(sa.select(Office)):
        _dress(office)
    for username, (position, nip) in SIGNERS.items():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is not None and user.position is None:
            user.position, user.nip = position, nip
    db.session.flush()
    sent = db.session.scalars(
        sa.select(Referral).where(Referral.letter_number.is_not(None)).order_by(Referral.id)
    ).all()
    letters = [issue(r) for r in sent]
    db.session.flush()
    ctx["letters"] = [(letter.number, letter.code) for letter in letters[:3]]
