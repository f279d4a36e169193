"""CSV and XLSX files of any list, written in constant memory.

CSV: UTF-8 with a byte-order mark (Excel then reads the accents right), one row at a time from a
streamed query. XLSX: openpyxl's write-only workbook, which keeps rows on disk rather than in
memory; the file is then sent in chunks. A cell that a spreadsheet would read as a formula
(starting with = + - @, a tab or a carriage return) gets a leading apostrophe, in both formats.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows fetched per round trip while streaming; memory stays flat whatever the list's length.
YIELD_PER = 1000


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet could run as a formula is made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """The CSV file, a few rows per chunk, BOM first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([neutralise(h) for h in header])
    for i, row in enumerate(rows, 1):
        writer.writerow(["" if v is None else neutralise(v) for v in row])
        if i % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_file(
    header: list[str], rows: Iterable[list[Any]], title: str = "Data"
) -> tempfile.SpooledTemporaryFile:
    """The XLSX workbook in a temporary file (rewound), written row by row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "Data")
    bold = Font(bold=True)
    head = []
    for h in header:
        cell = WriteOnlyCell(sheet, value=neutralise(h))
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    for row in rows:
        # Text is always stored as text: openpyxl would otherwise turn "=..." into a formula.
        sheet.append([_xlsx_value(v) for v in row])
    # Closed by file_chunks once sent; rows past 1 MB spill to disk.
    out = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115
    book.save(out)
    out.seek(0)
    return out


def _xlsx_value(value: Any) -> Any:
    if value is None:
        return ""
    return neutralise(value)


def file_chunks(fileobj: Any, size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := fileobj.read(size):
            yield chunk
    finally:
        fileobj.close()
