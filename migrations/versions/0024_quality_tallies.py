"""quality_tallies: each village's data-quality counts, stored nightly for the dashboards

Revision ID: 0024_quality_tallies
Revises: 0023_dedup_bench_indexes
Create Date: 2026-12-02 08:00:00
"""

import sqlalchemy as sa
from alembic import op

from slrt.core.db import UTCDateTime

revision = "0024_quality_tallies"
down_revision = "0023_dedup_bench_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "quality_tallies",
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("computed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("village_code", "kind", "key", name=op.f("pk_quality_tallies")),
    )


def downgrade():
    op.drop_table("quality_tallies")
