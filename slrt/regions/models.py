from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slrt.extensions import Model

LEVEL_PROVINCE, LEVEL_REGENCY, LEVEL_DISTRICT, LEVEL_VILLAGE = 1, 2, 3, 4


class Region(Model):
    """One Kemendagri region, keyed by its dotted code: 32, 32.04, 32.04.05, 32.04.05.2001."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(sa.String(13), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    kind: Mapped[str] = mapped_column(sa.String(16))  # provinsi, kabupaten, kota, kecamatan, desa, ...
    parent_code: Mapped[str | None] = mapped_column(sa.String(13), index=True)
    postal_code: Mapped[str | None] = mapped_column(sa.String(5))

    __table_args__ = (
        sa.CheckConstraint("level BETWEEN 1 AND 4", name="level"),
        sa.Index("ix_regions_name_lower", sa.func.lower(name)),
    )

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"


def region_level(code: str) -> int:
    return code.count(".") + 1
