"""Benchmark: the regency dashboard and large exports over 1,000,000 referrals (PostgreSQL).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:54331/bench \
        .venv/bin/python -m bench.reports --referrals 1000000

Fills an empty database with N referrals (two per case) spread over every village of Kabupaten
Bandung with INSERT ... SELECT, rebuilds the tallies with `slrt.reports.tally.rebuild()` (the
one call a bulk loader makes), then times the regency dashboard as the SLRT officer sees it and
exports about 10,000 and 100,000 rows as CSV and XLSX with their peak Python memory
(tracemalloc): flat memory means the peak does not grow with the number of rows.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc

import sqlalchemy as sa

from bench.harness import referral_bench


def fill(db, n: int) -> None:
    from slrt.core.workdays import local_today
    from slrt.regions.services import load_regions
    from slrt.reports.tally import rebuild
    from tests.factories import make_world

    started = time.perf_counter()
    if not db.session.execute(sa.text("SELECT 1 FROM regions LIMIT 1")).first():
        load_regions()
    world = make_world()
    db.session.commit()
    today = local_today()
    cases = n // 2
    params = {"n": cases, "today": today, "office": world.office_a.id, "agency": world.agency.id}
    # Cases spread over the regency's villages and the last 400 days; one need per case.
    _run(
        db,
        (
            """
            CREATE TEMP TABLE bench_villages AS
              SELECT row_number() OVER (ORDER BY code) - 1 AS i, code FROM regions
              WHERE level = 4 AND code LIKE '32.04.%';
            INSERT INTO cases (tracking_code, channel, type, status, office_id, village_code, urgent,
                consent_given, confidential, anonymous, created_at, updated_at)
            SELECT 'B' || lpad(g::text, 11, '0'),
                (ARRAY['walk_in','home_visit','phone','online'])[1 + g % 4], 'need',
                CASE WHEN g % 3 = 0 THEN 'closed' ELSE 'open' END, :office, v.code, false,
                true, false, false, now() - ((g % 400) || ' days')::interval, now()
            FROM generate_series(1, :n) AS g
            JOIN bench_villages v ON v.i = g % (SELECT count(*) FROM bench_villages);
            INSERT INTO needs (case_id, category_code)
            SELECT id, (ARRAY['pangan','lansia','adminduk','pendidikan','kesehatan.jaminan'])[1 + id % 5]
            FROM cases WHERE tracking_code LIKE 'B%';
            """
        ),
        params,
    )
    # Two referrals per need; statuses by id modulo 100: 10 sent, 10 accepted, 10 in progress,
    # 50 resolved, 10 rejected, 10 draft.
    _run(
        db,
        (
            """
            INSERT INTO referrals (case_id, need_id, service_id, agency_id, office_id, village_code,
                status, outcome, urgent, respond_due, resolve_due, respond_risk_from, resolve_risk_from,
                sent_at, closed_at, created_at, updated_at, version)
            SELECT c.id, nd.id, s.id, :agency, :office, c.village_code,
                CASE WHEN x.r % 100 < 10 THEN 'sent' WHEN x.r % 100 < 20 THEN 'accepted'
                     WHEN x.r % 100 < 30 THEN 'in_progress' WHEN x.r % 100 < 80 THEN 'resolved'
                     WHEN x.r % 100 < 90 THEN 'rejected' ELSE 'draft' END,
                CASE WHEN x.r % 100 BETWEEN 30 AND 79 THEN 'granted' END,
                false, CAST(:today AS date) + (x.r % 7) - 3, CAST(:today AS date) + 10,
                CAST(:today AS date) - 5, CAST(:today AS date) + 5,
                c.created_at + interval '1 hour',
                CASE WHEN x.r % 100 BETWEEN 30 AND 89
                     THEN c.created_at + ((x.r % 30) || ' days')::interval END,
                c.created_at, now(), 1
            FROM cases c JOIN needs nd ON nd.case_id = c.id
            CROSS JOIN LATERAL (SELECT c.id * 2 + k AS r FROM generate_series(0, 1) AS k) x
            JOIN services s
              ON s.code = (ARRAY['BPNT','ATENSI-LANSIA','ADMINDUK','PIP','PBI-JK'])[1 + c.id % 5]
            WHERE c.tracking_code LIKE 'B%';
            INSERT INTO referral_events (referral_id, from_status, to_status, at)
            SELECT id, 'draft', 'sent', sent_at FROM referrals
            WHERE sent_at IS NOT NULL AND status <> 'draft';
            INSERT INTO referral_events (referral_id, from_status, to_status, at)
            SELECT id, 'sent', 'accepted', sent_at + ((id % 5) || ' days')::interval FROM referrals
            WHERE status IN ('accepted', 'in_progress', 'resolved');
            ANALYZE;
            """
        ),
        params,
    )
    db.session.commit()
    total = db.session.scalar(sa.text("SELECT count(*) FROM referrals"))
    print(f"filled {total:,} referrals in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    rows = rebuild()
    db.session.commit()
    db.session.commit()
    # Index-only scans need the visibility map that VACUUM writes (autovacuum would, later).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    print(f"rebuild(): {rows:,} tally rows in {time.perf_counter() - started:.1f} s")


def _run(db, script: str, params: dict) -> None:
    """Runs several SQL statements (a driver prepares one statement at a time)."""
    for statement in script.split(";"):
        if statement.strip():
            db.session.execute(sa.text(statement), params)


def _timed_get(client, path: str, runs: int = 5) -> tuple[int, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
    return response.status_code, statistics.median(times)


def _export(client, path: str) -> tuple[int, int, float, float]:
    """(status, bytes, seconds, peak MiB of Python allocations while the file is produced)."""
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(path, buffered=False)
    size = sum(len(chunk) for chunk in response.response)
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return response.status_code, size, elapsed, peak / 2**20


def measure(app, db) -> None:
    client = app.test_client()
    client.post("/login", data={"username": "slrt.bdg", "password": "rahasia-123"})
    client.get("/reports/")  # warm caches (templates, region rows)
    status, ms = _timed_get(client, "/reports/")
    print(f"regency dashboard (32.04): HTTP {status}, median {ms:.0f} ms over 5 renders")
    status, ms = _timed_get(client, "/reports/?region=32.04.05")
    print(f"district dashboard (32.04.05): HTTP {status}, median {ms:.0f} ms")

    small = "/reports/records.{fmt}?subject=referral&figure=status&key=sent&region=32.04.05"
    large = "/reports/records.{fmt}?subject=referral&figure=status&key=sent"
    for fmt in ("csv", "xlsx"):
        for path in (small.format(fmt=fmt), large.format(fmt=fmt)):
            audit_rows = None
            status, size, seconds, peak = _export(client, path)
            from slrt.core.audit import AuditEvent

            audit_rows = db.session.scalar(
                sa.select(AuditEvent.detail).order_by(AuditEvent.id.desc()).limit(1)
            )["rows"]
            print(
                f"export {fmt} {audit_rows:>7,} rows: HTTP {status}, {size / 2**20:.1f} MiB, "
                f"{seconds:.1f} s, peak Python memory {peak:.1f} MiB"
            )


if __name__ == "__main__":
    referral_bench(__doc__.splitlines()[0], fill, measure)
