"""accounts: sessions that end on the server, first-login password change, who minted a token

users.session_generation: every session carries the generation it was opened with; logout,
a new password, a new role or scope and deactivation raise it, and older sessions stop working.
users.must_change_password: set when an administrator chose the password.
api_tokens.created_by_name: who minted the token, also from the CLI (which has no user row).

Revision ID: 0012_session_security
Revises: 0011_region_tallies
Create Date: 2026-12-01 22:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_session_security"
down_revision = "0011_region_tallies"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("created_by_name", sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_column("created_by_name")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("session_generation")
