"""Pre-aggregated report figures: counts per village, month, figure and key.

Why pre-aggregation (and not only indexes): a regency dashboard needs a dozen breakdowns (need,
service, agency, status, channel, week, month, working-day histograms) over every referral of the
regency. At 1,000,000 referrals each GROUP BY reads the whole regency's rows, and a dozen of them
take seconds even off indexes. The tallies below hold at most one row per village x month x
figure x key, so a regency's dashboard reads a few tens of thousands of small rows instead.

Every level is summed from the same village rows, so villages add up to districts, districts to
regencies and so on by construction. Medians are kept as histograms of whole working days (a
histogram adds up too), so the median of a level is exactly the median of its records.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from slrt.core.db import utcnow
from slrt.extensions import Model
from slrt.referrals.models import Referral


class ReportTally(Model):
    """How many `subject` records of `village_code`, created in `month`, have `key` for `figure`."""

    __tablename__ = "report_tallies"

    # No foreign key on the village: a bulk rebuild deletes and inserts many rows at once.
    village_code: Mapped[str] = mapped_column(sa.String(13), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # first day, Jakarta time
    subject: Mapped[str] = mapped_column(sa.String(12), primary_key=True)  # case, referral, survey
    figure: Mapped[str] = mapped_column(sa.String(24), primary_key=True)  # need, status, week, ...
    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (sa.Index("ix_report_tallies_figure", "subject", "figure", "month"),)


class RegionTally(Model):
    """The village tallies summed per province, regency and district (`level` 1-3), kept in step
    with them by `tally.refresh_villages`.

    A regency dashboard groups its districts' rows (at 1,000,000 referrals about 90,000 rows)
    instead of its villages' (800,000): the read that took 400 ms takes a tenth of that.
    """

    __tablename__ = "report_region_tallies"

    region_code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    figure: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    count: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (
        # The children of a region: one level, under one code prefix (see ix_*_village_prefix).
        sa.Index(
            "ix_report_region_tallies_level",
            "level",
            "region_code",
            postgresql_ops={"region_code": "varchar_pattern_ops"},
        ),
    )


class ReportVillage(Model):
    """When a village's tallies were last recomputed (the dashboard says how fresh it is)."""

    __tablename__ = "report_villages"

    village_code: Mapped[str] = mapped_column(sa.String(13), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)


# Overdue and at-risk counts are live (they change with the calendar, not with writes). These
# partial indexes hold every column the dashboard's count reads, so PostgreSQL answers it from
# the index alone (an index-only scan over the running clocks, not the referrals table).
def _clock_index(name: str, statuses: str, *columns: InstrumentedAttribute[Any]) -> sa.Index:
    where = sa.text(f"status IN ({statuses})")
    return sa.Index(name, *columns, postgresql_where=where, sqlite_where=where)


_clock_index(
    "ix_referrals_respond_live",
    "'sent'",
    Referral.respond_due,
    Referral.respond_risk_from,
    Referral.village_code,
    Referral.created_at,
)
_clock_index(
    "ix_referrals_resolve_live",
    "'accepted', 'in_progress'",
    Referral.resolve_due,
    Referral.resolve_risk_from,
    Referral.village_code,
    Referral.created_at,
)
