"""A regency-size dataset for the benchmarks: Kabupaten Bandung (32.04), every real village.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:54335/app \\
        .venv/bin/python -m bench.dataset [--cases 1000000] [--persons 500000]

Runs against a migrated PostgreSQL database that already holds the regions, the directory
catalogue and the demo users (`flask db upgrade`, `flask regions load`, `flask demo seed`).
Adds a Puskesos office per village, households, persons, cases over two years with one or two
needs each, referrals in every workflow state with deadlines, events that lead to that state,
and the breaches the SLA sweep would have recorded. Rows are streamed with COPY (psycopg),
with the big tables' secondary indexes dropped during the load and rebuilt afterwards, and
foreign-key triggers off for the session (the generator keeps every reference valid itself).

Deterministic (seeded): two runs build the same people, codes and dates. Skips when the
database already holds the requested number of cases.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

import psycopg

from config import Config
from slrt.core import tracking
from slrt.core.crypto import digest_with, encrypt_with, parse_keys
from slrt.demo import foundation as demo

FIRST_M = [*demo.FIRST_M, "Dede", "Engkos", "Jajang", "Kusnadi", "Maman", "Nandang", "Oman", "Tatang"]
FIRST_F = [*demo.FIRST_F, "Imas", "Cucu", "Entin", "Popon", "Titin", "Oom", "Ai", "Nenden"]
LAST = [
    *demo.LAST,
    "Sopandi",
    "Kartika",
    "Supriatna",
    "Sukmana",
    "Hermawan",
    "Ruhiyat",
    "Komalasari",
    "Sutisna",
]
STREETS = [
    "Jl. Raya",
    "Gg. Mawar",
    "Kp. Babakan",
    "Kp. Sukamaju",
    "Jl. Pasantren",
    "Kp. Cibeureum",
    "Gg. Melati",
    "Kp. Sindangsari",
]
CHANNELS = ["walk_in"] * 6 + ["home_visit"] * 2 + ["phone", "online"]
TYPES = ["need"] * 8 + ["question", "complaint"]
DAYS = 730  # two years of history
N = r"\N"  # NULL in COPY's text format

# Where a referral's history ends, by age. Old referrals are nearly all closed; recent ones are
# spread over every state the workflow allows.
OLD_STATES = [
    ("resolved", 70),
    ("rejected", 14),
    ("cancelled", 10),
    ("in_progress", 2),
    ("accepted", 1),
    ("waiting_citizen", 1),
    ("sent", 1),
    ("returned", 1),
]
NEW_STATES = [
    ("draft", 5),
    ("awaiting_approval", 8),
    ("sent", 20),
    ("accepted", 14),
    ("in_progress", 20),
    ("waiting_citizen", 7),
    ("resolved", 15),
    ("rejected", 5),
    ("returned", 4),
    ("cancelled", 2),
]
PATHS = {  # the transitions (slrt/referrals/workflow.py) that lead to each state
    "draft": ["draft"],
    "awaiting_approval": ["draft", "awaiting_approval"],
    "sent": ["draft", "sent"],
    "accepted": ["draft", "sent", "accepted"],
    "in_progress": ["draft", "sent", "accepted", "in_progress"],
    "waiting_citizen": ["draft", "sent", "accepted", "in_progress", "waiting_citizen"],
    "resolved": ["draft", "sent", "accepted", "in_progress", "resolved"],
    "rejected": ["draft", "sent", "rejected"],
    "returned": ["draft", "sent", "returned"],
    "cancelled": ["draft", "cancelled"],
}
REJECT_REASONS = ["not_eligible", "not_responsible", "duplicate", "incomplete_documents"]
OUTCOMES = ["granted", "service_delivered", "not_granted"]
# Tables filled here whose secondary indexes are rebuilt after the load (faster than keeping
# them up to date row by row).
BIG_TABLES = ["households", "persons", "cases", "needs", "referrals", "referral_events", "referral_breaches"]


def _weighted(states: list[tuple[str, int]]) -> list[str]:
    return [s for s, w in states for _ in range(w)]


OLD_POOL, NEW_POOL = _weighted(OLD_STATES), _weighted(NEW_STATES)


@dataclass
class Catalogue:
    """What the generator needs to know about the seeded directory and regions."""

    villages: list[str]
    offices: dict[str, int]  # village code -> Puskesos office id
    categories: list[str]
    services: dict[str, list[tuple[int, int, int, int]]]  # need -> (service, agency, respond, resolve days)
    desk_users: dict[str, int] = field(default_factory=dict)
    agency_users: dict[int, int] = field(default_factory=dict)


# NIK and No. KK are stored encrypted with their keyed digest beside them, as the app writes them
# (slrt.core.crypto), under the keys the app will read them with (config: environment or dev keys).
KEYS = tuple(parse_keys(Config.ENCRYPTION_KEYS))


def protect(number: str) -> tuple[str, str]:
    return encrypt_with(KEYS, number), digest_with(Config.HASH_KEY, number) or N


def pg_url(url: str) -> str:
    """psycopg wants a plain libpq URL, without SQLAlchemy's driver suffix."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def fast_code(rng: random.Random) -> str:
    """A valid tracking code from the seeded generator (same rules as slrt.core.tracking)."""
    while True:
        value = rng.getrandbits(55)
        data = "".join(tracking.ALPHABET[(value >> (5 * i)) & 31] for i in range(tracking.DATA_LENGTH))
        check = tracking.check_symbol(data)
        if check in tracking.ALPHABET:
            return data + check


