"""Benchmark: `flask dtsen import` on PostgreSQL, first import and re-import.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:54332/bench \
        .venv/bin/python -m bench.dtsen --rows 200000

Writes a valid DTSEN CSV (households of 1-6 members in real Kabupaten Bandung villages, NIKs
whose region, birth date and sex agree with the row) into a temporary folder, then imports it
into an empty database twice: the first run inserts everything, the second must change nothing.
The target is at least 10,000 rows/s for both.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

PROGRAMMES = ["PKH", "BPNT", "PBI-JK", "PIP"]


def write_file(path: Path, rows: int, villages: list[str], seed: int = 7) -> None:
    """`rows` person rows; a household shares its No. KK, village, desil and programmes."""
    from slrt.dtsen.rows import COLUMNS

    rng = random.Random(seed)
    serials: dict[str, int] = {}
    written = 0
    kk_serial = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        while written < rows:
            kk_serial += 1
            village = rng.choice(villages)
            region6 = village.replace(".", "")[:6]
            kk = f"{region6}{kk_serial:010d}"
            desil = rng.randint(1, 10)
            programmes = ";".join(rng.sample(PROGRAMMES, k=rng.randint(0, 2))) if desil <= 5 else ""
            for _ in range(min(rng.randint(1, 6), rows - written)):
                born = date(1940, 1, 1) + timedelta(days=rng.randint(0, 30_000))
                sex = rng.choice("LP")
                day = born.day + (40 if sex == "P" else 0)
                stem = f"{region6}{day:02d}{born.month:02d}{born.year % 100:02d}"
                serial = serials.get(stem, 0) + 1
                serials[stem] = serial
                writer.writerow(
                    [
                        f"{stem}{serial:04d}",
                        kk,
                        f"Warga Bench {written}",
                        born.isoformat(),
                        sex,
                        village,
                        desil,
                        programmes,
                    ]
                )
                written += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument(
        "--json", action="store_true", help="end with one JSON line of the figures (make bench)"
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        raise SystemExit("set DATABASE_URL to an empty PostgreSQL database")

    from flask_migrate import upgrade

    from slrt import create_app
    from slrt.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        from slrt.directory.catalog import load_catalog
        from slrt.dtsen import run
        from slrt.intake.models import Household, Person
        from slrt.regions.models import LEVEL_VILLAGE, Region
        from slrt.regions.services import load_regions

        if not db.session.execute(sa.text("SELECT 1 FROM regions LIMIT 1")).first():
            load_regions()
        load_catalog()
        db.session.commit()
        if db.session.scalar(sa.select(sa.func.count(Person.id))):
            raise SystemExit("the database already holds persons: use an empty one")
        villages = list(
            db.session.scalars(
                sa.select(Region.code).where(Region.level == LEVEL_VILLAGE, Region.code.startswith("32.04."))
            )
        )
        folder = Path(tempfile.mkdtemp(prefix="bench-dtsen-"))
        path = folder / "dtsen.csv"
        started = time.perf_counter()
        write_file(path, args.rows, villages)
        print(
            f"wrote {args.rows:,} rows for {len(villages)} villages in {time.perf_counter() - started:.1f} s"
        )
        batch = args.batch_size or run.DEFAULT_BATCH
        figures = {"rows": args.rows}
        for label in ("first import", "re-import"):
            cpu = time.process_time()
            counts = run.import_file(path, batch_size=batch)
            cpu = time.process_time() - cpu
            # On a shared machine the wall clock includes waiting for a core; the CPU seconds of
            # this process (PostgreSQL's work not included) show what the importer itself costs.
            print(
                f"{label}: {counts.read:,} rows in {counts.seconds:.1f} s "
                f"= {counts.rows_per_second:,.0f} rows/s "
                f"(importer CPU {cpu:.1f} s, load average {os.getloadavg()[0]:.1f}); "
                f"persons +{counts.persons_inserted:,} ~{counts.persons_updated:,} "
                f"={counts.persons_unchanged:,}; "
                f"households +{counts.households_inserted:,} ~{counts.households_updated:,} "
                f"={counts.households_unchanged:,}; rejected {counts.rejected:,}; changed {counts.changed:,}"
            )
            figures[label] = {"seconds": counts.seconds, "rows_per_second": counts.rows_per_second}
        persons = db.session.scalar(sa.select(sa.func.count(Person.id)))
        households = db.session.scalar(sa.select(sa.func.count(Household.id)))
        print(f"database: {persons:,} persons, {households:,} households")
        if args.json:
            print(json.dumps(figures))


if __name__ == "__main__":
    main()
