"""`make bench`: the regency-size dataset, then every main page measured side by side with bare
Flask under the same gunicorn settings, written to bench/RESULTS.md.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:PORT/app .venv/bin/python -m bench.run

Expects a migrated PostgreSQL database with regions, catalogue and demo users (bench/run.sh,
which `make bench` calls, prepares one on a private server). Three passes:

1. in process (Flask test client, SQLAlchemy event listener): SQL statements per request, the
   time of one request on a quiet server, page weight (HTML plus its assets, gzipped);
2. under load (gunicorn with deploy/gunicorn.conf.py, wrk --latency): each endpoint right after
   a bare Flask endpoint of the same kind (HTML or JSON), so the ratio compares like with like
   on the same, shared machine at nearly the same moment;
3. EXPLAIN (ANALYZE) of every statement the pages ran (bench/explain.py): sequential scans on
   large tables are listed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bench import dataset, harness
from bench.page_weight import measure as page_weight

RESULTS = harness.ROOT / "bench" / "RESULTS.md"
DEMO_PASSWORD = "demo12345"  # noqa: S105 - the demo users' published password (slrt/demo/foundation.py)
SUGGEST_BODY = {
    "village_code": "32.04.05.2001",
    "needs": ["lansia", "kesehatan.jaminan"],
    "person": {"birth_date": "1950-02-01", "sex": "P", "nik": None, "pregnant": False, "disability": "none"},
    "household": {
        "in_dtsen": True,
        "desil": 3,
        "receives": ["BPNT"],
        "house_uninhabitable": None,
        "members": [{"birth_date": "2015-06-01", "sex": "L", "disability": "none", "in_school": False}],
    },
}


@dataclass
class Page:
    """One page or endpoint as a user reaches it."""

    name: str
    path: str  # may hold {code}: a random public tracking code per request
    user: str | None = None  # demo username, "token" for the bearer token, None: anonymous
    method: str = "GET"
    json_body: dict | None = None
    load: bool = False  # also driven with wrk
    bare: str = "/hello"  # the bare endpoint of the same kind
    target: str = ""
    ratio_target: float | None = None
    p99_target_ms: float | None = None
    single_target_ms: float | None = None
    weight_target_kb: float | None = None
    # measured
    statements: int | None = None
    single_ms: float | None = None
    weight: tuple[int, int] | None = None  # bytes, gzipped bytes
    status: int | None = None
    captured: list = field(default_factory=list)
    under_load: harness.WrkResult | None = None
    bare_load: harness.WrkResult | None = None
    note: str = ""


def pages(ids: dict[str, int], has_dashboard: bool) -> list[Page]:
    p = [
        Page(
            "Status page (public)",
            "/status?code={code}",
            load=True,
            ratio_target=0.5,
            p99_target_ms=50,
            weight_target_kb=50,
            target="issue 6: >= 50% of bare, p99 < 50 ms, < 50 KB",
        ),
        Page(
            "Status API (JSON)",
            "/api/v1/public/status/{code}",
            load=True,
            bare="/ping",
            ratio_target=0.5,
            p99_target_ms=50,
            target="issue 6: >= 50% of bare, p99 < 50 ms",
        ),
        Page("Desk home", "/", user="desk", load=True, weight_target_kb=150, target="issue 3: <= 150 KB"),
        Page(
            "Search by name",
            "/search?q=siti+suryana",
            user="desk",
            single_target_ms=100,
            weight_target_kb=150,
            target="issue 3: first page < 100 ms, <= 150 KB",
        ),
        Page("New case form", "/cases/new", user="desk", weight_target_kb=150, target="issue 3: <= 150 KB"),
        Page(
            "Case detail",
            f"/cases/{ids['case']}",
            user="desk",
            weight_target_kb=150,
            target="issue 3: <= 150 KB",
        ),
        Page(
            "Person detail",
            f"/persons/{ids['person']}",
            user="desk",
            weight_target_kb=150,
            target="issue 3: <= 150 KB",
        ),
        Page(
            "Referral detail",
            f"/referrals/{ids['referral']}",
            user="desk",
            weight_target_kb=150,
            target="issue 3: <= 150 KB",
        ),
        Page(
            "Agency inbox",
            "/referrals/inbox",
            user="dinsos",
            load=True,
            single_target_ms=100,
            target="issue 5: first page < 100 ms",
        ),
        Page("Approvals", "/referrals/approvals", user="koordinator"),
        Page("Overdue (regency)", "/referrals/overdue", user="slrt"),
        Page("Users (admin)", "/admin/users", user="admin"),
        Page("Services (admin)", "/directory/services", user="admin"),
        Page(
            "Routing suggest API",
            "/api/v1/routing/suggest",
            user="token",
            method="POST",
            json_body=SUGGEST_BODY,
            load=True,
            bare="/ping",
            ratio_target=0.4,
            target="issue 4: >= 40% of bare",
        ),
    ]
    dashboard = Page(
        "Regency dashboard",
        "/reports/?region=32.04",
        user="slrt",
        load=has_dashboard,
        single_target_ms=500,
        target="issue 7: < 500 ms at 1,000,000 referrals",
    )
    if not has_dashboard:
        dashboard.note = "not available in this build"
    p.append(dashboard)
    return p


# -- pass 1: in process ---------------------------------------------------------------------


def make_app():
    from slrt import create_app

    return create_app()


def sample(app, n: int = 2000) -> tuple[list[str], dict[str, int]]:
    """Random public tracking codes, and one case/person/referral of the demo desk's village."""
    from slrt.extensions import db

    with app.app_context():
        codes = db.session.scalars(
            sa.text("SELECT tracking_code FROM cases TABLESAMPLE SYSTEM (2) WHERE NOT confidential LIMIT :n"),
            {"n": n},
        ).all()
        village = "32.04.05.2001"
        referral = db.session.execute(
            sa.text(
                "SELECT r.id, r.case_id, c.reporter_id FROM referrals r JOIN cases c ON c.id = r.case_id "
                "WHERE r.village_code = :v AND r.status = 'in_progress' ORDER BY r.id DESC LIMIT 1"
            ),
            {"v": village},
        ).one()
    return list(codes), {"referral": referral[0], "case": referral[1], "person": referral[2]}