def ts(moment: datetime | None) -> str:
    return N if moment is None else moment.isoformat()


def load_catalogue(conn: psycopg.Connection, regency: str) -> Catalogue:
    villages = [
        r[0]
        for r in conn.execute(
            "SELECT code FROM regions WHERE level = 4 AND code LIKE %s ORDER BY code", (regency + ".%",)
        )
    ]
    if not villages:
        raise SystemExit(f"no villages under {regency}: run `flask regions load` first")
    # One Puskesos per village, as a regency rolls the programme out; the demo's four exist already.
    conn.execute(
        """
        INSERT INTO offices (code, name, kind, region_code, requires_approval, created_at)
        SELECT 'PKS-' || replace(code, '.', ''), 'Puskesos ' || name, 'puskesos', code,
               (right(code, 1)::int %% 2 = 1), now()
        FROM regions r WHERE level = 4 AND code LIKE %s
          AND NOT EXISTS (SELECT 1 FROM offices o WHERE o.region_code = r.code AND o.kind = 'puskesos')
        """,
        (regency + ".%",),
    )
    offices = dict(conn.execute("SELECT region_code, id FROM offices WHERE kind = 'puskesos'").fetchall())
    agencies = dict(conn.execute("SELECT code, id FROM agencies").fetchall())
    rules = dict(conn.execute("SELECT service_id, min(agency_id) FROM routing_rules GROUP BY service_id"))
    services: dict[str, list[tuple[int, int, int, int]]] = {}
    for sid, needs, default, respond, resolve in conn.execute(
        "SELECT id, needs, default_agency_code, sla_respond_days, sla_resolve_days FROM services WHERE active"
    ):
        agency = agencies.get(default) or rules.get(sid)
        if agency is None:
            continue
        for need in needs if isinstance(needs, list) else []:
            services.setdefault(need, []).append((sid, agency, respond, resolve))
    categories = [
        r[0] for r in conn.execute("SELECT code FROM need_categories WHERE active ORDER BY position")
    ]
    catalogue = Catalogue(villages, offices, categories, services)
    for uid, region in conn.execute("SELECT id, scope_region_code FROM users WHERE role = 'desk'"):
        catalogue.desk_users.setdefault(region, uid)
    for uid, agency in conn.execute("SELECT id, agency_id FROM users WHERE agency_id IS NOT NULL"):
        catalogue.agency_users.setdefault(agency, uid)
    return catalogue


HOUSEHOLD_COLUMNS = [
    "id",
    "kk_encrypted",
    "kk_hash",
    "village_code",
    "rt",
    "rw",
    "street",
    "in_dtsen",
    "desil",
    "programmes",
    "house_uninhabitable",
    "created_at",
    "updated_at",
]
PERSON_COLUMNS = [
    "id",
    "nik_encrypted",
    "nik_hash",
    "nik_missing_reason",
    "name",
    "name_search",
    "birth_date",
    "sex",
    "phone",
    "disability",
    "pregnant",
    "household_id",
    "relationship_to_head",
    "village_code",
    "created_at",
    "updated_at",
]
CASE_TABLES = {
    "cases": [
        "id",
        "tracking_code",
        "channel",
        "type",
        "status",
        "office_id",
        "village_code",
        "reporter_id",
        "household_id",
        "summary",
        "urgent",
        "urgency_reason",
        "consent_given",
        "consent_by",
        "consent_at",
        "confidential",
        "anonymous",
        "answer",
        "outcome",
        "closed_at",
        "created_by_id",
        "created_at",
        "updated_at",
    ],
    "needs": ["id", "case_id", "category_code", "description", "person_id"],
    "referrals": [
        "id",
        "case_id",
        "need_id",
        "service_id",
        "agency_id",
        "office_id",
        "village_code",
        "status",
        "urgent",
        "letter_number",
        "reason",
        "respond_due",
        "resolve_due",
        "paused_since",
        "respond_risk_from",
        "resolve_risk_from",
        "citizen_informed_at",
        "outcome",
        "outcome_note",
        "sent_at",
        "closed_at",
        "created_by_id",
        "created_at",
        "updated_at",
        "version",
    ],
    "referral_events": [
        "id",
        "referral_id",
        "from_status",
        "to_status",
        "actor_id",
        "at",
        "note",
        "public_message",
        "reason",
    ],
    "referral_breaches": ["id", "referral_id", "kind", "due", "detected_at"],
}


