"""Desk intake budgets, measured (never asserted in tests):

- the new-case flow needs at most 4 page loads from home to receipt, each at most 150 KB
  transferred (HTML plus its CSS and JS, gzip-compressed as a web server sends them);
- a name search among 1,000,000 persons returns its first page in under 100 ms on PostgreSQL
  (run with DATABASE_URL pointing at an empty scratch PostgreSQL database; it is filled here).

    .venv/bin/python -m bench.intake [--persons 1000000]
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

BUDGET_BYTES = 150 * 1024
ASSET_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
KEY_RE = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')


def _weight(client, html: str) -> int:
    total = len(gzip.compress(html.encode()))
    for asset in set(ASSET_RE.findall(html)):
        total += len(gzip.compress(client.get(asset).data))
    return total


def page_weights(app) -> None:
    from slrt.extensions import db
    from tests import factories
    from tests.intake_factories import intake_form

    with app.app_context():
        factories.make_world()
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = CSRF_RE.search(page).group(1)
        client.post(
            "/login", data={"username": "desk.a", "password": factories.PASSWORD, "csrf_token": token}
        )
        loads = []
        home = client.get("/").get_data(as_text=True)
        find = client.get("/cases/new").get_data(as_text=True)
        loads.append(("1 cari warga", find))
        form = client.get("/cases/new?name=Wati+Suryani&birth_date=1985-03-02").get_data(as_text=True)
        loads.append(("2 formulir", form))
        data = intake_form(
            csrf_token=CSRF_RE.search(form).group(1), idempotency_key=KEY_RE.search(form).group(1)
        )
        saved = client.post("/cases/new", data=data, follow_redirects=True)
        loads.append(("3 tanda terima", saved.get_data(as_text=True)))
        print(f"home: {_weight(client, home) / 1024:.1f} KB")
        for name, html in loads:
            size = _weight(client, html)
            flag = "ok" if size <= BUDGET_BYTES else "OVER BUDGET"
            print(f"{name}: {size / 1024:.1f} KB transferred ({flag})")
        print(f"page loads from home to receipt: {len(loads)} (budget 4)")
        db.session.remove()


def name_search(app, persons: int) -> None:
    from slrt.accounts.models import Role, User
    from slrt.extensions import db
    from slrt.intake import models as m
    from slrt.intake.search import search_statements

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            print("name search: skipped (set DATABASE_URL to a scratch PostgreSQL database)")
            return
        have = db.session.scalar(sa.select(sa.func.count(m.Person.id)))
        if have < persons:
            start = time.perf_counter()
            db.session.execute(
                sa.text(
                    """
                    INSERT INTO persons (name, name_search, village_code, disability, created_at, updated_at)
                    SELECT n, lower(n), '32.04.05.2001', 'none', now(), now() FROM (
                      SELECT (ARRAY['Siti','Asep','Euis','Dadang','Neneng','Ujang','Rina','Agus'])[1 + i % 8]
                             || ' ' || md5(i::text) AS n
                      FROM generate_series(:a, :b) AS i) s
                    """
                ),
                {"a": have + 1, "b": persons},
            )
            db.session.commit()
            db.session.execute(sa.text("ANALYZE persons"))
            print(f"inserted {persons - have} persons in {time.perf_counter() - start:.1f} s")
        user = User(role=Role.SLRT, scope_region_code="32.04", active=True)  # never saved
        timings: list[float] = []
        found: dict[str, int] = {}
        for query in ("siti 3fa", "dadang ab", "euis 00", "asep", "ujang", "3fa9", "zzzz"):
            for _ in range(5):
                start = time.perf_counter()
                result = search_statements(query, user)
                found[query] = len(db.paginate(result.persons, page=1, per_page=20, error_out=False).items)
                timings.append((time.perf_counter() - start) * 1000)
        print(
            f"name search, first page: median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms"
        )


def make_app(url: str | None, tmp: Path):
    from flask_migrate import upgrade

    from config import TestConfig
    from slrt import create_app
    from slrt.regions.services import load_regions

    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    settings["SQLALCHEMY_DATABASE_URI"] = url or f"sqlite:///{tmp / 'bench.sqlite'}"
    settings["UPLOAD_DIR"] = str(tmp / "uploads")
    app = create_app(settings)
    with app.app_context():
        upgrade()  # idempotent: a filled PostgreSQL scratch database is reused between runs
        if url is None:
            load_regions()
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="slrt-bench-"))
    os.environ["SLRT_INSTANCE_PATH"] = str(tmp)
    page_weights(make_app(None, tmp))
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith("postgresql"):
        name_search(make_app(url, tmp), args.persons)
    else:
        print("name search: skipped (set DATABASE_URL to a scratch PostgreSQL database)")


if __name__ == "__main__":
    main()
