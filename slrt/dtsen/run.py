"""The DTSEN import run (Data Tunggal Sosial Ekonomi Nasional, the national socio-economic
register, into the desk's persons and households): a file read, checked row by row and written
in batches. Every batch is one transaction: it is written whole or not at all.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _

from slrt.core.audit import audit
from slrt.dtsen.files import RejectWriter, default_rejects_path, read_rows
from slrt.dtsen.matching import Counts, import_batch
from slrt.dtsen.rows import DtsenRow, RowChecker, known_programmes, known_villages
from slrt.extensions import db

DEFAULT_BATCH = 5000


def import_file(
    path: Path,
    rejects_path: Path | None = None,
    batch_size: int = DEFAULT_BATCH,
    on_progress: Callable[[int], None] | None = None,
    today: date | None = None,
) -> Counts:
    """Imports a DTSEN CSV in batches; each batch is one transaction (so, unlike other services,
    this one commits: a batch written is kept even when a later one fails).

    A batch the database refuses is rolled back whole, its rows go to the rejects file with the
    reason, and the import goes on with the next batch. Raises BadHeader before any work.
    """
    # Long on purpose: the batch loop keeps the transaction boundary (commit a batch, roll back a refused
    # one, write its rows to the rejects file) visible in one place.
    started = time.perf_counter()
    rows = read_rows(path)
    first = next(rows, None)  # reads the header: a bad one raises before anything is written
    checker = RowChecker(known_villages(), known_programmes(), today=today)
    db.session.rollback()  # the look-ups above leave no transaction open while the file is read
    rejects = RejectWriter(rejects_path or default_rejects_path(path))
    # A rejects file left by an earlier run would describe rows this run may have accepted.
    rejects.path.unlink(missing_ok=True)
    counts = Counts()
    batch: list[DtsenRow] = []
    raws: dict[int, dict[str, str]] = {}

    def flush_batch() -> None:
        if not batch:
            return
        try:
            result = import_batch(batch)
            db.session.commit()
        except sa.exc.SQLAlchemyError as exc:
            db.session.rollback()
            error = type(exc).__name__
            reason = _(
                "Kelompok baris %(first)d-%(last)d ditolak basis data (%(error)s); tidak ada baris "
                "kelompok ini yang disimpan. Perbaiki lalu impor ulang berkas yang sama.",
                first=batch[0].line,
                last=batch[-1].line,
                error=error,
            )
            for row in batch:
                rejects.write(row.line, raws[row.line], [reason])
            counts.failed += len(batch)
            counts.failed_batches.append((batch[0].line, batch[-1].line, error))
        else:
            counts.add(result)
        if on_progress:
            on_progress(len(batch))
        batch.clear()
        raws.clear()

    try:
        for line, raw in _chain(first, rows):
            counts.read += 1
            row, reasons = checker.check(line, raw)
            if row is None:
                rejects.write(line, raw, reasons)
                counts.rejected += 1
                if on_progress:
                    on_progress(1)
                continue
            batch.append(row)
            raws[line] = raw
            if len(batch) >= batch_size:
                flush_batch()
        flush_batch()
    finally:
        rejects.close()
    counts.seconds = time.perf_counter() - started
    audit(
        "dtsen.import",
        detail={
            "file": path.name,
            "run_by": _os_user(),
            "rejects": str(rejects.path) if rejects.count else None,
            **counts.as_dict(),
        },
    )
    db.session.commit()
    return counts


def _chain(first: tuple[int, dict[str, str]] | None, rest: Iterator) -> Iterator:
    if first is not None:
        yield first
        yield from rest


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None
