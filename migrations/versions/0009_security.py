"""security: scoped API tokens, integration accounts, an append-only audit trail

API tokens carry scopes (existing tokens keep every scope they effectively had) and who made
them; users may be service accounts (integrations that only use tokens). On PostgreSQL a
trigger refuses UPDATE and DELETE on audit_events (TRUNCATE, used by the tests, is not affected).

Revision ID: 0009_security
Revises: 0005
Create Date: 2026-11-22 21:53:36.818384
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_security"
down_revision = "0008_privacy"
branch_labels = None
depends_on = None

OLD_TOKEN_SCOPES = '["referrals:read", "referrals:write", "routing:suggest"]'


def upgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_api_tokens_created_by_id_users"), "users", ["created_by_id"], ["id"]
        )
    op.execute(sa.text(f"UPDATE api_tokens SET scopes = '{OLD_TOKEN_SCOPES}'"))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_account", sa.Boolean(), server_default=sa.false(), nullable=False))

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
            END;
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER audit_events_append_only
                BEFORE UPDATE OR DELETE ON audit_events
                FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
            """
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("service_account")

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_api_tokens_created_by_id_users"), type_="foreignkey")
        batch_op.drop_column("created_by_id")
        batch_op.drop_column("scopes")
