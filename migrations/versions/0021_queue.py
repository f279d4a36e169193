"""queue_tickets: the visitor queue (antrean) at a desk

Issue 17 item 4: a visitor arriving gets a number for the office's local day (fast-track P-01
before regular 001), the desk calls the next, a public display shows the numbers called.

Revision ID: 0021_queue
Revises: 0020_dtsen_review
Create Date: 2026-12-03 04:00:00
"""

import sqlalchemy as sa
from alembic import op

from slrt.core.db import UTCDateTime

revision = "0021_queue"
down_revision = "0020_dtsen_review"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "queue_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("fast_track", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=8), nullable=False),
        sa.Column("fast_track_reason", sa.Enum("lansia", "disabilitas_berat", "hamil", "korban_kekerasan", "lainnya", name="fast_track_reason", native_enum=False, create_constraint=True, length=32), nullable=True),
        sa.Column("visitor_name", sa.String(length=120), nullable=True),
        sa.Column("status", sa.Enum("waiting", "called", "served", "left", name="ticket_status", native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column("counter", sa.String(length=20), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("called_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("called_by_id", sa.Integer(), nullable=True),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name=op.f("fk_queue_tickets_office_id_offices")),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"], name=op.f("fk_queue_tickets_region_code_regions")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_queue_tickets_created_by_id_users")),
        sa.ForeignKeyConstraint(["called_by_id"], ["users.id"], name=op.f("fk_queue_tickets_called_by_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_queue_tickets_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_tickets")),
        sa.UniqueConstraint("office_id", "day", "number", name="uq_queue_tickets_office_day_number"),
    )  # fmt: skip
    with op.batch_alter_table("queue_tickets") as batch:
        batch.create_index("ix_queue_tickets_office_day_status", ["office_id", "day", "status"], unique=False)
        batch.create_index("ix_queue_tickets_region_code", ["region_code"], unique=False)


def downgrade():
    op.drop_table("queue_tickets")