def issue_token(app) -> str:
    from slrt.accounts.models import User
    from slrt.accounts.services import issue_token as issue
    from slrt.extensions import db

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "desk"))
        _token, clear = issue(user, name="bench", days=1)
        db.session.commit()
    return clear


def in_process(app, all_pages: list[Page], codes: list[str], token: str, repeat: int = 5) -> None:
    """Statement counts, single-request time and page weight per page (fills the Page objects)."""
    from slrt.extensions import db

    clients = {}
    for page in all_pages:
        if page.note:
            continue
        if page.user not in clients:
            client = app.test_client()
            if page.user not in (None, "token"):
                form = client.get("/login").get_data(as_text=True)
                token_ = harness.CSRF_RE.search(form).group(1)
                client.post(
                    "/login", data={"username": page.user, "password": DEMO_PASSWORD, "csrf_token": token_}
                )
            clients[page.user] = client
        client = clients[page.user]
        headers = {"Authorization": f"Bearer {token}"} if page.user == "token" else {}
        timings, counts = [], []
        with app.app_context():
            engine = db.engine
        for i in range(repeat + 1):
            path = page.path.format(code=codes[i % len(codes)])
            with harness.count_statements(engine) as seen:
                started = time.perf_counter()
                response = client.open(path, method=page.method, json=page.json_body, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
            if i == 0:
                continue  # the first request warms caches (templates, compiled statements)
            timings.append(elapsed)
            counts.append(len(seen))
            page.captured = seen
            page.status = response.status_code
        page.statements = max(counts)
        page.single_ms = statistics.median(timings)
        if page.method == "GET":
            path = page.path.format(code=codes[0])
            rows = page_weight(lambda p, c=client, h=headers: c.get(p, headers=h).data, path)
            page.weight = (sum(r[1] for r in rows), sum(r[2] for r in rows))


# -- pass 2: under load ---------------------------------------------------------------------


def lua_script(tmp: Path, page: Page, codes: list[str], cookie: str | None, token: str) -> Path:
    lines = []
    if cookie:
        lines.append(f'wrk.headers["Cookie"] = "{cookie}"')
    if page.user == "token":
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    if page.json_body is not None:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
        lines.append(f"wrk.method = {json.dumps(page.method)}")
        lines.append(f"wrk.body = {json.dumps(json.dumps(page.json_body))}")
    if "{code}" in page.path:
        lines.append("local codes = {" + ",".join(f'"{c}"' for c in codes) + "}")
        before, after = page.path.split("{code}")
        lines.append("request = function()")
        lines.append(f'  return wrk.format(nil, "{before}" .. codes[math.random(#codes)] .. "{after}")')
        lines.append("end")
    slug = re.sub(r"\W+", "_", page.name)
    script = tmp / f"{slug}.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


def bare_script(tmp: Path, page: Page) -> Path | None:
    if page.json_body is None:
        return None
    script = tmp / "bare_post.lua"
    script.write_text(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(json.dumps(page.json_body))}\n"
    )
    return script


