"""DTSEN files: reading the CSV, counting its rows, and the rejects file (rows refused, with why)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from slrt.dtsen.rows import COLUMNS, LINE_COLUMN, REASON_COLUMN, BadHeader


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by lower-case column name); raises BadHeader when columns are missing."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise BadHeader(_("Berkas kosong."))
        names = [h.strip().lower() for h in header]
        missing = [c for c in COLUMNS if c not in names]
        if missing:
            raise BadHeader(
                _(
                    "Kolom wajib tidak ada: %(cols)s. Baris pertama harus: %(all)s.",
                    cols=", ".join(missing),
                    all=",".join(COLUMNS),
                )
            )
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            yield reader.line_num, dict(zip(names, values, strict=False))


def count_rows(path: Path) -> int:
    """Data lines in the file, for the progress bar (blank lines are counted too: close enough)."""
    with path.open("rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


class RejectWriter:
    """The rejected rows with their reasons, as CSV (UTF-8 with BOM for Excel); opened lazily so
    a clean import leaves no file behind."""

    def __init__(self, path: Path):
        self.path = path
        self._handle: Any = None
        self._writer: Any = None
        self.count = 0

    def write(self, line: int, raw: dict[str, str], reasons: list[str]) -> None:
        if self._writer is None:
            self._handle = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow([LINE_COLUMN, *COLUMNS, REASON_COLUMN])
        self._writer.writerow([line, *(_neutral(raw.get(c, "")) for c in COLUMNS), " ".join(reasons)])
        self.count += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def _neutral(cell: str) -> str:
    # The rejects file is opened in a spreadsheet: a cell starting with = + - @ would be a formula.
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


def default_rejects_path(path: Path) -> Path:
    return path.with_name(path.stem + ".rejected.csv")
