"""privacy: NIK and No. KK encrypted at rest with lookup digests, consent records, erasure
requests, anonymisation marks

Revision ID: 0008_privacy
Revises: 0005
Create Date: 2026-11-22 21:53:23.134917

"""
from alembic import op
import sqlalchemy as sa
import slrt.core.db
from slrt.core import crypto


# revision identifiers, used by Alembic.
revision = '0008_privacy'
down_revision = '0006_reports'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('erasure_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', 'done', name='erasure_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', slrt.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', slrt.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.Column('done_at', slrt.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_erasure_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_erasure_requests_person_id_persons')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_erasure_requests_requested_by_id_users')),
    sa.ForeignKeyConstraint(['village_code'], ['regions.code'], name=op.f('fk_erasure_requests_village_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_requests'))
    )
    with op.batch_alter_table('erasure_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_requests_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_erasure_requests_village_code'), ['village_code'], unique=False)

    op.create_table('consent_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('purpose_version', sa.String(length=20), nullable=False),
    sa.Column('given_by', sa.Enum('self', 'guardian', name='consent_given_by', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('guardian_name', sa.String(length=160), nullable=True),
    sa.Column('guardian_relationship', sa.String(length=60), nullable=True),
    sa.Column('method', sa.Enum('written', 'verbal', 'online', name='consent_method', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('given_at', slrt.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', slrt.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawal_method', sa.Enum('written', 'verbal', 'online', name='withdrawal_method', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('withdrawal_note', sa.String(length=500), nullable=True),
    sa.Column('withdrawn_recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_consent_records_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_consent_records_person_id_persons')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_consent_records_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['withdrawn_recorded_by_id'], ['users.id'], name=op.f('fk_consent_records_withdrawn_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_records'))
    )
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_records_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_records_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', slrt.core.db.UTCDateTime(timezone=True), nullable=True))

    # New encrypted and digest columns first (add_column: no table copy), filled from the
    # plaintext, then the plaintext columns go.
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kk_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('kk_hash', sa.String(length=64), nullable=True))
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nik_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('nik_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('anonymised_at', slrt.core.db.UTCDateTime(timezone=True), nullable=True))

    bind = op.get_bind()
    # Consent given before this revision lived only on the case: give each its record, under the
    # marker version of the wording used then (slrt.privacy.consent_text).
    op.execute(
        "INSERT INTO consent_records (person_id, case_id, purpose_version, given_by, method, given_at, recorded_by_id) "
        "SELECT reporter_id, id, 'sebelum-2026-01', COALESCE(consent_by, 'self'), "
        "CASE channel WHEN 'online' THEN 'online' WHEN 'phone' THEN 'verbal' ELSE 'written' END, "
        "COALESCE(consent_at, created_at), created_by_id "
        "FROM cases WHERE consent_given = true AND reporter_id IS NOT NULL"
    )
    _protect(bind, 'households', 'kk_number', 'kk_encrypted', 'kk_hash')
    _protect(bind, 'persons', 'nik', 'nik_encrypted', 'nik_hash')
    # The change log kept old and new numbers in full: keep only the masked form.
    rows = bind.execute(sa.text(
        "SELECT id, old_value, new_value FROM record_changes WHERE field IN ('nik', 'kk_number')"
    )).all()
    for row_id, old, new in rows:
        bind.execute(
            sa.text("UPDATE record_changes SET old_value = :o, new_value = :n WHERE id = :i"),
            {"o": crypto.mask(old) or None, "n": crypto.mask(new) or None, "i": row_id},
        )

    # Dropping a column copies the table on SQLite; with foreign keys enforced, dropping the old
    # persons/households would fail while cases, needs and members point at them.
    _foreign_keys(bind, False)
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_households_kk_number'))
        batch_op.create_index(batch_op.f('ix_households_kk_hash'), ['kk_hash'], unique=False)
        batch_op.drop_column('kk_number')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_persons_nik'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_persons_nik_hash'), ['nik_hash'])
        batch_op.drop_column('nik')
    _foreign_keys(bind, True)


def _foreign_keys(bind, on):
    """SQLite ignores PRAGMA foreign_keys inside a transaction: end the one Alembic opened (the
    encrypted copies are written by then), switch, and go on in a new one. The foreign keys
    are checked again before switching them back on."""
    if bind.dialect.name != 'sqlite':
        return
    if on:
        problems = bind.exec_driver_sql('PRAGMA foreign_key_check').all()
        if problems:
            raise RuntimeError(f"foreign keys broken by the table copy: {problems[:5]}")
    if bind.connection.driver_connection.in_transaction:
        bind.exec_driver_sql('COMMIT')
    bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _protect(bind, table, plain, encrypted, digest):
    """Encrypts every plaintext value under the newest key and stores its lookup digest."""
    rows = bind.execute(sa.text(f"SELECT id, {plain} FROM {table} WHERE {plain} IS NOT NULL")).all()
    for row_id, value in rows:
        bind.execute(
            sa.text(f"UPDATE {table} SET {encrypted} = :e, {digest} = :h WHERE id = :i"),
            {"e": crypto.encrypt(value), "h": crypto.nik_digest(value), "i": row_id},
        )


def downgrade():
    bind = op.get_bind()
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nik', sa.VARCHAR(length=16), nullable=True))
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kk_number', sa.VARCHAR(length=16), nullable=True))
    for table, plain, encrypted in (('persons', 'nik', 'nik_encrypted'), ('households', 'kk_number', 'kk_encrypted')):
        rows = bind.execute(sa.text(f"SELECT id, {encrypted} FROM {table} WHERE {encrypted} IS NOT NULL")).all()
        for row_id, token in rows:
            bind.execute(
                sa.text(f"UPDATE {table} SET {plain} = :p WHERE id = :i"),
                {"p": crypto.decrypt(token), "i": row_id},
            )
    _foreign_keys(bind, False)
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_persons_nik_hash'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_persons_nik'), ['nik'])
        batch_op.drop_column('anonymised_at')
        batch_op.drop_column('nik_hash')
        batch_op.drop_column('nik_encrypted')

    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_households_kk_hash'))
        batch_op.create_index(batch_op.f('ix_households_kk_number'), ['kk_number'], unique=False)
        batch_op.drop_column('kk_hash')
        batch_op.drop_column('kk_encrypted')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
    _foreign_keys(bind, True)

    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_records_person_id'))
        batch_op.drop_index(batch_op.f('ix_consent_records_case_id'))

    op.drop_table('consent_records')
    with op.batch_alter_table('erasure_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasure_requests_village_code'))
        batch_op.drop_index(batch_op.f('ix_erasure_requests_person_id'))

    op.drop_table('erasure_requests')
