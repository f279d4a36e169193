"""Key rotation: re-encrypting protected numbers under the current key, in batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa

from slrt.core import crypto
from slrt.core.audit import audit
from slrt.extensions import db
from slrt.intake import models as m


@dataclass
class RotationReport:
    persons: int = 0
    households: int = 0


def rotate_keys(batch: int = 500, rehash: bool = False) -> RotationReport:
    """Re-encrypts every NIK and No. KK under the newest key, `batch` rows per transaction; with
    `rehash`, recomputes the lookup digests too (after a change of SLRT_HASH_KEY). Commits per
    batch so a large table never holds one long transaction; safe to run again after a stop."""
    report = RotationReport()
    for model, column, digest, counter in (
        (m.Person, "nik_encrypted", "nik_hash", "persons"),
        (m.Household, "kk_encrypted", "kk_hash", "households"),
    ):
        table = cast(sa.Table, model.__table__)  # typed FromClause; a mapped class's is a Table
        last = 0
        while True:
            # Rows of any length to mypy (columns looked up by name), unpacked without `object`.
            rows: Sequence[tuple[Any, ...]] = db.session.execute(
                sa.select(table.c.id, table.c[column])
                .where(table.c.id > last, table.c[column].is_not(None))
                .order_by(table.c.id)
                .limit(batch)
            ).all()
            if not rows:
                break
            # The column type decrypts on read (with any configured key) and encrypts on write
            # (always with the newest): writing the value back is the rotation.
            for row_id, plaintext in rows:
                values: dict[str, str | None] = {column: plaintext}
                if rehash:
                    values[digest] = crypto.nik_digest(plaintext)
                db.session.execute(sa.update(table).where(table.c.id == row_id).values(**values))
                setattr(report, counter, getattr(report, counter) + 1)
            last = rows[-1][0]
            db.session.commit()
    audit(
        "keys.rotate", detail={"persons": report.persons, "households": report.households, "rehash": rehash}
    )
    db.session.commit()
    return report
