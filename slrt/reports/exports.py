"""CSV and XLSX files of any list, written in constant memory.

CSV: UTF-8 with a byte-order mark (Excel then reads the accents right), one row at a time from a
streamed query. XLSX: openpyxl's write-only workbook, which keeps rows on disk rather than in
memory; the file is then sent in chunks.

A CSV cell that a spreadsheet would read as a formula (starting with = + - @, a tab or a carriage
return) gets a leading apostrophe. In XLSX every text is stored as a text cell instead, which
no spreadsheet runs and which shows no apostrophe ("+62812..." stays a phone number); dates are
real dates (day first), each column has a width and the header row stays in view.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from slrt.core.workdays import JAKARTA

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows fetched per round trip while streaming; memory stays flat whatever the list's length.
YIELD_PER = 1000
# Day first, as the desk reads dates (slrt.core.web.DATE_PATTERNS).
XLSX_DATETIME = "dd/mm/yyyy hh:mm"
XLSX_DATE = "dd/mm/yyyy"
XLSX_MONTH = "mm/yyyy"
CSV_DATETIME = "%Y-%m-%d %H:%M"


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet could run as a formula is made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def local(value: datetime) -> datetime:
    """A stored (UTC) timestamp as the office's wall-clock time: spreadsheets know no zones."""
    return value.astimezone(JAKARTA).replace(tzinfo=None) if value.tzinfo else value


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local(value).strftime(CSV_DATETIME)
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


def csv_chunks(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """The CSV file, a few rows per chunk, BOM first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([neutralise(h) for h in header])
    for i, row in enumerate(rows, 1):
        writer.writerow([_csv_value(v) for v in row])
        if i % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@dataclass
class Sheet:
    """One worksheet: its title (31 characters at most in Excel), header, rows and the width
    of each column in characters (None: from the header), and number formats by column."""

    title: str
    header: list[str]
    rows: Iterable[list[Any]]
    widths: Sequence[int | None] = ()
    formats: dict[int, str] = field(default_factory=dict)  # column index -> number format


def xlsx_file(
    header: list[str], rows: Iterable[list[Any]], title: str = "Data", widths: Sequence[int | None] = ()
) -> tempfile.SpooledTemporaryFile:
    """The XLSX workbook of one sheet in a temporary file (rewound), written row by row."""
    return xlsx_book([Sheet(title, header, rows, widths)])


def xlsx_book(sheets: list[Sheet]) -> tempfile.SpooledTemporaryFile:
    """The XLSX workbook of several sheets, each written row by row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for spec in sheets:
        sheet = book.create_sheet(title=spec.title[:31] or "Data")
        # Write-only sheets take widths and panes before the first row.
        for i, h in enumerate(spec.header):
            given = spec.widths[i] if i < len(spec.widths) else None
            sheet.column_dimensions[get_column_letter(i + 1)].width = given or max(10, len(h) + 2)
        sheet.freeze_panes = "A2"
        head = []
        for h in spec.header:
            cell = _xlsx_cell(sheet, WriteOnlyCell, h)
            cell.font = bold
            head.append(cell)
        sheet.append(head)
        for row in spec.rows:
            cells = [_xlsx_cell(sheet, WriteOnlyCell, v) for v in row]
            for i, number_format in spec.formats.items():
                cells[i].number_format = number_format
            sheet.append(cells)
    # Closed by file_chunks once sent; rows past 1 MB spill to disk.
    out = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115
    book.save(out)
    out.seek(0)
    return out


def _xlsx_cell(sheet: Any, cell_class: Any, value: Any) -> Any:
    if value is None:
        value = ""
    if isinstance(value, datetime):
        value = local(value)
    cell = cell_class(sheet, value=value)
    if isinstance(value, str):
        # A text cell, never a formula (openpyxl reads "=..." as one) and without an apostrophe.
        cell.data_type = "s"
    elif isinstance(value, datetime):
        cell.number_format = XLSX_DATETIME
    elif isinstance(value, date):
        cell.number_format = XLSX_DATE
    return cell


def file_chunks(fileobj: Any, size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := fileobj.read(size):
            yield chunk
    finally:
        fileobj.close()
