"""public survey

Satisfaction survey answers (one per case), and an optional e-mail on persons: online
reporters may leave an e-mail address instead of a phone number.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 19:39:19.315831
"""

import sqlalchemy as sa
from alembic import op

import slrt.core.db

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", slrt.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_survey_responses_rating_range")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_survey_responses_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["village_code"], ["regions.code"], name=op.f("fk_survey_responses_village_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("case_id", name=op.f("uq_survey_responses_case_id")),
    )
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_responses_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_responses_village_code"), ["village_code"], unique=False)

    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_column("email")

    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_responses_village_code"))
        batch_op.drop_index(batch_op.f("ix_survey_responses_created_at"))

    op.drop_table("survey_responses")
