"""Household screening benchmark (issue 16): the seed catalogue for a household of six, every
member screened ("no wrong door"), named needs for the first, one prerequisite per person.
Prints the median in process.

    .venv/bin/python -m bench.household_screening [--rounds N]

Target: < 5 ms median. Timings vary with the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date

from bench.routing_engine import AGENCIES, VILLAGE
from slrt.directory.catalog import DEFAULT_PATH, service_specs
from slrt.routing.engine import Directory, suggest
from slrt.routing.facts import HouseholdData, PersonData, build_facts

TODAY = date(2026, 11, 22)
TARGET_MS = 5.0


def household() -> tuple[dict, list[dict]]:
    """A widow known only by her birth year, without NIK; her son and daughter-in-law; three
    grandchildren (one under six, two of school age); DTSEN checked, house not yet verified."""
    people = [
        PersonData(birth_date=date(1952, 7, 1), birth_precision="year", sex="P", nik=None, disability="none"),
        PersonData(birth_date=date(1978, 3, 9), sex="L", nik="3204050903780001", disability="mild"),
        PersonData(birth_date=date(1984, 1, 20), sex="P", nik="3204056001840002", disability="none"),
        PersonData(birth_date=date(2012, 5, 2), sex="L", disability="none", schooling="in_school"),
        PersonData(birth_date=date(2016, 8, 30), sex="P", disability="none", schooling=None),
        PersonData(birth_date=date(2023, 2, 14), sex="L", disability="none"),
    ]
    home = HouseholdData(in_dtsen=True, desil=3, programmes=["BPNT"], house_uninhabitable=None)
    facts = [build_facts(p, home, people[:i] + people[i + 1 :], today=TODAY) for i, p in enumerate(people)]
    return facts[0], facts[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    directory = Directory(service_specs(json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))), AGENCIES)
    me, members = household()
    needs = ["pangan", "kesehatan.jaminan", "rumah", "adminduk"]
    result = suggest(directory, needs, me, VILLAGE, members)  # warm the compiled-expression cache
    times = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        suggest(directory, needs, me, VILLAGE, members)
        times.append((time.perf_counter() - start) * 1000)
    median = statistics.median(times)
    verdict = "ok" if median < TARGET_MS else "OVER TARGET"
    print(
        f"household of 6, {len(directory.services)} services, {len(result.suggestions)} suggestions:"
        f" median {median:.3f} ms (target < {TARGET_MS:g} ms: {verdict})"
    )


if __name__ == "__main__":
    main()
