"""Helpers for DTSEN import tests: valid NIKs and CSV files."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from slrt.dtsen.rows import COLUMNS


def nik_for(born: date, sex: str, serial: int, prefix: str = "320405") -> str:
    """A structurally valid NIK: region prefix, birth date (+40 on the day for women), serial."""
    day = born.day + (40 if sex == "P" else 0)
    return f"{prefix}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def row(
    serial: int,
    kk: str = "3204050101200001",
    born: date = date(1980, 5, 17),
    sex: str = "L",
    village: str = "32.04.05.2001",
    desil: object = 3,
    programmes: str = "PKH;BPNT",
    name: str | None = None,
    **overrides: str,
) -> dict[str, str]:
    values = {
        "nik": nik_for(born, sex, serial),
        "no_kk": kk,
        "nama": name if name is not None else f"Warga {serial}",
        "tanggal_lahir": born.isoformat(),
        "jenis_kelamin": sex,
        "kode_desa": village,
        "desil": str(desil),
        "program": programmes,
    }
    values.update(overrides)
    return values


def write_csv(path: Path, rows: list[dict[str, str]], header: tuple[str, ...] = COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(header), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
