"""needs: closed by the desk on purpose, with the reason, when and by whom

Issue 16 ("follow-up until every need has an answer"): a need the desk decides not to pursue
(the citizen withdrew it, it was answered elsewhere) is closed on purpose with a written reason,
so the case can close without pretending the need was referred.

Revision ID: 0016_need_closure
Revises: 0015_fact_provenance
Create Date: 2026-11-25 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from slrt.core.db import UTCDateTime

revision = "0016_need_closure"
down_revision = "0015_fact_provenance"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("needs") as batch:
        batch.add_column(sa.Column("closed_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_needs_closed_by_id_users", "users", ["closed_by_id"], ["id"])


def downgrade():
    with op.batch_alter_table("needs") as batch:
        batch.drop_constraint("fk_needs_closed_by_id_users", type_="foreignkey")
        batch.drop_column("closed_by_id")
        batch.drop_column("closed_at")
        batch.drop_column("closed_reason")
