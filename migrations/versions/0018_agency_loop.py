"""agency loop: reminders and escalations, the agency head's contact, outcome reasons

Issue 17: SLRT reminds an agency from the overdue list; the sweep reminds once when a referral
becomes at risk and escalates once at breach to the agency head; a "not granted" outcome carries
a coded reason. At-risk dates of running clocks are recomputed (at risk now also means at most
AT_RISK_WORKING_DAYS working days left).

Revision ID: 0018_agency_loop
Revises: 0016_need_closure
Create Date: 2026-12-02 05:00:00
"""

import sqlalchemy as sa
from alembic import op

from slrt.core.db import UTCDateTime

revision = "0018_agency_loop"
down_revision = "0017_letters"
branch_labels = None
depends_on = None

KINDS = ("manual", "at_risk", "escalation")


def upgrade():
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(sa.Column("head_name", sa.String(160), nullable=True))
        batch.add_column(sa.Column("head_email", sa.String(254), nullable=True))
        batch.add_column(sa.Column("head_phone", sa.String(32), nullable=True))
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("outcome_reason", sa.String(32), nullable=True))
    op.create_table(
        "referral_reminders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("referral_id", sa.Integer(), sa.ForeignKey("referrals.id"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="reminder_kind", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_referral_reminders_referral_id", "referral_reminders", ["referral_id"])
    op.create_index(
        "uq_referral_reminders_once",
        "referral_reminders",
        ["referral_id", "kind", "due"],
        unique=True,
        postgresql_where=sa.text("kind != 'manual'"),
        sqlite_where=sa.text("kind != 'manual'"),
    )
    _recompute_risk()


def _recompute_risk():
    """Running clocks at risk from the earlier of the old rule and AT_RISK_WORKING_DAYS before
    due (weekends only here: a migration cannot read the holiday calendar; the next transition
    recomputes exactly)."""
    from datetime import timedelta

    bind = op.get_bind()
    for due_col, risk_col, statuses in (
        ("respond_due", "respond_risk_from", ("sent",)),
        ("resolve_due", "resolve_risk_from", ("accepted", "in_progress")),
    ):
        rows = bind.execute(
            sa.text(
                f"SELECT id, {due_col}, {risk_col} FROM referrals "  # noqa: S608 - fixed column names
                f"WHERE status IN :st AND {due_col} IS NOT NULL"
            ).bindparams(sa.bindparam("st", expanding=True)),
            {"st": list(statuses)},
        ).all()
        for ident, due, risk in rows:
            if isinstance(due, str):
                from datetime import date

                due = date.fromisoformat(due)
                risk = date.fromisoformat(risk) if risk else None
            day, left = due, 0
            while left < 2:
                day -= timedelta(days=1)
                if day.weekday() < 5:
                    left += 1
            if risk is None or day < risk:
                bind.execute(
                    sa.text(f"UPDATE referrals SET {risk_col} = :d WHERE id = :i"),  # noqa: S608
                    {"d": day, "i": ident},
                )


def downgrade():
    op.drop_index("uq_referral_reminders_once", table_name="referral_reminders")
    op.drop_index("ix_referral_reminders_referral_id", table_name="referral_reminders")
    op.drop_table("referral_reminders")
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("outcome_reason")
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("head_phone")
        batch.drop_column("head_email")
        batch.drop_column("head_name")