def under_load(
    all_pages: list[Page], codes: list[str], token: str, env: dict[str, str], duration: str
) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="slrt-bench-"))
    app_proc, app_url = harness.serve("wsgi:app", env)
    bare_proc, bare_url = harness.serve("bench.bare_app:app", env)
    try:
        cookies: dict[str, str] = {}
        for page in all_pages:
            if not page.load or page.note:
                continue
            if page.user not in (None, "token") and page.user not in cookies:
                cookies[page.user] = harness.login_cookie(app_url, page.user, DEMO_PASSWORD)
            script = lua_script(tmp, page, codes, cookies.get(page.user), token)
            url = app_url + (page.path if "{code}" not in page.path else "/")
            bare = bare_script(tmp, page)
            harness.wrk(bare_url + page.bare, "2s", bare)  # warm up both
            harness.wrk(url, "2s", script)
            page.bare_load = harness.wrk(bare_url + page.bare, duration, bare)
            page.under_load = harness.wrk(url, duration, script)
            print(
                f"  {page.name}: {page.under_load.rps:.0f} req/s vs bare {page.bare_load.rps:.0f}",
                file=sys.stderr,
            )
    finally:
        harness.stop(app_proc)
        harness.stop(bare_proc)


# -- RESULTS.md -----------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "" if ok is None else (" ✅" if ok else " ❌")


