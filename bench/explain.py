"""EXPLAIN (ANALYZE, FORMAT JSON) of every statement the main pages run, against the dataset.

    DATABASE_URL=postgresql+psycopg://... .venv/bin/python -m bench.explain

The statements are the app's own: each page is requested once with the Flask test client while
a SQLAlchemy listener records what it sends (bench/run.py's in-process pass), then each
distinct SELECT is explained with its real parameters. Any sequential scan over a table larger
than 10,000 rows is reported; `make bench` writes them into bench/RESULTS.md.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

LARGE = 10_000


@dataclass
class Finding:
    page: str
    table: str
    table_rows: int
    statement: str
    ms: float


def _nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def explain_pages(app, pages) -> list[Finding]:
    """Seq Scans on large tables among the statements captured for `pages` (run.Page objects)."""
    from slrt.extensions import db

    findings: list[Finding] = []
    done: set[str] = set()
    with app.app_context():
        sizes = dict(
            db.session.execute(
                sa.text("SELECT relname, reltuples::bigint FROM pg_class WHERE relkind = 'r'")
            ).all()
        )
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for page in pages:
                for statement, parameters in page.captured:
                    if not statement.lstrip().upper().startswith("SELECT") or statement in done:
                        continue
                    done.add(statement)
                    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
                    plan = cursor.fetchone()[0][0]
                    raw.rollback()
                    for node in _nodes(plan["Plan"]):
                        table = node.get("Relation Name")
                        if node["Node Type"] == "Seq Scan" and sizes.get(table, 0) > LARGE:
                            findings.append(
                                Finding(
                                    page.name,
                                    table,
                                    sizes[table],
                                    " ".join(statement.split()),
                                    plan["Execution Time"],
                                )
                            )
        finally:
            raw.close()
    return findings


def main() -> None:
    from bench import run

    app = run.make_app()
    codes, ids = run.sample(app)
    token = run.issue_token(app)
    pages = run.pages(ids, "reports.dashboard" in app.view_functions)
    run.in_process(app, pages, codes, token, repeat=1)
    findings = explain_pages(app, pages)
    statements = sum(len(p.captured) for p in pages)
    print(f"{statements} statements from {len(pages)} pages explained", file=sys.stderr)
    for f in findings:
        print(f"SEQ SCAN {f.table} ({f.table_rows:,} rows) on {f.page}, {f.ms:.1f} ms: {f.statement[:300]}")
    if not findings:
        print("no sequential scan on a table larger than 10,000 rows")


if __name__ == "__main__":
    main()
