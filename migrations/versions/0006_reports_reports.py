"""reports: pre-aggregated dashboard tallies per village and month

Revision ID: 0006_reports
Revises: 0005
Create Date: 2026-11-22 21:56:23.641020

After upgrading a database that already holds cases, run `flask reports refresh` once.
"""

import sqlalchemy as sa
from alembic import op

import slrt.core.db

revision = "0006_reports"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_tallies",
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("subject", sa.String(length=12), nullable=False),
        sa.Column("figure", sa.String(length=24), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "village_code", "month", "subject", "figure", "key", name=op.f("pk_report_tallies")
        ),
    )
    op.create_index("ix_report_tallies_figure", "report_tallies", ["subject", "figure", "month"])
    op.create_table(
        "report_villages",
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("refreshed_at", slrt.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("village_code", name=op.f("pk_report_villages")),
    )
    # Covering partial indexes for the live overdue / at-risk counts (see slrt/reports/models.py).
    for name, statuses, prefix in (
        ("ix_referrals_respond_live", "'sent'", "respond"),
        ("ix_referrals_resolve_live", "'accepted', 'in_progress'", "resolve"),
    ):
        where = sa.text(f"status IN ({statuses})")
        op.create_index(
            name,
            "referrals",
            [f"{prefix}_due", f"{prefix}_risk_from", "village_code", "created_at"],
            postgresql_where=where,
            sqlite_where=where,
        )


def downgrade():
    op.drop_index("ix_referrals_resolve_live", table_name="referrals")
    op.drop_index("ix_referrals_respond_live", table_name="referrals")
    op.drop_table("report_villages")
    op.drop_index("ix_report_tallies_figure", table_name="report_tallies")
    op.drop_table("report_tallies")
