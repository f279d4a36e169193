"""referrals: whom a referral concerns, and one open referral per person and service

Issue 16 ("never twice"): the same route page submitted twice, or the same service chosen
under three needs, made identical referrals. `person_id` is the need's person, else the case's
reporter; a partial unique index allows one open referral per person and service (SQLite and
PostgreSQL both index a WHERE clause). Existing duplicates keep the oldest linked; later open
copies stay unlinked (person_id NULL) for the desk to cancel.

Revision ID: 0014_one_open_referral
Revises: 0013_hard_cases_facts
Create Date: 2026-11-24 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_one_open_referral"
down_revision = "0013_hard_cases_facts"
branch_labels = None
depends_on = None

OPEN = "person_id IS NOT NULL AND status NOT IN ('resolved', 'rejected', 'cancelled')"


def upgrade():
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_referrals_person_id_persons", "persons", ["person_id"], ["id"])
        batch.create_index("ix_referrals_person_id", ["person_id"])
    op.execute(
        "UPDATE referrals SET person_id = ("
        " SELECT COALESCE(needs.person_id, cases.reporter_id) FROM needs"
        " JOIN cases ON cases.id = needs.case_id WHERE needs.id = referrals.need_id)"
    )
    op.execute(
        "UPDATE referrals SET person_id = NULL WHERE status NOT IN ('resolved', 'rejected', 'cancelled')"
        " AND EXISTS (SELECT 1 FROM referrals older WHERE older.person_id = referrals.person_id"
        " AND older.service_id = referrals.service_id AND older.id < referrals.id"
        " AND older.status NOT IN ('resolved', 'rejected', 'cancelled'))"
    )
    op.create_index(
        "uq_referrals_open_person_service",
        "referrals",
        ["person_id", "service_id"],
        unique=True,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade():
    op.drop_index("uq_referrals_open_person_service", table_name="referrals")
    with op.batch_alter_table("referrals") as batch:
        batch.drop_index("ix_referrals_person_id")
        batch.drop_constraint("fk_referrals_person_id_persons", type_="foreignkey")
        batch.drop_column("person_id")
