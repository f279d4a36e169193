"""Routing engine benchmark: one household against the seed catalogue and against a generated
200-service catalogue, every need at once (so every service is judged). Prints medians.

    .venv/bin/python -m bench.routing_engine [--rounds N]

Targets (issue 4): seed catalogue < 2 ms, 200 services < 10 ms median. Timings vary with the
machine and its load; compare figures taken in the same run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import date

from slrt.directory.catalog import DEFAULT_PATH, service_specs
from slrt.routing.engine import AgencySpec, CriterionSpec, Directory, RuleSpec, ServiceSpec, suggest
from slrt.routing.facts import HouseholdData, PersonData, build_facts

TODAY = date(2026, 11, 22)
VILLAGE = "32.04.05.2001"
AGENCIES = [
    AgencySpec(code, code, ("32.04",))
    for code in ("DINSOS-3204", "DUKCAPIL-3204", "DISDIK-3204", "UPTD-PPA-3204", "BAZNAS-3204", "BPBD-3204")
] + [AgencySpec("PUSKESMAS-CILEUNYI", "Puskesmas Cileunyi", ("32.04.05",))]
# Criteria shapes an administrator writes, with some facts left unknown in the household below.
TEMPLATES = [
    "desil <= {n}",
    "in_dtsen == true",
    "age >= {a}",
    "age >= {a} and age <= {b}",
    "children_under_6 > 0 or pregnant_members > 0",
    "not receives_pkh",
    "house_uninhabitable == true",
    "disability != 'none'",
    "programme_count >= 1",
    "'BPNT' in programmes",
    "school_age_not_finished > 0 or members_70_plus > 0",
]


def household_facts() -> dict:
    """A typical desk household: a grandmother with a grandchild; house condition unknown."""
    person = PersonData(birth_date=date(1950, 2, 1), sex="P", nik=None, pregnant=False, disability="none")
    household = HouseholdData(in_dtsen=True, desil=3, programmes=["BPNT"], house_uninhabitable=None)
    members = [
        PersonData(
            birth_date=date(2015, 6, 1), sex="L", disability="none", pregnant=False, schooling="not_in_school"
        ),
        PersonData(birth_date=date(1985, 1, 9), sex="P", disability="none", pregnant=None),
    ]
    return build_facts(person, household, members, today=TODAY)


def generated_catalogue(needs: list[str], size: int, rng: random.Random) -> list[ServiceSpec]:
    services = []
    for i in range(size):
        criteria = tuple(
            CriterionSpec(
                f"kriteria {j}",
                rng.choice(TEMPLATES).format(
                    n=rng.randint(1, 6), a=rng.randint(5, 60), b=rng.randint(61, 90)
                ),
            )
            for j in range(rng.randint(0, 4))
        )
        services.append(
            ServiceSpec(
                code=f"SVC-{i:03d}",
                name=f"Layanan {i}",
                needs=tuple(rng.sample(needs, rng.randint(1, 2))),
                criteria=criteria,
                combine=rng.choice(("all", "any")),
                urgent=rng.random() < 0.1,
                needs_nik=rng.random() < 0.3,
                default_agency_code=rng.choice(("DINSOS", "DUKCAPIL", "DISDIK", "BAZNAS")),
            )
        )
    services.append(ServiceSpec("ADMINDUK", "Layanan Dokumen Kependudukan", ("adminduk",)))
    return services


def median_ms(directory: Directory, needs: list[str], facts: dict, rounds: int) -> float:
    suggest(directory, needs, facts, VILLAGE)  # warm the compiled-expression cache
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        suggest(directory, needs, facts, VILLAGE)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    needs = [n["code"] for n in data["needs"]]
    facts = household_facts()
    rules = [RuleSpec("PUSKESMAS", "32.04.05", "PUSKESMAS-CILEUNYI")]
    seed = Directory(service_specs(data), AGENCIES, rules)
    big = Directory(generated_catalogue(needs, 200, random.Random(4)), AGENCIES, rules)
    results = [
        ("seed catalogue", len(seed.services), median_ms(seed, needs, facts, args.rounds), 2.0),
        ("generated catalogue", len(big.services), median_ms(big, needs, facts, args.rounds), 10.0),
    ]
    for label, count, median, target in results:
        verdict = "ok" if median < target else "OVER TARGET"
        print(f"{label:20} {count:4d} services  median {median:7.3f} ms  (target < {target:g} ms: {verdict})")


if __name__ == "__main__":
    main()
