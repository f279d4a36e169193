"""intake: DTSEN checks, No. KK history, and where a household's DTSEN facts come from

Issue 16 ("record and correct facts"): the desk records each look-up of a family in DTSEN
(in DTSEN or not, desil, programmes, the local date, the source, who) as a row of
dtsen_checks; the household keeps the latest one's facts and, beside them, its date, source
and officer, so a page showing the household shows where its DTSEN facts come from without
another query. A No. KK replaced by the desk is kept in kk_changes, encrypted and hashed as
households.kk_encrypted/kk_hash are.

Revision ID: 0015_fact_provenance
Revises: 0014_one_open_referral
Create Date: 2026-12-02 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_fact_provenance"
down_revision = "0014_one_open_referral"
branch_labels = None
depends_on = None

SOURCES = ("siks_ng", "cek_bansos", "import", "home_visit")


def _source(name):
    return sa.Enum(*SOURCES, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    op.create_table(
        "dtsen_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("in_dtsen", sa.Boolean(), nullable=False),
        sa.Column("desil", sa.SmallInteger(), nullable=True),
        sa.Column("programmes", sa.JSON(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("source", _source("dtsen_check_source"), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("desil IS NULL OR desil BETWEEN 1 AND 10", name=op.f("ck_dtsen_checks_desil_range")),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name="fk_dtsen_checks_household_id_households"
        ),
        sa.ForeignKeyConstraint(["checked_by_id"], ["users.id"], name="fk_dtsen_checks_checked_by_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_dtsen_checks"),
    )
    op.create_index("ix_dtsen_checks_household_id", "dtsen_checks", ["household_id"])
    op.create_table(
        "kk_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("old_kk_encrypted", sa.Text(), nullable=True),
        sa.Column("old_kk_hash", sa.String(length=64), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name="fk_kk_changes_household_id_households"
        ),
        sa.ForeignKeyConstraint(["changed_by_id"], ["users.id"], name="fk_kk_changes_changed_by_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_kk_changes"),
    )
    op.create_index("ix_kk_changes_household_id", "kk_changes", ["household_id"])
    op.create_index("ix_kk_changes_old_kk_hash", "kk_changes", ["old_kk_hash"])
    with op.batch_alter_table("households") as batch:
        batch.add_column(sa.Column("dtsen_checked_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("dtsen_source", _source("dtsen_source"), nullable=True))
        batch.add_column(sa.Column("dtsen_checked_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_households_dtsen_checked_by_id_users", "users", ["dtsen_checked_by_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("households") as batch:
        batch.drop_constraint("fk_households_dtsen_checked_by_id_users", type_="foreignkey")
        # SQLite's copy of the table would keep the enum's CHECK on a column it no longer has.
        batch.drop_constraint(op.f("ck_households_dtsen_source"), type_="check")
        batch.drop_column("dtsen_checked_by_id")
        batch.drop_column("dtsen_source")
        batch.drop_column("dtsen_checked_on")
    op.drop_index("ix_kk_changes_old_kk_hash", table_name="kk_changes")
    op.drop_index("ix_kk_changes_household_id", table_name="kk_changes")
    op.drop_table("kk_changes")
    op.drop_index("ix_dtsen_checks_household_id", table_name="dtsen_checks")
    op.drop_table("dtsen_checks")
