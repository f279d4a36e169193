"""services.agency_contact: how much of the citizen's contact the receiving agency sees

UPTD PPA (violence against women and children) sees the phone, not the home address: the desk
arranges where to meet, since the home may be where the violence happens.

Revision ID: 0025_agency_contact
Revises: 0024_quality_tallies
Create Date: 2026-12-02 08:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_agency_contact"
down_revision = "0024_quality_tallies"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("services") as batch_op:
        batch_op.add_column(
            sa.Column(
                "agency_contact",
                sa.Enum(
                    "full", "phone", "name", name="agency_contact", native_enum=False, create_constraint=True, length=32
                ),
                server_default="full",
                nullable=False,
            )
        )
    op.execute("UPDATE services SET agency_contact = 'phone' WHERE code = 'UPTD-PPA'")


def downgrade():
    with op.batch_alter_table("services") as batch_op:
        batch_op.drop_column("agency_contact")
