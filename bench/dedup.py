"""Duplicate finder at regency size (issue 18): precision and recall against known duplicates, the
batch scan's time, and the intake check's latency.

    .venv/bin/python -m bench.dedup [--persons 1000000] [--probes 300] [--write]

Generates a population across every village of Kabupaten Bandung (32.04): households with No. KK,
RT/RW and street, persons with Indonesian names, birth dates, structure-valid NIKs (district, birth
date with +40 for women, serial) and phones, stored as the app stores them (NIK and No. KK
encrypted with the app's keys, their keyed digests beside them, the name keys of
slrt.intake.names filled). Into it go second records of the same person, one kind of difference
each (`KINDS`), and hard non-duplicates (`HARD`: twins, namesakes in the same village). A
second record never carries its first record's NIK as is (NIKs are unique): it has none, or the
NIK typed with one digit wrong.

Then the real batch, `slrt.intake.dedup.scan` over the regency (what `flask dedup scan` runs), is
timed and its pairs scored against the ground truth at the review threshold; and the check the
intake form runs (`dedup.candidates_for(dedup.visitor_record(form data), user)`) is timed for
probe visitors against the whole set, beside a bare indexed lookup (one NIK digest) and `SELECT 1`.

Uses DATABASE_URL (an empty or earlier-filled PostgreSQL database: migrated and given the regions
here) or, without it, a private PostgreSQL started for the run. Deterministic (seeded). Timings
depend on the machine and its load; nothing here is asserted in tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

from bench import harness
from bench.dataset import HOUSEHOLD_COLUMNS, PERSON_COLUMNS, STREETS, N, Sink, _drop_indexes, pg_url

REGENCY = "32.04"
RESULTS = harness.ROOT / "bench" / "RESULTS.md"
SECTION = "## Duplicates (issue 18, `bench/dedup.py`)"

# What differs between the two records of one person.
KINDS = {
    "spelling": "old or new spelling (oe/u, dj/j, tj/c, j/y, ch/kh), H./Hj., bin/binti",
    "typo": "one letter typed wrong, left out, added or two swapped",
    "swapped_date": "day and month of the birth date swapped",
    "missing_nik": "the same, one of them without NIK",
    "moved_village": "registered again in another village of the regency",
    "changed_kk": "a new No. KK (a household split or re-issued)",
}
# Pairs that look alike and are two people: what makes precision meaningful.
HARD = {
    "twin": "twins: one household, one birth date, two first names",
    "namesake": "the same name in the same village, another birth date",
    "household": "members of one household (one No. KK, one RT)",
}
GOAL_PRECISION, GOAL_RECALL = 0.95, 0.90
GOAL_BATCH_S, GOAL_INTAKE_P95_MS = 600.0, 100.0

FIRST_M = (
    "Asep", "Ujang", "Dadang", "Agus", "Dedi", "Yusuf", "Jajang", "Cecep", "Ade", "Iwan", "Rudi",
    "Budi", "Hendra", "Deden", "Ahmad", "Muhamad", "Dede", "Engkos", "Kusnadi", "Maman", "Nandang",
    "Oman", "Tatang", "Yayan", "Endang", "Ujang", "Usep", "Wawan", "Yudi", "Rizki", "Fajar",
    "Dicky", "Joko", "Cahya", "Yanto", "Suherman", "Sutrisno", "Djajang", "Ujun", "Juhana",
    "Ruslan", "Ridwan", "Ilham", "Taufik", "Hasan", "Husen", "Usman", "Jamal", "Solihin", "Saepul",
    "Uus", "Encep", "Yayat", "Rohman", "Abdul", "Ayi", "Nana", "Entis", "Aceng", "Atep", "Dudi",
    "Kurnia", "Heri", "Dani", "Eko", "Irfan", "Gilang", "Hadi", "Indra", "Jaka", "Kiki", "Lukman",
    "Mamat", "Nanang", "Opik", "Pepen", "Rahmat", "Sandi", "Tedi", "Ucup", "Wahyu", "Yogi",
    "Zaenal", "Aang", "Bambang", "Cahyo", "Darmawan", "Ega", "Firman", "Galih", "Haris", "Iman",
    "Jejen", "Komar", "Lili", "Mulyana", "Nendi", "Oding", "Pandi", "Rosid", "Sarip", "Teguh",
    "Ubed", "Wildan", "Yana", "Zakaria", "Adang", "Baban", "Cepi", "Didin", "Enjang", "Farid",
    "Gugun", "Herman", "Iyus", "Jeje", "Kosasih", "Lutfi", "Miftah", "Nurdin", "Oji"
)  # fmt: skip
FIRST_F = (
    "Siti", "Euis", "Neneng", "Iis", "Dewi", "Nining", "Yati", "Rina", "Eneng", "Tati", "Lilis",
    "Nur", "Imas", "Cucu", "Entin", "Popon", "Titin", "Ai", "Nenden", "Yuyun", "Juju", "Yanti",
    "Kurniasih", "Cicih", "Enok", "Aminah", "Wati", "Yulia", "Susi", "Yeni", "Nia", "Rani", "Putri",
    "Ayu", "Sri", "Wulan", "Fitri", "Rika", "Dini", "Yuli", "Cahyati", "Ela", "Ecin", "Imas",
    "Ipah", "Onah", "Uum", "Ooy", "Eti", "Mimin", "Aisyah", "Nurul", "Lina", "Tuti", "Umi",
    "Rohayati", "Juariah", "Mulyani", "Siti", "Nurhayati", "Yayah", "Ani", "Bunga", "Citra", "Dian",
    "Elis", "Fany", "Gita", "Hana", "Ina", "Jeni", "Kartini", "Lia", "Maya", "Nita", "Oktavia",
    "Pipit", "Ratna", "Santi", "Tini", "Ucu", "Vina", "Wiwin", "Yuni", "Zahra", "Ade", "Beti",
    "Cici", "Dedeh", "Emah", "Fatimah", "Hera", "Iin", "Jamilah", "Kokom", "Leni", "Mumun", "Nani",
    "Odah", "Puspa", "Rosmini", "Sari", "Tita", "Unah", "Wida", "Yeyen", "Atikah", "Badriah",
    "Cucun", "Empat", "Hani", "Ika", "Julaeha", "Kania", "Lela", "Mira", "Nengsih", "Rohmah", "Sumi"
)  # fmt: skip
SECOND = (
    "Suryana", "Hidayat", "Permana", "Rahayu", "Kusuma", "Setiawan", "Sopandi", "Kartika",
    "Supriatna", "Sukmana", "Hermawan", "Ruhiyat", "Komalasari", "Sutisna", "Saepudin", "Suryani",
    "Mulyadi", "Nurjanah", "Kurniawan", "Sulaeman", "Gunawan", "Rohmat", "Sumarni", "Hasanah",
    "Maryam", "Cahyono", "Juhaeni", "Yusuf", "Jamaludin", "Fauzi", "Rahmat", "Wijaya", "Purnama",
    "Sunarya", "Hidayah", "Solehah", "Mulyana", "Suhendar", "Sukarni", "Junaedi", "Cahyadi",
    "Suparman", "Yuliani", "Kusnadi", "Rustandi", "Ruhimat", "Mustofa", "Nurdin", "Syarifudin",
    "Khairul", "Anwar", "Juanda", "Surya", "Hamdani", "Rosita", "Sumiati", "Abdullah", "Basuki",
    "Darmawan", "Effendi", "Firmansyah", "Gumilar", "Hakim", "Irawan", "Jayadi", "Kosim", "Lesmana",
    "Munandar", "Nugraha", "Pratama", "Rukmana", "Saputra", "Taufik", "Utami", "Wahyudi",
    "Yulianti", "Zulkarnaen", "Agustina", "Bachtiar", "Damayanti", "Fitriani", "Hendrawan",
    "Iskandar", "Juwita", "Kamaludin", "Lestari", "Marlina", "Novianti", "Priatna", "Ramdani",
    "Septiani", "Triana", "Wulandari", "Yuliana", "Anggraeni", "Budiman", "Dahlan", "Ernawati",
    "Febrianti", "Hasanudin", "Ismail", "Jubaedah", "Komarudin", "Maulana", "Nurhasanah", "Permadi",
    "Rosidin", "Setiadi", "Sukarna", "Tarsih", "Wardani", "Apriliani", "Firdaus", "Ramadhan",
    "Hasbullah", "Mardiana"
)  # fmt: skip
# Old spelling of current letters (the reverse of slrt.intake.names._SPELLING), applied one at a time.
OLD_SPELLING = (("u", "oe"), ("j", "dj"), ("c", "tj"), ("y", "j"), ("kh", "ch"), ("sy", "sj"))
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass
class Home:
    id: int
    kk: str
    village: str
    rt: str
    rw: str
    street: str


@dataclass
class Someone:
    id: int
    name: str
    born: date
    female: bool
    nik: str | None
    phone: str | None
    home: Home
    relation: str


@dataclass
class Probe:
    """A visitor typed at the intake form, and who they are (None: not registered)."""

    data: dict
    person_id: int | None
    kind: str


@dataclass
class Population:
    homes: list[Home] = field(default_factory=list)
    persons: list[Someone] = field(default_factory=list)
    duplicates: dict[tuple[int, int], str] = field(default_factory=dict)  # ordered pair -> kind
    hard: dict[tuple[int, int], str] = field(default_factory=dict)  # ordered pair -> HARD kind
    probes: list[Probe] = field(default_factory=list)


def ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


# -- the population ----------------------------------------------------------------------------


class Generator:
    def __init__(self, villages: list[str], seed: int, first_home: int = 1, first_person: int = 1):
        self.rng, self.villages = random.Random(seed), villages
        self.next_home, self.next_person = first_home, first_person
        self.niks: set[str] = set()
        self.kks: set[str] = set()
        self.pop = Population()

    def home(self, village: str, rt: str | None = None, kk: str | None = None) -> Home:
        rng = self.rng
        if kk is None:
            while True:
                kk = f"{village[:8].replace('.', '')}{rng.randrange(10**9, 10**10)}"
                if kk not in self.kks:
                    break
        self.kks.add(kk)
        h = Home(
            self.next_home,
            kk,
            village,
            rt or f"{rng.randint(1, 12):03d}",
            f"{rng.randint(1, 9):03d}",
            f"{rng.choice(STREETS)} No. {rng.randint(1, 200)}",
        )
        self.next_home += 1
        self.pop.homes.append(h)
        return h

    def nik(self, village: str, born: date, female: bool) -> str | None:
        day = born.day + (40 if female else 0)
        for _ in range(5):
            serial = self.rng.randrange(1, 10000)
            nik = f"{village[:8].replace('.', '')}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
            if nik not in self.niks:
                self.niks.add(nik)
                return nik
        return None

    def mistyped_nik(self, nik: str) -> str | None:
        """The NIK with one digit of its serial typed wrong (still structure-valid, still unique)."""
        for _ in range(10):
            i = self.rng.randrange(12, 16)
            other = nik[:i] + str((int(nik[i]) + self.rng.randint(1, 9)) % 10) + nik[i + 1 :]
            if other not in self.niks and other[12:] != "0000":
                self.niks.add(other)
                return other
        return None

    def phone(self) -> str | None:
        return f"+628{self.rng.randrange(10**8, 10**10)}" if self.rng.random() < 0.6 else None

    def name(self, female: bool, second: str | None = None) -> str:
        rng = self.rng
        first = rng.choice(FIRST_F if female else FIRST_M)
        shape = rng.random()
        if shape < 0.08:
            return first  # one word, as many older villagers are registered
        if shape < 0.18:  # three words: "Muhamad Rizki Ramadhan"
            return f"{first} {rng.choice(FIRST_F if female else FIRST_M)} {second or rng.choice(SECOND)}"
        return f"{first} {second or rng.choice(SECOND)}"

    def person(
        self, home: Home, name: str, born: date, female: bool, relation: str, nik: bool = True
    ) -> Someone:
        rng = self.rng
        p = Someone(
            self.next_person,
            name,
            born,
            female,
            self.nik(home.village, born, female) if nik and rng.random() < 0.9 else None,
            self.phone(),
            home,
            relation,
        )
        self.next_person += 1
        self.pop.persons.append(p)
        return p

    def household(self) -> list[Someone]:
        rng = self.rng
        home = self.home(rng.choice(self.villages))
        head_born = date(1945, 1, 1) + timedelta(days=rng.randrange(55 * 365))
        head = self.person(home, self.name(False), head_born, False, "head")
        members = [head]
        if rng.random() < 0.85:
            born = head_born + timedelta(days=rng.randint(-4 * 365, 8 * 365))
            members.append(self.person(home, self.name(True), born, True, "spouse"))
        father_word = head.name.split()[0]
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
            born = head_born + timedelta(days=rng.randint(20 * 365, 40 * 365))
            if born > date(2025, 12, 31):
                continue
            female = rng.random() < 0.5
            second = father_word if rng.random() < 0.3 else None  # "Rizki Asep": the father's name
            members.append(self.person(home, self.name(female, second), born, female, "child"))
        return members

    # -- what a second record of the same person looks like --------------------------------

    def spelling_variant(self, name: str, female: bool, father: str | None) -> str:
        rng = self.rng
        words = name.split()
        changes = [
            (i, old, new) for i, w in enumerate(words) for old, new in OLD_SPELLING if old in w.lower()
        ]
        choice = rng.random()
        if changes and choice < 0.6:
            i, old, new = rng.choice(changes)
            word = words[i].lower().replace(old, new, 1)
            words[i] = word.capitalize()
        elif choice < 0.8:
            words.insert(0, "Hj." if female else "H.")
        elif father:
            words += ["binti" if female else "bin", father]
        else:
            words[-1] = words[-1] + words[-1][-1] if words[-1][-1] not in "aeiou" else words[-1]  # doubled
        variant = " ".join(words)
        return variant if variant != name else f"{'Hj.' if female else 'H.'} {name}"

    def typo(self, name: str) -> str:
        rng = self.rng
        words = name.split()
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) < 3:
            return name + "h"
        at = rng.randrange(1, len(w))  # not the first letter: the one an officer checks
        edit = rng.choice(("substitute", "delete", "insert", "transpose"))
        if edit == "substitute":
            w = w[:at] + rng.choice([c for c in LETTERS if c != w[at].lower()]) + w[at + 1 :]
        elif edit == "delete":
            w = w[:at] + w[at + 1 :]
        elif edit == "insert":
            w = w[:at] + rng.choice(LETTERS) + w[at:]
        elif at < len(w) - 1 and w[at] != w[at + 1]:
            w = w[:at] + w[at + 1] + w[at] + w[at + 2 :]
        else:
            w = w[:at] + rng.choice([c for c in LETTERS if c != w[at].lower()]) + w[at + 1 :]
        words[i] = w
        return " ".join(words)

    def variant(self, p: Someone, kind: str, father: str | None) -> tuple[dict, Home]:
        """The second record's fields (name, born, nik, phone) and its household, for `kind`."""
        rng = self.rng
        name, born, home = p.name, p.born, p.home
        nik = (
            None if kind == "missing_nik" or p.nik is None or rng.random() < 0.5 else self.mistyped_nik(p.nik)
        )
        phone = p.phone if rng.random() < 0.5 else self.phone()
        if kind == "spelling":
            name = self.spelling_variant(name, p.female, father)
        elif kind == "typo":
            name = self.typo(name)
        elif kind == "swapped_date":
            born = date(born.year, born.day, born.month)
        if kind == "moved_village":
            village = rng.choice([v for v in rng.sample(self.villages, 3) if v != home.village])
            new_home = self.home(village)
        elif kind == "changed_kk":
            new_home = self.home(home.village, rt=home.rt if rng.random() < 0.5 else None)
        else:  # registered again as a household of its own, with the No. KK typed as on the card
            new_home = self.home(home.village, rt=home.rt if rng.random() < 0.9 else None, kk=home.kk)
        return {"name": name, "born": born, "nik": nik, "phone": phone, "female": p.female}, new_home


