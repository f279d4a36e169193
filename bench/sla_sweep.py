"""Benchmark: the SLA sweep and the agency inbox over many referrals (PostgreSQL).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:54332/bench \
        .venv/bin/python -m bench.sla_sweep --referrals 1000000

Fills an empty database with N referrals (1% of them newly overdue), then measures the sweep
(run twice: the second finds nothing), shows its query plan (partial indexes: only due rows are
read), and times the agency inbox's first page with its number of SQL statements.
"""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa

from bench.harness import referral_bench


def fill(db, n: int) -> None:
    from slrt.core.workdays import local_today
    from slrt.regions.services import load_regions
    from tests.factories import make_world

    started = time.perf_counter()
    if not db.session.execute(sa.text("SELECT 1 FROM regions LIMIT 1")).first():
        load_regions()
    world = make_world()
    world.users["agency"].email = "dinsos@example.go.id"
    db.session.commit()
    today = local_today()
    # Statuses by id modulo 100: 1 newly overdue (sent, due yesterday), 29 sent in time,
    # 30 accepted/in progress in time, 40 closed.
    db.session.execute(
        sa.text(
            """
            INSERT INTO referrals (case_id, need_id, service_id, agency_id, office_id, village_code,
                status, urgent, respond_due, resolve_due, respond_risk_from, resolve_risk_from,
                created_at, updated_at, version)
            SELECT :case_id, :need_id, :service_id, :agency_id, :office_id, :village,
                CASE WHEN g % 100 < 30 THEN 'sent' WHEN g % 100 < 45 THEN 'accepted'
                     WHEN g % 100 < 60 THEN 'in_progress' WHEN g % 100 < 80 THEN 'resolved'
                     ELSE 'rejected' END,
                g % 50 = 0,
                CASE WHEN g % 100 = 0 THEN CAST(:yesterday AS date) ELSE CAST(:later AS date) END,
                CAST(:later AS date) + 20, CAST(:later AS date), CAST(:later AS date) + 15,
                now(), now() - (g || ' seconds')::interval, 1
            FROM generate_series(1, :n) AS g
            """
        ),
        {
            "case_id": world.case_a.id,
            "need_id": world.case_a.needs[0].id,
            "service_id": world.referral_a.service_id,
            "agency_id": world.agency.id,
            "office_id": world.office_a.id,
            "village": world.case_a.village_code,
            "yesterday": today - timedelta(days=1),
            "later": today + timedelta(days=10),
            "n": n,
        },
    )
    db.session.commit()
    db.session.execute(sa.text("ANALYZE referrals"))
    db.session.commit()
    print(f"filled {n:,} referrals in {time.perf_counter() - started:.1f} s")


def measure(app, db) -> None:
    from slrt.referrals.breaches import sweep

    with db.engine.connect() as conn:
        plan = (
            conn.execute(
                sa.text(
                    "EXPLAIN SELECT id FROM referrals WHERE status = 'sent' AND respond_due < CURRENT_DATE "
                    "AND NOT EXISTS (SELECT 1 FROM referral_breaches b WHERE b.referral_id = referrals.id "
                    "AND b.kind = 'respond' AND b.due = referrals.respond_due) ORDER BY id LIMIT 1000"
                )
            )
            .scalars()
            .all()
        )
    print("sweep plan:\n  " + "\n  ".join(plan))
    for run in (1, 2):
        started = time.perf_counter()
        report = sweep()
        print(
            f"sweep run {run}: {report.breaches:,} breaches, {report.notifications:,} notifications, "
            f"{time.perf_counter() - started:.2f} s"
        )

    statements = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client = app.test_client()
    client.post("/login", data={"username": "dinsos", "password": "rahasia-123"})
    for _ in range(2):
        statements.clear()
        started = time.perf_counter()
        response = client.get("/referrals/inbox")
        elapsed = (time.perf_counter() - started) * 1000
    print(
        f"inbox first page: HTTP {response.status_code}, {elapsed:.0f} ms, {len(statements)} SQL statements"
    )


if __name__ == "__main__":
    referral_bench(__doc__.splitlines()[0], fill, measure)