def write_results(
    all_pages: list[Page], built: dict[str, float], findings: list, meta: dict[str, str]
) -> str:
    out = ["# Benchmark results (`make bench`)", ""]
    out.append(f"Run {meta['when']} on {meta['machine']}. {meta['settings']}")
    out.append("The load generator shares the cores with the servers, so only figures from the same run")
    out.append("compare; each endpoint ran right after the bare Flask endpoint of its kind.")
    out.append("")
    out.append("## Dataset")
    out.append("")
    if built.get("skipped"):
        out.append(f"Reused an existing dataset of {built['cases']:,.0f} cases.")
    else:
        b = {k: f"{v:,.0f}" for k, v in built.items() if isinstance(v, int | float)}
        out.append(
            f"Kabupaten Bandung (32.04), {b['villages']} villages: {b['households']} households, "
            f"{b['persons']} persons, {b['cases']} cases, {b['needs']} needs, {b['referrals']} referrals "
            f"in every state, {b['referral_events']} referral events, {b['referral_breaches']} recorded "
            "breaches; two years of dates."
        )
        out.append("")
        out.append(
            f"Build time: **{b['seconds_total']} s** (rows streamed with COPY {b['seconds_rows']} s, "
            f"indexes rebuilt {b['seconds_indexes']} s, the rest VACUUM ANALYZE)."
        )
        if "seconds_tallies" in b:
            out.append("")
            out.append(
                f"Report tallies computed for every village afterwards (`slrt.reports.tally.rebuild`, "
                f"what a bulk loader calls): **{b['seconds_tallies']} s**."
            )
    if "ms_tally_commit" in built:
        out.append("")
        out.append(
            f"What every commit adds to keep the dashboards current (the tallies of one village and "
            f"month recomputed, and the change added to its district, regency and province): "
            f"**{built['ms_tally_commit']:.0f} ms** (median of 5, a village of "
            f"{built['village_referrals']:,.0f} referrals); the whole village: "
            f"{built['ms_tally_village']:.0f} ms."
        )
    if "dtsen" in built:
        d = built["dtsen"]
        first, again = d["first import"], d["re-import"]
        met = min(first["rows_per_second"], again["rows_per_second"]) >= 10_000
        out.append("")
        out.append(
            f"DTSEN import (`bench/dtsen.py`, {d['rows']:,} rows into an empty database): first import "
            f"**{first['rows_per_second']:,.0f} rows/s** ({first['seconds']:.1f} s), re-import "
            f"**{again['rows_per_second']:,.0f} rows/s** ({again['seconds']:.1f} s); "
            f"issue 7: >= 10,000 rows/s{verdict(met)}."
        )
    if "dedup" in built:
        from bench.dedup import section

        out.append("")
        out.append(section(built["dedup"]).rstrip("\n"))
    out.append("")
    out.append("## Under load (gunicorn, wrk)")
    out.append("")
    out.append("| endpoint | req/s | p50 ms | p99 ms | bare req/s | ratio | target | met |")
    out.append("|---|---:|---:|---:|---:|---:|---|---|")
    for page in all_pages:
        if page.note and page.load is False and page.single_target_ms and page.statements is None:
            out.append(f"| {page.name} | – | – | – | – | – | {page.target} | {page.note} |")
            continue
        if page.under_load is None:
            continue
        r, b = page.under_load, page.bare_load
        ratio = r.rps / b.rps if b.rps else 0
        checks = []
        if page.ratio_target is not None:
            checks.append(ratio >= page.ratio_target)
        if page.p99_target_ms is not None:
            checks.append(r.p99_ms < page.p99_target_ms)
        met = verdict(all(checks)) if checks else "no load target"
        errors = f" ({r.errors} errors)" if r.errors else ""
        out.append(
            f"| {page.name}{errors} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
            f"| {b.rps:,.0f} ({page.bare}) | {ratio:.0%} | {page.target or '–'} | {met} |"
        )
    out.append("")
    out.append("## Per request (in process, quiet server)")
    out.append("")
    out.append("| page | HTTP | SQL statements | one request ms | weight KB (gzip) | target | met |")
    out.append("|---|---:|---:|---:|---:|---|---|")
    for page in all_pages:
        if page.statements is None:
            out.append(f"| {page.name} | – | – | – | – | {page.target or '–'} | {page.note} |")
            continue
        checks = []
        if page.single_target_ms is not None:
            checks.append(page.single_ms < page.single_target_ms)
        if page.weight_target_kb is not None and page.weight:
            checks.append(page.weight[1] <= page.weight_target_kb * 1024)
        weight = f"{page.weight[0] / 1024:.1f} ({page.weight[1] / 1024:.1f})" if page.weight else "–"
        out.append(
            f"| {page.name} | {page.status} | {page.statements} | {page.single_ms:.1f} | {weight} "
            f"| {page.target or '–'} | {verdict(all(checks)) if checks else ''} |"
        )
    out.append("")
    out.append("SQL statements per request are pinned at two data sizes in tests/test_query_counts.py.")
    out.append("")
    out.append("## Sequential scans on large tables (EXPLAIN ANALYZE of the statements above)")
    out.append("")
    if not findings:
        out.append(
            "None: every lookup and list of these pages reads a table larger than 10,000 rows by index."
        )
    else:
        out.append("| page | table | rows in table | statement |")
        out.append("|---|---|---:|---|")
        for f in findings:
            out.append(f"| {f.page} | {f.table} | {f.table_rows:,} | `{f.statement[:160]}` |")
    out.append("")
    text = "\n".join(out)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=500_000)
    parser.add_argument("--duration", default="10s", help="wrk duration per endpoint")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--dtsen-rows", type=int, default=200_000, help="rows of the DTSEN import bench")
    parser.add_argument("--dedup-persons", type=int, default=1_000_000, help="persons, duplicates bench")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        raise SystemExit("set DATABASE_URL to a migrated PostgreSQL database (see bench/run.sh)")
    os.environ.update(harness.LIMITS_OUT_OF_REACH)
    print(f"== dataset ({args.cases:,} cases, {args.persons:,} persons)", file=sys.stderr)
    built = dataset.build(url, args.cases, args.persons)

    from bench import explain

    app = make_app()
    if not built.get("skipped"):
        built["seconds_tallies"] = rebuild_tallies(app)
    built.update(tally_per_commit(app))
    codes, ids = sample(app)
    token = issue_token(app)
    all_pages = pages(ids, "reports.dashboard" in app.view_functions)
    print("== in process: SQL statements, time, weight", file=sys.stderr)
    in_process(app, all_pages, codes, token)
    print("== EXPLAIN", file=sys.stderr)
    findings = explain.explain_pages(app, all_pages)
    built.update(dtsen_import(args.dtsen_rows))
    built.update(duplicates(args.dedup_persons))
    print("== under load", file=sys.stderr)
    env = harness.env_for(url, os.environ.get("SLRT_INSTANCE_PATH", tempfile.mkdtemp(prefix="slrt-bench-")))
    under_load(all_pages, codes, token, env, args.duration)
    workers = os.environ.get("SLRT_WORKERS") or str(os.cpu_count() * 2 + 1)
    meta = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, PostgreSQL {_pg_version(app)}",
        "settings": (
            f"gunicorn -c deploy/gunicorn.conf.py ({workers} sync workers, access log off) for the app and "
            f"bench/bare_app.py alike; wrk -t2 -c8 -d{args.duration} --latency."
        ),
    }
    text = write_results(all_pages, built, findings, meta)
    args.output.write_text(text)
    print(text)