def _eligible(p: Someone, kind: str) -> bool:
    if kind == "swapped_date":
        return p.born.day <= 12 and p.born.day != p.born.month
    if kind == "missing_nik":
        return p.nik is not None
    return True


def generate(
    n: int, villages: list[str], seed: int = 20261202, share: float = 0.03, hard_share: float = 0.01,
    probes: int = 300, first_home: int = 1, first_person: int = 1,
) -> Population:  # fmt: skip
    """`n` persons: households, then second records (`share` of n, spread over KINDS) and hard
    non-duplicates (`hard_share` of n each for twins and namesakes), and intake probes."""
    gen = Generator(villages, seed, first_home, first_person)
    rng, pop = gen.rng, gen.pop
    per_kind = max(1, int(n * share / len(KINDS)))
    per_hard = max(1, int(n * hard_share))
    base = n - per_kind * len(KINDS) - 2 * per_hard
    while len(pop.persons) < base:
        gen.household()
    del pop.persons[base:]  # the last household may overshoot
    gen.next_person = pop.persons[-1].id + 1
    originals = list(pop.persons)
    fathers = {p.home.id: p.name.split()[0] for p in originals if p.relation == "head"}
    taken: set[int] = set()
    for kind in KINDS:
        made = 0
        while made < per_kind:
            p = originals[rng.randrange(len(originals))]
            if p.id in taken or not _eligible(p, kind):
                continue
            taken.add(p.id)
            fields, home = gen.variant(p, kind, fathers.get(p.home.id))
            copy = gen.person(home, fields["name"], fields["born"], p.female, "head", nik=False)
            copy.nik, copy.phone = fields["nik"], fields["phone"]
            pop.duplicates[ordered(p.id, copy.id)] = kind
            made += 1
    for _ in range(per_hard):  # twins
        p = originals[rng.randrange(len(originals))]
        if p.relation != "child":
            p = next((q for q in originals[rng.randrange(len(originals)) :] if q.relation == "child"), p)
        female = rng.random() < 0.5
        second = p.name.split()[1] if len(p.name.split()) > 1 else None
        name = gen.name(female, second)
        while name.split()[0] == p.name.split()[0]:  # twins have names of their own
            name = gen.name(female, second)
        twin = gen.person(p.home, name, p.born, female, "child")
        pop.hard[ordered(p.id, twin.id)] = "twin"
    for _ in range(per_hard):  # namesakes
        p = originals[rng.randrange(len(originals))]
        born = p.born + timedelta(days=rng.choice((-1, 1)) * rng.randint(400, 30 * 365))
        home = gen.home(p.home.village)
        other = gen.person(home, p.name, min(born, date(2025, 12, 31)), p.female, "head")
        pop.hard[ordered(p.id, other.id)] = "namesake"
    for i in range(probes):  # half come back (another record's way of writing them), half are new
        if i % 2 == 0:
            kind = list(KINDS)[(i // 2) % len(KINDS)]
            p = originals[rng.randrange(len(originals))]
            while not _eligible(p, kind):
                p = originals[rng.randrange(len(originals))]
            fields, home = gen.variant(p, kind, fathers.get(p.home.id))
            pop.homes.pop()  # the visitor's household is not saved
            gen.niks.discard(fields["nik"] or "")
            pop.probes.append(Probe(_form(fields, home), p.id, kind))
        else:
            female = rng.random() < 0.5
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(70 * 365))
            home = Home(0, f"{rng.randrange(10**15, 10**16)}", rng.choice(villages), "001", "001", "")
            fields = {
                "name": gen.name(female),
                "born": born,
                "nik": None,
                "phone": gen.phone(),
                "female": female,
            }
            pop.probes.append(Probe(_form(fields, home), None, "new"))
    return pop


def _form(fields: dict, home: Home) -> dict:
    """The intake form's fields for `dedup.visitor_record`, as an officer types them."""
    phone = fields["phone"]
    return {
        "name": fields["name"],
        "birth_date": fields["born"].isoformat(),
        "nik": fields["nik"] or "",
        "kk_number": home.kk,
        "village_code": home.village,
        "rt": home.rt.lstrip("0"),
        "phone": "0" + phone[3:] if phone else "",
    }


# -- precision and recall ----------------------------------------------------------------------


def score(found: Iterable[tuple[int, int]], pop: Population) -> dict:
    """Precision and recall of the pairs `found` against the ground truth, overall and per kind.

    A pair found that is no known duplicate is a false positive, counted by what it is (a HARD
    kind, or "other"); a kind's precision counts its true pairs against the false positives that
    involve one of its records (a second record, or the first record it copies)."""
    found = {ordered(a, b) for a, b in found}
    home_of = {p.id: p.home.id for p in pop.persons}
    kind_of_person: dict[int, str] = {}
    for (a, b), kind in pop.duplicates.items():
        kind_of_person[a] = kind_of_person[b] = kind
    tp = found & pop.duplicates.keys()
    false_by: Counter[str] = Counter()
    false_by_kind: Counter[str] = Counter()
    for pair in found - tp:
        a, b = pair
        if pair in pop.hard:
            false_by[pop.hard[pair]] += 1
        elif home_of.get(a) is not None and home_of.get(a) == home_of.get(b):
            false_by["household"] += 1
        else:
            false_by["other"] += 1
        for kind in {kind_of_person.get(a), kind_of_person.get(b)} - {None}:
            false_by_kind[kind] += 1  # type: ignore[index]
    kinds = {}
    for kind in KINDS:
        truth = [pair for pair, k in pop.duplicates.items() if k == kind]
        hits = sum(1 for pair in truth if pair in tp)
        kinds[kind] = {
            "pairs": len(truth),
            "found": hits,
            "recall": hits / len(truth) if truth else 0.0,
            "false": false_by_kind[kind],
            "precision": hits / (hits + false_by_kind[kind]) if hits + false_by_kind[kind] else 0.0,
        }
    hard = {h: {"pairs": sum(1 for k in pop.hard.values() if k == h), "flagged": false_by[h]} for h in HARD}
    hard["other"] = {"pairs": 0, "flagged": false_by["other"]}
    return {
        "found": len(found),
        "true": len(tp),
        "precision": len(tp) / len(found) if found else 0.0,
        "recall": len(tp) / len(pop.duplicates) if pop.duplicates else 0.0,
        "kinds": kinds,
        "hard": hard,
    }


# -- loading -----------------------------------------------------------------------------------


def load(url: str, pop: Population, keys: tuple[str, ...], hash_key: str) -> float:
    """COPY the households and persons in, the tables' secondary indexes dropped and rebuilt, as
    bench/dataset.py loads; NIK and No. KK encrypted and digested with the app's keys."""
    from slrt.core.crypto import digest_with, encrypt_with
    from slrt.intake import names
    from slrt.intake.models import normalize_name

    def protect(number: str) -> list[str]:
        return [encrypt_with(keys, number), digest_with(hash_key, number) or N]

    started = time.perf_counter()
    url = pg_url(url)
    with psycopg.connect(url) as conn:
        indexes = _drop_indexes(conn, ["households", "persons"])
        conn.commit()
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    households = Sink(url, "households", HOUSEHOLD_COLUMNS)
    for h in pop.homes:
        households.add(
            [
                str(h.id),
                *protect(h.kk),
                h.village,
                h.rt,
                h.rw,
                h.street,
                "t",
                "5",
                "[]",
                "f",
                created,
                created,
            ]
        )
    households.close()
    persons = Sink(url, "persons", [*PERSON_COLUMNS, "name_key", "name_phonetic"])
    for p in pop.persons:
        persons.add(
            [
                str(p.id),
                *(protect(p.nik) if p.nik else (N, N)),
                N if p.nik else "not_recorded",
                p.name,
                normalize_name(p.name),
                p.born.isoformat(),
                "P" if p.female else "L",
                p.phone or N,
                "none",
                "f",
                str(p.home.id),
                p.relation,
                p.home.village,
                created,
                created,
                names.name_key(p.name),
                names.name_phonetic(p.name),
            ]
        )
    persons.close()
    with psycopg.connect(url) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        for definition in indexes:
            conn.execute(definition)
        for table in ("households", "persons"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE households")
        conn.execute("VACUUM ANALYZE persons")
    return time.perf_counter() - started


# -- measuring ---------------------------------------------------------------------------------


def percentiles(ms: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {"p50": statistics.median(ms), "p95": cuts[94], "p99": cuts[98], "max": max(ms)}


def intake_check(app, pop: Population) -> dict:
    """The intake form's duplicate check per probe visitor, for a regency-wide user (the largest
    scope a desk search covers), beside a bare indexed lookup and `SELECT 1`."""
    import sqlalchemy as sa

    from slrt.accounts.models import Role, User
    from slrt.core.crypto import nik_digest
    from slrt.extensions import db
    from slrt.intake import dedup
    from slrt.intake import models as m

    user = User(role=Role.SLRT, scope_region_code=REGENCY, active=True)  # never saved
    check, lookup, ping = [], [], []
    hits = Counter[str]()
    asked = Counter[str]()
    with app.app_context():
        for probe in pop.probes[:5]:  # warm the compiled statements and the buffers
            dedup.candidates_for(dedup.visitor_record(probe.data), user)
        for probe in pop.probes:
            started = time.perf_counter()
            found = dedup.candidates_for(dedup.visitor_record(probe.data), user)
            check.append((time.perf_counter() - started) * 1000)
            asked[probe.kind] += 1
            if probe.person_id is None:
                hits[probe.kind] += bool(found)  # a new visitor warned of someone: a false alarm
            else:
                hits[probe.kind] += any(p.id == probe.person_id for p, _c in found)
            digest = nik_digest(probe.data["nik"] or probe.data["kk_number"])
            started = time.perf_counter()
            db.session.execute(sa.select(m.Person.id).where(m.Person.nik_hash == digest)).first()
            lookup.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            db.session.execute(sa.text("SELECT 1")).scalar()
            ping.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return {
        "probes": len(pop.probes),
        "check": percentiles(check),
        "lookup": percentiles(lookup),
        "select1": percentiles(ping),
        "found": {k: {"asked": asked[k], "warned": hits[k]} for k in asked},
    }


def batch(app) -> tuple[list[tuple[int, int]], float]:
    from slrt.extensions import db
    from slrt.intake import dedup

    with app.app_context():
        started = time.perf_counter()
        found = dedup.scan(REGENCY)
        seconds = time.perf_counter() - started
        db.session.remove()
    return [(c.person_a or 0, c.person_b) for c in found], seconds


def make_app(url: str):
    from flask_migrate import upgrade

    from slrt import create_app
    from slrt.extensions import db
    from slrt.regions.models import Region
    from slrt.regions.services import load_regions

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        if not db.session.query(Region.code).filter(Region.code.like(REGENCY + ".%")).first():
            load_regions()
            db.session.commit()
    return app


@contextlib.contextmanager
def database() -> Iterator[str]:
    """DATABASE_URL if set, else a private PostgreSQL for this run."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        if not url.startswith("postgresql"):
            raise SystemExit("DATABASE_URL must point at PostgreSQL")
        yield url
        return
    with harness.private_postgres() as server:
        yield server.url


def run(url: str, persons: int, probes: int, seed: int = 20261202) -> dict:
    """Fills the database (once per size: a filled one is reused), scans, scores and times."""
    import sqlalchemy as sa

    from slrt.core.crypto import parse_keys
    from slrt.extensions import db

    app = make_app(url)
    with app.app_context():
        villages = list(
            db.session.scalars(
                sa.text("SELECT code FROM regions WHERE level = 4 AND code LIKE :p ORDER BY code"),
                {"p": REGENCY + ".%"},
            )
        )
        have = db.session.scalar(sa.text("SELECT count(*) FROM persons"))
        start_home = db.session.scalar(sa.text("SELECT coalesce(max(id), 0) FROM households")) + 1
        start_person = db.session.scalar(sa.text("SELECT coalesce(max(id), 0) FROM persons")) + 1
        db.session.remove()
        keys, hash_key = tuple(parse_keys(app.config["ENCRYPTION_KEYS"])), app.config["HASH_KEY"]
    started = time.perf_counter()
    if have and have != persons:
        raise SystemExit(f"the database holds {have:,} persons: use an empty one for {persons:,}")
    if have:
        start_home, start_person = 1, 1
    pop = generate(persons, villages, seed, probes=probes, first_home=start_home, first_person=start_person)
    generated = time.perf_counter() - started
    print(f"dedup: generated {len(pop.persons):,} persons ({generated:.0f} s)", file=sys.stderr)
    loaded = 0.0
    if not have:
        loaded = load(url, pop, keys, hash_key)
        print(f"dedup: loaded ({loaded:.0f} s)", file=sys.stderr)
    found, seconds = batch(app)
    print(f"dedup: scan found {len(found):,} pairs in {seconds:.0f} s", file=sys.stderr)
    result = score(found, pop)
    intake = intake_check(app, pop)
    with app.app_context():
        version = db.session.scalar(sa.text("SHOW server_version")).split()[0]
        db.session.remove()
    return {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, PostgreSQL {version}",
        "load": _load_average(),
        "persons": len(pop.persons),
        "villages": len(villages),
        "duplicates": len(pop.duplicates),
        "hard": len(pop.hard),
        "seconds_generate": generated,
        "seconds_load": loaded,
        "seconds_scan": seconds,
        "score": result,
        "intake": intake,
    }


def _load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def _mark(ok: bool) -> str:
    return "✅" if ok else "❌"


def section(r: dict) -> str:
    """The RESULTS.md section of one run."""
    s, i = r["score"], r["intake"]
    out = [SECTION, ""]
    out.append(
        f"Run {r['when']} on {r['machine']}, load average {r['load']} at the end (the cores are shared "
        f"with other work). {r['persons']:,} persons in {r['villages']} villages of Kabupaten Bandung "
        f"({REGENCY}), {r['duplicates']:,} known duplicate pairs, {r['hard']:,} hard non-duplicate pairs; "
        f"generated in {r['seconds_generate']:.0f} s, loaded with COPY in {r['seconds_load']:.0f} s."
    )
    out.append("")
    scan_ok = r["seconds_scan"] < GOAL_BATCH_S
    out.append(
        f"Batch scan over the regency (`dedup.scan`, as `flask dedup scan --region {REGENCY}`): "
        f"**{r['seconds_scan']:.0f} s** for {s['found']:,} pairs at the review threshold; goal "
        f"< {GOAL_BATCH_S / 60:.0f} min {_mark(scan_ok)}."
    )
    out.append("")
    out.append("| kind | pairs | found | recall | false pairs touching it | precision |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for kind, k in s["kinds"].items():
        out.append(
            f"| {kind}: {KINDS[kind]} | {k['pairs']:,} | {k['found']:,} | {k['recall']:.3f} "
            f"| {k['false']:,} | {k['precision']:.3f} |"
        )
    p_ok, r_ok = s["precision"] >= GOAL_PRECISION, s["recall"] >= GOAL_RECALL
    out.append(
        f"| **overall** | {r['duplicates']:,} | {s['true']:,} | **{s['recall']:.3f}** {_mark(r_ok)} "
        f"| {s['found'] - s['true']:,} | **{s['precision']:.3f}** {_mark(p_ok)} |"
    )
    out.append("")
    flagged = ", ".join(
        f"{h} {v['flagged']:,}" + (f" of {v['pairs']:,}" if v["pairs"] else "") for h, v in s["hard"].items()
    )
    out.append(f"Two people proposed as one (false pairs), by what they are: {flagged}.")
    out.append(f"Goals (issue 18): precision >= {GOAL_PRECISION}, recall >= {GOAL_RECALL}.")
    out.append("")
    out.append(
        "Measured against the ground truth the generator keeps (bench/dedup.py `KINDS`, `HARD`); a "
        "second record never carries the first one's NIK as is (NIKs are unique): it has none, or "
        "one digit of the serial typed wrong. A kind's precision counts the false pairs that "
        "involve one of its records."
    )
    out.append("")
    c, b, q = i["check"], i["lookup"], i["select1"]
    ok = c["p95"] < GOAL_INTAKE_P95_MS
    out.append(
        f"Intake check (`dedup.candidates_for`, what the new-person form runs), {i['probes']} probe "
        f"visitors, regency-wide scope, against all {r['persons']:,} persons; goal p95 < "
        f"{GOAL_INTAKE_P95_MS:.0f} ms {_mark(ok)}:"
    )
    out.append("")
    out.append("| statement | p50 ms | p95 ms | p99 ms | max ms |")
    out.append("|---|---:|---:|---:|---:|")
    for label, v in (
        ("intake duplicate check", c),
        ("bare: one NIK digest lookup (indexed)", b),
        ("bare: SELECT 1", q),
    ):
        out.append(f"| {label} | {v['p50']:.1f} | {v['p95']:.1f} | {v['p99']:.1f} | {v['max']:.1f} |")
    out.append("")
    warned = ", ".join(f"{k} {v['warned']}/{v['asked']}" for k, v in sorted(i["found"].items()))
    out.append(f"Probes warned of the right person (new: warned of anyone, a false alarm): {warned}.")
    out.append("")
    return "\n".join(out)


def write_section(text: str, path: Path = RESULTS) -> None:
    """Puts the section into RESULTS.md, replacing an earlier one."""
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if SECTION in current:
        before, rest = current.split(SECTION, 1)
        after = rest.split("\n## ", 1)
        current = before + text + ("\n## " + after[1] if len(after) > 1 else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text
    path.write_text(current.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--write", action="store_true", help="put the section into bench/RESULTS.md")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = parser.parse_args()
    os.environ.setdefault("SLRT_CONFIG", "development")
    with database() as url:
        result = run(url, args.persons, args.probes)
    text = section(result)
    if args.write:
        write_section(text)
    print(json.dumps(result) if args.json else text)


if __name__ == "__main__":
    main()