class Sink:
    """One table's COPY stream on its own connection, fed row by row in batches (the cases,
    needs, referrals and events are generated together, so their streams are open together)."""

    def __init__(self, url: str, table: str, columns: list[str]):
        self.conn = psycopg.connect(url)
        self.conn.execute("SET session_replication_role = replica")  # FK triggers off: ids are valid
        self.table, self.count, self.buffer = table, 0, []
        self._copy_cm = self.conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN")
        self.copy = self._copy_cm.__enter__()

    def add(self, row: list[str]) -> None:
        self.buffer.append("\t".join(row))
        self.count += 1
        if len(self.buffer) >= 20_000:
            self.copy.write("\n".join(self.buffer) + "\n")
            self.buffer.clear()

    def close(self) -> int:
        if self.buffer:
            self.copy.write("\n".join(self.buffer) + "\n")
        self._copy_cm.__exit__(None, None, None)
        self.conn.commit()
        self.conn.close()
        return self.count


class Builder:
    """Generates the rows; ids are assigned here so that children can point at their parents."""

    def __init__(self, url: str, start: dict[str, int], cat: Catalogue, cases: int, persons: int, seed: int):
        self.url, self.start, self.cat, self.rng = url, start, cat, random.Random(seed)
        self.n_cases, self.n_persons = cases, persons
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.today = self.now.date()
        # Filled while persons are generated; cases pick their reporter (and village) from here.
        self.person_village: list[str] = []
        self.person_household: list[int] = []

    # -- people -----------------------------------------------------------------------------

    def households_and_persons(self) -> tuple[int, int]:
        rng, villages = self.rng, self.cat.villages
        households = Sink(self.url, "households", HOUSEHOLD_COLUMNS)
        persons = Sink(self.url, "persons", PERSON_COLUMNS)
        hid, pid = self.start["households"], self.start["persons"]
        created = (self.now - timedelta(days=DAYS)).isoformat()
        niks: set[str] = set()
        while persons.count < self.n_persons:
            hid += 1
            village = villages[rng.randrange(len(villages))]
            district = village[:8].replace(".", "")
            size = rng.choice((1, 2, 3, 3, 4, 4, 5, 6))
            kk = f"{district}{rng.randrange(10**9, 10**10)}"
            households.add(
                [
                    str(hid),
                    *protect(kk),
                    village,
                    f"{rng.randint(1, 12):03d}",
                    f"{rng.randint(1, 9):03d}",
                    f"{rng.choice(STREETS)} No. {rng.randint(1, 200)}",
                    rng.choice(("t", "t", "f", N)),
                    str(rng.randint(1, 10)),
                    '["PKH"]' if rng.random() < 0.3 else "[]",
                    "f",
                    created,
                    created,
                ]
            )
            last = rng.choice(LAST)
            for member in range(size):
                pid += 1
                female = member == 1 or rng.random() < 0.5
                first = rng.choice(FIRST_F if female else FIRST_M)
                name = f"{first} {last}"
                born = date(1940, 1, 1) + timedelta(days=rng.randrange(80 * 365))
                # NIK: district, birth date (day + 40 for women), serial; one in ten has none yet.
                nik = N
                if rng.random() < 0.9:
                    day = born.day + (40 if female else 0)
                    serial = rng.randrange(1, 10000)
                    nik = f"{district}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
                    nik = N if nik in niks else nik  # unique; the rare clash simply has none yet
                    niks.add(nik)
                phone = f"08{rng.randrange(10**9, 10**10)}" if rng.random() < 0.6 else N
                relation = "head" if member == 0 else ("spouse" if member == 1 else "child")
                persons.add(
                    [
                        str(pid),
                        *(protect(nik) if nik != N else (N, N)),
                        N if nik != N else "not_recorded",
                        name,
                        name.lower(),
                        born.isoformat(),
                        "P" if female else "L",
                        phone,
                        rng.choice(("none",) * 18 + ("mild", "severe")),
                        "t" if female and rng.random() < 0.02 else "f",
                        str(hid),
                        relation,
                        village,
                        created,
                        created,
                    ]
                )
                self.person_village.append(village)
                self.person_household.append(hid)
        n = persons.close()
        return households.close(), n

    # -- cases, needs, referrals, events ----------------------------------------------------

    def cases(self) -> dict[str, int]:
        """Streams cases, needs, referrals, events and breaches, five COPYs side by side."""
        rng, cat = self.rng, self.cat
        sinks = {t: Sink(self.url, t, c) for t, c in CASE_TABLES.items()}
        case_rows, need_rows, referral_rows, event_rows, breach_rows = sinks.values()
        cid, nid, rid, eid = (self.start[t] for t in ("cases", "needs", "referrals", "referral_events"))
        bid = self.start["referral_breaches"]
        first_person = self.start["persons"] + 1
        letters: dict[tuple[int, int], int] = {}
        for i in range(self.n_cases):
            cid += 1
            # Two years of arrivals, a few hundred of them today (the desks' queue this morning).
            age = 0 if i % 4000 == 0 else rng.randrange(DAYS)
            created = self.now - timedelta(days=age, seconds=rng.randrange(6 * 3600))
            p = rng.randrange(len(self.person_village))
            village, household = self.person_village[p], self.person_household[p]
            office = cat.offices.get(village)
            kind = rng.choice(TYPES)
            closed = age > 45 and rng.random() < 0.92
            closed_at = created + timedelta(days=rng.randint(5, 40)) if closed else None
            urgent = rng.random() < 0.03
            desk_user = cat.desk_users.get(village)
            case_rows.add(
                [
                    str(cid),
                    fast_code(rng),
                    rng.choice(CHANNELS),
                    kind,
                    "closed" if closed else "open",
                    N if office is None else str(office),
                    village,
                    str(first_person + p),
                    str(household),
                    "Warga datang ke Puskesos.",
                    "t" if urgent else "f",
                    "Lansia 70+" if urgent else N,
                    "t",
                    "self",
                    ts(created),
                    "t" if rng.random() < 0.01 else "f",
                    "t" if rng.random() < 0.005 else "f",
                    N if kind != "question" else "Sudah dijelaskan.",
                    N,
                    ts(closed_at),
                    N if desk_user is None else str(desk_user),
                    ts(created),
                    ts(closed_at or created),
                ]
            )
            for _ in range(1 if rng.random() < 0.7 else 2):
                nid += 1
                category = rng.choice(cat.categories)
                need_rows.add([str(nid), str(cid), category, N, str(first_person + p)])
                offers = cat.services.get(category)
                if kind != "need" or not offers:
                    continue
                rid += 1
                service, agency, respond_days, resolve_days = rng.choice(offers)
                state = rng.choice(OLD_POOL if age > 60 else NEW_POOL)
                path = PATHS[state]
                at = created + timedelta(minutes=rng.randint(5, 90))
                moments = []
                for _step in path:
                    moments.append(at)
                    at = min(at + timedelta(days=rng.randint(0, 4), hours=rng.randint(1, 8)), self.now)
                sent_at = moments[path.index("sent")] if "sent" in path else None
                accepted_at = moments[path.index("accepted")] if "accepted" in path else None
                respond_due = resolve_due = respond_risk = resolve_risk = None
                letter = N
                if sent_at is not None:
                    # Working days approximated by 7/5 calendar days; risk from the last quarter.
                    respond_due = sent_at.date() + timedelta(days=respond_days * 7 // 5 + 1)
                    respond_risk = respond_due - timedelta(days=max(1, respond_days * 7 // 20))
                    key = (office or 0, sent_at.year)
                    letters[key] = letters.get(key, 0) + 1
                    letter = f"{letters[key]:05d}/BENCH-{office or 0}/{sent_at.month}/{sent_at.year}"
                if accepted_at is not None:
                    resolve_due = accepted_at.date() + timedelta(days=resolve_days * 7 // 5 + 1)
                    resolve_risk = resolve_due - timedelta(days=max(1, resolve_days * 7 // 20))
                ended = state in ("resolved", "rejected", "cancelled")
                closed_ref = moments[-1] if ended else None
                informed = (
                    closed_ref + timedelta(days=1)
                    if ended
                    and (age > 20 or rng.random() < 0.5)
                    and closed_ref + timedelta(days=1) < self.now
                    else None
                )
                paused = moments[-1].date() if state == "waiting_citizen" else None
                referral_rows.add(
                    [
                        str(rid),
                        str(cid),
                        str(nid),
                        str(service),
                        str(agency),
                        N if office is None else str(office),
                        village,
                        state,
                        "t" if urgent else "f",
                        letter,
                        "Disarankan mesin rujukan.",
                        _d(respond_due),
                        _d(resolve_due),
                        _d(paused),
                        _d(respond_risk),
                        _d(resolve_risk),
                        ts(informed),
                        rng.choice(OUTCOMES) if state == "resolved" else N,
                        "Sudah ditangani." if ended else N,
                        ts(sent_at),
                        ts(closed_ref),
                        N if desk_user is None else str(desk_user),
                        ts(moments[0]),
                        ts(moments[-1]),
                        str(len(path)),
                    ]
                )
                previous = None
                for step, moment in zip(path, moments, strict=True):
                    eid += 1
                    agency_step = step in (
                        "accepted",
                        "in_progress",
                        "waiting_citizen",
                        "resolved",
                        "rejected",
                        "returned",
                    )
                    actor = cat.agency_users.get(agency) if agency_step else desk_user
                    event_rows.add(
                        [
                            str(eid),
                            str(rid),
                            previous or N,
                            step,
                            N if actor is None else str(actor),
                            ts(moment),
                            N,
                            "Sedang kami proses." if agency_step else N,
                            rng.choice(REJECT_REASONS) if step == "rejected" else N,
                        ]
                    )
                    previous = step
                # The breaches the SLA sweep records once for a clock that ran out.
                for kind_, running, due in (
                    ("respond", state == "sent", respond_due),
                    ("resolve", state in ("accepted", "in_progress"), resolve_due),
                ):
                    if running and due is not None and due < self.today:
                        bid += 1
                        breach_rows.add(
                            [
                                str(bid),
                                str(rid),
                                kind_,
                                due.isoformat(),
                                ts(datetime.combine(due + timedelta(days=1), dtime(1), UTC)),
                            ]
                        )
        counts = {table: sink.close() for table, sink in sinks.items()}
        return counts


def _d(day: date | None) -> str:
    return N if day is None else day.isoformat()


def _drop_indexes(conn: psycopg.Connection, tables: list[str] = BIG_TABLES) -> list[str]:
    """Drops the `tables`' plain secondary indexes (not those behind constraints); returns
    their definitions to rebuild."""
    rows = conn.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        (tables,),
    ).fetchall()
    for name, _definition in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in rows]


def build(
    url: str, cases: int, persons: int, regency: str = "32.04", seed: int = 20261122
) -> dict[str, float]:
    """Fills the database; returns row counts and timings (seconds)."""
    started = time.perf_counter()
    url = pg_url(url)
    with psycopg.connect(url) as conn:
        have = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
        if have >= cases:
            print(f"dataset: {have:,} cases already there, nothing to do", file=sys.stderr)
            return {"skipped": 1.0, "cases": float(have)}
        cat = load_catalogue(conn, regency)
        start = {t: conn.execute(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0] for t in BIG_TABLES}
        indexes = _drop_indexes(conn)
        conn.commit()  # the COPY streams run on their own connections
    builder = Builder(url, start, cat, cases, persons, seed)
    households, n_persons = builder.households_and_persons()
    print(
        f"dataset: {households:,} households, {n_persons:,} persons ({time.perf_counter() - started:.0f} s)",
        file=sys.stderr,
    )
    counts = builder.cases()
    t_rows = time.perf_counter()
    print(f"dataset: {counts} ({t_rows - started:.0f} s)", file=sys.stderr)
    with psycopg.connect(url) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        for definition in indexes:
            conn.execute(definition)
        for table in BIG_TABLES:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        conn.commit()
    t_index = time.perf_counter()
    print(f"dataset: {len(indexes)} indexes rebuilt ({t_index - t_rows:.0f} s)", file=sys.stderr)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    done = time.perf_counter()
    return {
        "villages": float(len(cat.villages)),
        "households": float(households),
        "persons": float(n_persons),
        **{k: float(v) for k, v in counts.items()},
        "seconds_rows": t_rows - started,
        "seconds_indexes": t_index - t_rows,
        "seconds_total": done - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=500_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        raise SystemExit("set DATABASE_URL to a migrated PostgreSQL database")
    result = build(url, args.cases, args.persons)
    print(result)


if __name__ == "__main__":
    main()
