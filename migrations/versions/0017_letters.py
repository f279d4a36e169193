"""letters: the letterhead of an office, the signer's position and NIP, issued letters

Issue 17 (letters a Dinas would sign): the office's e-mail, its head's position, the copies
(tembusan) and its logo; the signer's position (jabatan) and NIP; and each letter as first
printed, with its PDF digest and the code of its public verification page.

Revision ID: 0017_letters
Revises: 0016_need_closure
Create Date: 2026-12-02 04:30:00
"""

import sqlalchemy as sa
from alembic import op

from slrt.core.db import UTCDateTime

revision = "0017_letters"
down_revision = "0016_need_closure"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("offices") as batch:
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))
        batch.add_column(sa.Column("head_title", sa.String(160), nullable=True))
        batch.add_column(sa.Column("tembusan", sa.Text(), nullable=True))
        batch.add_column(sa.Column("logo", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("logo_type", sa.String(20), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("position", sa.String(160), nullable=True))
        batch.add_column(sa.Column("nip", sa.String(18), nullable=True))
    op.create_table(
        "issued_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("dated", sa.Date(), nullable=True),
        sa.Column("hides_reporter", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name="fk_issued_letters_referral_id_referrals"
        ),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name="fk_issued_letters_agency_id_agencies"),
        sa.PrimaryKeyConstraint("id", name="pk_issued_letters"),
        sa.UniqueConstraint("number", name="uq_issued_letters_number"),
        sa.UniqueConstraint("code", name="uq_issued_letters_code"),
    )
    op.create_index("ix_issued_letters_referral_id", "issued_letters", ["referral_id"])


def downgrade():
    op.drop_index("ix_issued_letters_referral_id", table_name="issued_letters")
    op.drop_table("issued_letters")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("nip")
        batch.drop_column("position")
    with op.batch_alter_table("offices") as batch:
        batch.drop_column("logo_type")
        batch.drop_column("logo")
        batch.drop_column("tembusan")
        batch.drop_column("head_title")
        batch.drop_column("email")
