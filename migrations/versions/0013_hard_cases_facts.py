"""routing: birth year only, household screening flag, criterion names in English

Issue 16: a person may know only the birth year ("about" a year), which the engine reads as an
age interval; a service says whether household screening offers it; a criterion carries its
English name for the reasons shown to English readers.

Revision ID: 0013_hard_cases_facts
Revises: 0012_session_security
Create Date: 2026-11-24 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_hard_cases_facts"
down_revision = "0012_session_security"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("persons") as batch:
        batch.add_column(
            sa.Column(
                "birth_precision",
                sa.Enum(
                    "day",
                    "year",
                    "about",
                    name="birth_precision",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=True,
            )
        )
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("screen", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("criteria") as batch:
        batch.add_column(sa.Column("name_en", sa.String(length=160), nullable=True))
    # The seed's situational services are not offered by screening (see catalog.json).
    op.execute(
        "UPDATE services SET screen = false WHERE code IN ('ATENSI-ANAK', 'BANSOS-ADUAN', 'KUBE', 'BAZNAS')"
    )


def downgrade():
    with op.batch_alter_table("criteria") as batch:
        batch.drop_column("name_en")
    with op.batch_alter_table("services") as batch:
        batch.drop_column("screen")
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("birth_precision")
