"""dtsen_conflicts: DTSEN rows waiting for a coordinator's decision

Issue 18 item 5: a DTSEN row that fits several registered persons, or whose NIK a person with
another name or birth date already holds, is kept with its values and its candidate persons
until it is applied to one of them or dismissed with a reason.

Revision ID: 0020_dtsen_review
Revises: 0019_dedup
Create Date: 2026-12-02 05:20:00
"""

import sqlalchemy as sa
from alembic import op

from slrt.core.crypto import EncryptedString
from slrt.core.db import UTCDateTime

revision = "0020_dtsen_review"
down_revision = "0019_dedup"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dtsen_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("several", "nik_held", name="dtsen_conflict_kind", native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column("status", sa.Enum("open", "applied", "dismissed", name="dtsen_conflict_status", native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("nik_encrypted", EncryptedString(), nullable=False),
        sa.Column("nik_hash", sa.String(length=64), nullable=False),
        sa.Column("kk_encrypted", EncryptedString(), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.Enum("L", "P", name="sex", native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("desil", sa.SmallInteger(), nullable=False),
        sa.Column("programmes", sa.JSON(), nullable=False),
        sa.Column("candidate_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("dismiss_reason", sa.Text(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["village_code"], ["regions.code"], name=op.f("fk_dtsen_conflicts_village_code_regions")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_dtsen_conflicts_person_id_persons")),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"], name=op.f("fk_dtsen_conflicts_resolved_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dtsen_conflicts")),
    )  # fmt: skip
    with op.batch_alter_table("dtsen_conflicts") as batch:
        batch.create_index("ix_dtsen_conflicts_status", ["status"], unique=False)
        batch.create_index("ix_dtsen_conflicts_nik_hash", ["nik_hash"], unique=False)
        batch.create_index("ix_dtsen_conflicts_village_code", ["village_code"], unique=False)


def downgrade():
    op.drop_table("dtsen_conflicts")
