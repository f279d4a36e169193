"""DTSEN rows: the columns, reading dates and village codes, and checking each row (`RowChecker`,
plain Python, no database).

One CSV row is one person (columns in `COLUMNS`, documented in the README). The household's
values (village, desil, programmes) repeat on every row of the same No. KK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from slrt.core.nik import check_nik
from slrt.core.workdays import local_today
from slrt.directory.models import Service
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake.visit_form import PROGRAMMES
from slrt.regions.models import LEVEL_VILLAGE, Region

COLUMNS = ("nik", "no_kk", "nama", "tanggal_lahir", "jenis_kelamin", "kode_desa", "desil", "program")


REASON_COLUMN = "alasan"


LINE_COLUMN = "baris"


MAX_NAME = 160


DIGITS16 = re.compile(r"^\d{16}$")


DOTTED_VILLAGE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")


DIGITS_VILLAGE = re.compile(r"^\d{10}$")


ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


LOCAL_DATE = re.compile(r"^(\d{2})[-/](\d{2})[-/](\d{4})$")  # 17-05-1980 or 17/05/1980


class BadHeader(Exception):
    """The file is not a DTSEN export this importer understands; nothing was read."""


@dataclass(slots=True)
class DtsenRow:
    """One valid row, normalised."""

    line: int
    nik: str
    kk: str
    name: str
    birth_date: date
    sex: m.Sex
    village_code: str
    desil: int
    programmes: list[str]  # sorted, upper case
    first_of_kk: bool = False  # the first row of this No. KK in the file


def known_villages() -> set[str]:
    return set(db.session.scalars(sa.select(Region.code).where(Region.level == LEVEL_VILLAGE)))


def known_programmes() -> set[str]:
    """The catalogue's service codes (PKH, BPNT, PBI-JK, PIP, ...), and the desk's own list."""
    return {c.upper() for c in db.session.scalars(sa.select(Service.code))} | set(PROGRAMMES)


def parse_date(text: str) -> date | None:
    """`1980-05-17`, `17-05-1980` or `17/05/1980`; None when it is none of these or no real date."""
    text = text.strip()
    match = ISO_DATE.match(text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        match = LOCAL_DATE.match(text)
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None
    return None


def village_code(text: str) -> str:
    """Dotted Kemendagri code from `32.04.05.2001` or `3204052001`."""
    text = text.strip()
    if DIGITS_VILLAGE.match(text):
        return f"{text[:2]}.{text[2:4]}.{text[4:6]}.{text[6:]}"
    return text


class RowChecker:
    """Checks rows one by one and remembers what the file said before: a NIK appears once, and
    every row of one No. KK agrees on the household's village, desil and programmes."""

    def __init__(self, villages: set[str], programmes: set[str], today: date | None = None):
        self.villages = villages
        self.programmes = programmes
        self.today = today or local_today()
        self.nik_lines: dict[str, int] = {}
        self.households: dict[str, tuple[str, int, list[str], int]] = {}  # kk: village, desil, progs, line

    def check(self, line: int, raw: dict[str, str]) -> tuple[DtsenRow | None, list[str]]:
        """The normalised row, or None and every reason it was rejected."""
        # Long on purpose: one check per column in the file's column order (NIK, No. KK, name, birth date,
        # sex, village, desil, programmes), each adding its reason to the same list, so a rejected row
        # lists every reason at once.
        reasons: list[str] = []
        nik_text = (raw.get("nik") or "").strip()
        nik = None
        nik_check = None
        if not DIGITS16.match(nik_text):
            reasons.append(_("NIK harus 16 digit angka."))
        else:
            nik_check = check_nik(nik_text, today=self.today)
            if nik_check.valid:
                nik = nik_check.nik
            else:
                reasons.extend(nik_check.errors)
        if nik and nik in self.nik_lines:
            reasons.append(_("NIK sudah ada di baris %(line)d berkas ini.", line=self.nik_lines[nik]))

        kk = (raw.get("no_kk") or "").strip()
        if not DIGITS16.match(kk):
            reasons.append(_("No. KK harus 16 digit angka."))

        name = " ".join((raw.get("nama") or "").split())
        if not name:
            reasons.append(_("Nama kosong."))
        elif len(name) > MAX_NAME:
            reasons.append(_("Nama lebih dari %(n)d huruf.", n=MAX_NAME))

        born = parse_date(raw.get("tanggal_lahir") or "")
        if born is None:
            reasons.append(_("Tanggal lahir tidak terbaca; tulis TTTT-BB-HH, misalnya 1980-05-17."))
        elif born > self.today:
            reasons.append(_("Tanggal lahir ada di masa depan."))
        elif nik_check is not None and nik_check.birth_date is not None:
            # The NIK holds only two digits of the year: compare day, month and those two digits.
            in_nik = nik_check.birth_date
            if (born.day, born.month, born.year % 100) != (in_nik.day, in_nik.month, in_nik.year % 100):
                reasons.append(_("Tanggal lahir tidak sesuai dengan tanggal lahir di NIK."))

        sex_text = (raw.get("jenis_kelamin") or "").strip().upper()
        sex = m.Sex(sex_text) if sex_text in ("L", "P") else None
        if sex is None:
            reasons.append(_("Jenis kelamin harus L atau P."))
        elif nik_check is not None and nik_check.sex and nik_check.sex != sex.value:
            reasons.append(
                _(
                    "Jenis kelamin tidak sesuai dengan NIK "
                    "(untuk perempuan, tanggal lahir di NIK ditambah 40)."
                )
            )

        code = village_code(raw.get("kode_desa") or "")
        if not DOTTED_VILLAGE.match(code) or code not in self.villages:
            reasons.append(_("Kode desa/kelurahan tidak dikenal."))

        desil_text = (raw.get("desil") or "").strip()
        desil = int(desil_text) if desil_text.isdecimal() else None
        if desil is None or not 1 <= desil <= 10:
            reasons.append(_("Desil harus angka 1 sampai 10."))

        programmes = sorted({p.strip().upper() for p in (raw.get("program") or "").split(";") if p.strip()})
        unknown = [p for p in programmes if p not in self.programmes]
        if unknown:
            reasons.append(_("Kode program tidak dikenal: %(codes)s.", codes=", ".join(unknown)))

        if not reasons and kk in self.households:
            known_village, known_desil, known_programmes, first = self.households[kk]
            if (code, desil, programmes) != (known_village, known_desil, known_programmes):
                reasons.append(
                    _(
                        "Desa, desil atau program berbeda dengan baris %(line)d yang No. KK-nya sama.",
                        line=first,
                    )
                )
        if reasons or nik is None or born is None or sex is None or desil is None:  # None gave a reason
            return None, reasons
        first_of_kk = kk not in self.households
        if first_of_kk:
            self.households[kk] = (code, desil, programmes, line)
        self.nik_lines[nik] = line
        return (
            DtsenRow(line, nik, kk, name, born, sex, code, desil, programmes, first_of_kk=first_of_kk),
            [],
        )