def rebuild_tallies(app) -> float:
    """The dashboard reads per-village tallies that the app keeps on every commit; rows streamed
    with COPY bypass that, so the loader rebuilds them once, as `flask reports refresh` does."""
    from slrt.extensions import db
    from slrt.reports import tally

    print("== report tallies (rebuild after the bulk load)", file=sys.stderr)
    started = time.perf_counter()
    with app.app_context():
        tally.rebuild()
        db.session.commit()
    return time.perf_counter() - started


def dtsen_import(rows: int) -> dict:
    """`flask dtsen import` of a generated file into the empty second database run.sh made
    (bench/dtsen.py, in its own process), first import and re-import."""
    url = os.environ.get("SLRT_BENCH_DTSEN_URL")
    if not url:
        return {}
    print(f"== DTSEN import ({rows:,} rows)", file=sys.stderr)
    return {"dtsen": _own_process("bench.dtsen", url, "--rows", str(rows))}


def duplicates(persons: int) -> dict:
    """The duplicate finder's bench (bench/dedup.py, in its own process) in the empty third
    database run.sh made: known duplicates, the batch scan, the intake check."""
    url = os.environ.get("SLRT_BENCH_DEDUP_URL")
    if not url:
        return {}
    print(f"== duplicates ({persons:,} persons)", file=sys.stderr)
    return {"dedup": _own_process("bench.dedup", url, "--persons", str(persons))}


def _own_process(module: str, url: str, *args: str) -> dict:
    """Runs a bench module on its own database in a process of its own; its last line of output
    is its figures as JSON."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args, "--json"],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
        cwd=harness.ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def tally_per_commit(app, village: str = "32.04.05.2001") -> dict[str, float]:
    """The cost a commit pays for live dashboards: one village-month recomputed (what a desk's
    commit triggers), against the whole village (what every commit did before)."""
    from slrt.core.workdays import local_today
    from slrt.extensions import db
    from slrt.reports import tally

    month = frozenset({local_today().replace(day=1)})

    def timed(scope) -> float:
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            tally.refresh(scope, db.session)
            db.session.commit()
            runs.append((time.perf_counter() - started) * 1000)
        return statistics.median(runs)

    with app.app_context():
        referrals = db.session.scalar(
            sa.text("SELECT count(*) FROM referrals WHERE village_code = :v"), {"v": village}
        )
        return {
            "ms_tally_commit": timed({village: month}),
            "ms_tally_village": timed({village: None}),
            "village_referrals": referrals,
        }


def _pg_version(app) -> str:
    from slrt.extensions import db

    with app.app_context():
        return db.session.scalar(sa.text("SHOW server_version")).split()[0]


if __name__ == "__main__":
    random.seed(1)
    main()
