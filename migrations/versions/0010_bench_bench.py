"""bench: pattern-ops indexes for the region scope filters

The scope filter (slrt/core/access.py) reads ``village_code = X OR village_code LIKE 'X.%'``.
PostgreSQL's plain btree indexes cannot serve a LIKE prefix under a non-C collation, so the
desk home and the regency lists scanned the whole table (found by bench/explain.py at
1,000,000 cases). A ``varchar_pattern_ops`` index serves both arms. On SQLite these are plain
indexes (the option is PostgreSQL's only).

Revision ID: 0010_bench
Revises: 0005
Create Date: 2026-11-22 21:57:37.009341
"""

from alembic import op

revision = "0010_bench"
down_revision = "0009_security"
branch_labels = None
depends_on = None

TABLES = ("cases", "households", "persons", "referrals")


def upgrade():
    for table in TABLES:
        # create_index, not batch: no table copy on SQLite (these tables are referenced by FKs).
        op.create_index(
            f"ix_{table}_village_prefix",
            table,
            ["village_code"],
            postgresql_ops={"village_code": "varchar_pattern_ops"},
        )


def downgrade():
    for table in TABLES:
        op.drop_index(f"ix_{table}_village_prefix", table_name=table)
