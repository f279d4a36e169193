"""intake: attachments, record changes (person/household history), cases.duplicate_reason

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 19:38:32.472490

"""
from alembic import op
import sqlalchemy as sa
import slrt.core.db


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('record_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_type', sa.String(length=20), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', slrt.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_record_changes_changed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_changes'))
    )
    with op.batch_alter_table('record_changes', schema=None) as batch_op:
        batch_op.create_index('ix_record_changes_object', ['object_type', 'object_id'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('ktp', 'kk', 'house', name='attachment_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', slrt.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_attachments_case_id_cases')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_attachments_stored_name'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duplicate_reason', sa.String(length=255), nullable=True))

    if op.get_bind().dialect.name == 'postgresql':
        # Name search is LIKE '%part%' on persons.name_search; only a trigram index keeps it fast
        # among millions of persons. pg_trgm is a trusted extension (PostgreSQL 13+).
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('CREATE INDEX ix_persons_name_search_trgm ON persons USING gin (name_search gin_trgm_ops)')



def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_persons_name_search_trgm')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_case_id'))

    op.drop_table('attachments')
    with op.batch_alter_table('record_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_record_changes_object')

    op.drop_table('record_changes')
    if bind.dialect.name == 'sqlite':
        # SQLite drops a column by copying the table; with foreign keys enforced, dropping the
        # old `cases` would fail while needs and referrals point at it.
        op.execute('PRAGMA foreign_keys=OFF')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('duplicate_reason')
    if bind.dialect.name == 'sqlite':
        op.execute('PRAGMA foreign_keys=ON')
