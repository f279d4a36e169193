"""persons: indexes for the intake duplicate check's blocks (birth date; sound key and birth date)

Issue 18, measured in bench/dedup.py at 1,000,000 persons: the check a new-person intake runs asks
for persons born on the typed date (or with day and month swapped) and for persons with the same
sound key born in the same year; without these indexes both read the whole table.

Revision ID: 0023_dedup_bench_indexes
Revises: 0022_household_moves
Create Date: 2026-12-02 08:00:00
"""

from alembic import op

revision = "0023_dedup_bench_indexes"
down_revision = "0022_household_moves"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("persons") as batch:
        batch.create_index("ix_persons_birth_date", ["birth_date"], unique=False)
        batch.create_index(
            "ix_persons_name_phonetic_birth_date", ["name_phonetic", "birth_date"], unique=False
        )


def downgrade():
    with op.batch_alter_table("persons") as batch:
        batch.drop_index("ix_persons_name_phonetic_birth_date")
        batch.drop_index("ix_persons_birth_date")
