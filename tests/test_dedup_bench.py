"""bench/dedup.py's ground truth and its precision and recall (the timings are never asserted)."""

from __future__ import annotations

from bench import dedup as bench

VILLAGES = [f"32.04.{d:02d}.{v}" for d in (1, 2, 3) for v in (2001, 2002, 2003)]


def test_the_population_holds_each_kind_of_duplicate_and_hard_pairs_of_two_people():
    pop = bench.generate(3000, VILLAGES, seed=1, probes=12)
    by_id = {p.id: p for p in pop.persons}
    assert len(pop.persons) == len(by_id) == 3000
    assert sorted(set(pop.duplicates.values())) == sorted(bench.KINDS)
    assert {"twin", "namesake"} == set(pop.hard.values())
    niks = [p.nik for p in pop.persons if p.nik]
    assert len(niks) == len(set(niks)) and all(len(n) == 16 and n.isdigit() for n in niks)
    for (a, b), kind in pop.duplicates.items():
        first, second = by_id[a], by_id[b]
        assert first.nik is None or first.nik != second.nik  # a NIK is unique: never copied as is
        if kind == "swapped_date":
            assert (first.born.day, first.born.month) == (second.born.month, second.born.day)
        else:
            assert first.born == second.born
        if kind == "moved_village":
            assert first.home.village != second.home.village
        if kind == "changed_kk":
            assert first.home.kk != second.home.kk and first.home.village == second.home.village
        if kind == "missing_nik":
            assert second.nik is None and first.name == second.name
    for (a, b), kind in pop.hard.items():
        if kind == "twin":
            assert by_id[a].born == by_id[b].born and by_id[a].home is by_id[b].home
        else:
            assert by_id[a].name == by_id[b].name and by_id[a].born != by_id[b].born
    assert {p.kind for p in pop.probes} == {*bench.KINDS, "new"}
    assert bench.generate(3000, VILLAGES, seed=1, probes=12).duplicates == pop.duplicates  # seeded


def test_precision_and_recall_overall_per_kind_and_what_the_false_pairs_are():
    pop = bench.generate(3000, VILLAGES, seed=2, probes=0)
    truth = list(pop.duplicates)
    assert bench.score(truth, pop)["precision"] == bench.score(truth, pop)["recall"] == 1.0
    missed = [pair for pair, kind in pop.duplicates.items() if kind == "typo"][:3]
    twin = next(pair for pair, kind in pop.hard.items() if kind == "twin")
    household = next(
        (a.id, b.id) for a, b in zip(pop.persons, pop.persons[1:], strict=False) if a.home is b.home
    )
    found = [pair for pair in truth if pair not in missed] + [twin[::-1], household]
    result = bench.score(found, pop)
    true = len(truth) - 3
    assert result["true"] == true and result["found"] == true + 2
    assert result["precision"] == true / (true + 2)
    assert result["recall"] == true / len(truth)
    typo = result["kinds"]["typo"]
    assert typo["found"] == typo["pairs"] - 3 and typo["recall"] == (typo["pairs"] - 3) / typo["pairs"]
    assert result["hard"]["twin"]["flagged"] == 1 and result["hard"]["household"]["flagged"] == 1
    assert result["kinds"]["spelling"]["precision"] == 1.0
