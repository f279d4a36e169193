"""The satisfaction survey (Survei Kepuasan Masyarakat): one answer per case."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from slrt.core.db import utcnow
from slrt.extensions import Model

RATING_MIN, RATING_MAX = 1, 5


class SurveyResponse(Model):
    """A citizen's 1-5 rating of a closed case. `village_code` is copied from the case so that
    reports can count answers per region with the ordinary scope rules and no join."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), unique=True)
    village_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    rating: Mapped[int] = mapped_column(sa.SmallInteger)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    case = relationship("Case")

    __table_args__ = (
        sa.CheckConstraint(f"rating BETWEEN {RATING_MIN} AND {RATING_MAX}", name="rating_range"),
    )
