"""persons: spelling-forgiving name keys, merges with undo, pairs judged not the same person

Issue 18 ("find people however their names are spelled, one person one record"): every person
gets `name_key` (old and new spelling, titles, doubled letters folded) and `name_phonetic` (a
sound key), filled here for the persons already registered; a merge records what it moved so it
can be undone exactly, and a pair judged "not the same person" is never proposed again.

Revision ID: 0019_dedup
Revises: 0016_need_closure
Create Date: 2026-12-02 04:00:00
"""

import sqlalchemy as sa
from alembic import op

from slrt.core.db import UTCDateTime
from slrt.intake import names

revision = "0019_dedup"
down_revision = "0018_agency_loop"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    with op.batch_alter_table("persons") as batch:
        batch.add_column(sa.Column("name_key", sa.String(length=160), nullable=False, server_default=""))
        batch.add_column(sa.Column("name_phonetic", sa.String(length=160), nullable=False, server_default=""))
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_persons_merged_into_id_persons", "persons", ["merged_into_id"], ["id"])
        batch.create_index("ix_persons_name_key", ["name_key"], unique=False)
        batch.create_index("ix_persons_name_phonetic", ["name_phonetic"], unique=False)
        batch.create_index("ix_persons_merged_into_id", ["merged_into_id"], unique=False)
    _fill_keys()
    if op.get_bind().dialect.name == "postgresql":
        # The forgiving search ranks by similarity(name_key, ...) and filters with `%`: a trigram
        # index on the key serves both (pg_trgm is there since 0004).
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_persons_name_key_trgm ON persons USING gin (name_key gin_trgm_ops)")

    op.create_table(
        "person_pair_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_a_id", sa.Integer(), nullable=False),
        sa.Column("person_b_id", sa.Integer(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("person_a_id < person_b_id", name=op.f("ck_person_pair_decisions_pair_ordered")),
        sa.ForeignKeyConstraint(["person_a_id"], ["persons.id"], name=op.f("fk_person_pair_decisions_person_a_id_persons")),
        sa.ForeignKeyConstraint(["person_b_id"], ["persons.id"], name=op.f("fk_person_pair_decisions_person_b_id_persons")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_person_pair_decisions_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_pair_decisions")),
        sa.UniqueConstraint("person_a_id", "person_b_id", name="uq_person_pair_decisions_pair"),
    )  # fmt: skip
    with op.batch_alter_table("person_pair_decisions") as batch:
        batch.create_index("ix_person_pair_decisions_person_a_id", ["person_a_id"], unique=False)
        batch.create_index("ix_person_pair_decisions_person_b_id", ["person_b_id"], unique=False)

    op.create_table(
        "person_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("merged_by_id", sa.Integer(), nullable=True),
        sa.Column("merged_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("undone_by_id", sa.Integer(), nullable=True),
        sa.Column("undone_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["survivor_id"], ["persons.id"], name=op.f("fk_person_merges_survivor_id_persons")),
        sa.ForeignKeyConstraint(["merged_id"], ["persons.id"], name=op.f("fk_person_merges_merged_id_persons")),
        sa.ForeignKeyConstraint(["merged_by_id"], ["users.id"], name=op.f("fk_person_merges_merged_by_id_users")),
        sa.ForeignKeyConstraint(["undone_by_id"], ["users.id"], name=op.f("fk_person_merges_undone_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_merges")),
    )  # fmt: skip
    with op.batch_alter_table("person_merges") as batch:
        batch.create_index("ix_person_merges_survivor_id", ["survivor_id"], unique=False)
        batch.create_index("ix_person_merges_merged_id", ["merged_id"], unique=False)


def _fill_keys():
    """The keys of the persons already registered, in batches by id (no table held whole)."""
    bind = op.get_bind()
    persons = sa.table(
        "persons", sa.column("id"), sa.column("name"), sa.column("name_key"), sa.column("name_phonetic")
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(persons.c.id, persons.c.name)
            .where(persons.c.id > last)
            .order_by(persons.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            persons.update().where(persons.c.id == sa.bindparam("pid")),
            [
                {
                    "pid": r.id,
                    "name_key": names.name_key(r.name),
                    "name_phonetic": names.name_phonetic(r.name),
                }
                for r in rows
            ],
        )
        last = rows[-1].id


def downgrade():
    op.drop_table("person_merges")
    op.drop_table("person_pair_decisions")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_persons_name_key_trgm")
    with op.batch_alter_table("persons") as batch:
        batch.drop_index("ix_persons_merged_into_id")
        batch.drop_index("ix_persons_name_phonetic")
        batch.drop_index("ix_persons_name_key")
        batch.drop_constraint("fk_persons_merged_into_id_persons", type_="foreignkey")
        batch.drop_column("merged_into_id")
        batch.drop_column("name_phonetic")
        batch.drop_column("name_key")
