"""household_moves: a family handed over to the desk of another village

Issue 18 item 7 (SIKS-NG's "pemindahan wilayah"): the desk a family leaves asks for the move,
the desk whose area covers the new village accepts or refuses it. On acceptance the household,
its members, its open cases and their referrals are re-homed (deadlines untouched); closed cases
stay with the old desk. `households.moved_at` lets the case page read the move trail only for
families that moved. One open move per household (a partial unique index).

Revision ID: 0022_household_moves
Revises: 0021_queue
Create Date: 2026-12-02 07:40:00
"""

import sqlalchemy as sa
from alembic import op

from slrt.core.db import UTCDateTime

revision = "0022_household_moves"
# Another helper adds 0021 on 0020 as well; the lead re-chains the two at merge.
down_revision = "0021_queue"
branch_labels = None
depends_on = None

OPEN = "status = 'requested'"


def upgrade():
    with op.batch_alter_table("households") as batch:
        batch.add_column(sa.Column("moved_at", UTCDateTime(timezone=True), nullable=True))

    op.create_table(
        "household_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("from_village_code", sa.String(length=13), nullable=False),
        sa.Column("to_village_code", sa.String(length=13), nullable=False),
        sa.Column("rt", sa.String(length=3), nullable=True),
        sa.Column("rw", sa.String(length=3), nullable=True),
        sa.Column("street", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.Enum("requested", "accepted", "refused", "cancelled", name="move_status", native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"], name=op.f("fk_household_moves_household_id_households")),
        sa.ForeignKeyConstraint(["from_village_code"], ["regions.code"], name=op.f("fk_household_moves_from_village_code_regions")),
        sa.ForeignKeyConstraint(["to_village_code"], ["regions.code"], name=op.f("fk_household_moves_to_village_code_regions")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_household_moves_requested_by_id_users")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_household_moves_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_moves")),
    )  # fmt: skip
    with op.batch_alter_table("household_moves") as batch:
        batch.create_index("ix_household_moves_household_id", ["household_id"], unique=False)
        batch.create_index("ix_household_moves_from_village_code", ["from_village_code"], unique=False)
        batch.create_index("ix_household_moves_to_village_code", ["to_village_code"], unique=False)
        batch.create_index("ix_household_moves_status", ["status"], unique=False)
    op.create_index(
        "uq_household_moves_open",
        "household_moves",
        ["household_id"],
        unique=True,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade():
    op.drop_index("uq_household_moves_open", table_name="household_moves")
    op.drop_table("household_moves")
    with op.batch_alter_table("households") as batch:
        batch.drop_column("moved_at")
