"""DTSEN import: the national socio-economic register (Data Tunggal Sosial Ekonomi Nasional)
into the desk's persons and households.

One CSV row is one person (columns in `COLUMNS`, documented in the README). The household's
values (village, desil, programmes) repeat on every row of the same No. KK. Rows are checked
one by one (`RowChecker`, plain Python, no database), then written in batches
(`import_batch`): each batch prefetches the persons and households it names, compares, and
writes only what differs, with executemany inserts and updates. So importing the same file
twice changes nothing, and every batch is one transaction: it is written whole or not at all.

Matching existing records by NIK and No. KK happens only in `_existing_by_nik` and
`_existing_by_kk`: NIK and No. KK may be stored encrypted, and then those two are the only
places that need to know how to look them up.
"""

from __future__ import annotations

import csv
import getpass
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _

from slrt.core.audit import audit
from slrt.core.crypto import nik_digest
from slrt.core.db import utcnow
from slrt.core.nik import check_nik
from slrt.core.workdays import local_today
from slrt.directory.models import Service
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake.services import PROGRAMMES, change_text
from slrt.regions.models import LEVEL_VILLAGE, Region

COLUMNS = ("nik", "no_kk", "nama", "tanggal_lahir", "jenis_kelamin", "kode_desa", "desil", "program")
REASON_COLUMN = "alasan"
LINE_COLUMN = "baris"
DEFAULT_BATCH = 5000
MAX_NAME = 160

DIGITS16 = re.compile(r"^\d{16}$")
DOTTED_VILLAGE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
DIGITS_VILLAGE = re.compile(r"^\d{10}$")
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
LOCAL_DATE = re.compile(r"^(\d{2})[-/](\d{2})[-/](\d{4})$")  # 17-05-1980 or 17/05/1980


class BadHeader(Exception):
    """The file is not a DTSEN export this importer understands; nothing was read."""


@dataclass(slots=True)
class DtsenRow:
    """One valid row, normalised."""

    line: int
    nik: str
    kk: str
    name: str
    birth_date: date
    sex: m.Sex
    village_code: str
    desil: int
    programmes: list[str]  # sorted, upper case
    first_of_kk: bool = False  # the first row of this No. KK in the file


@dataclass(slots=True)
class HouseholdState:
    id: int
    village_code: str
    in_dtsen: bool | None
    desil: int | None
    programmes: list[str]


@dataclass(slots=True)
class PersonState:
    id: int
    name: str
    birth_date: date | None
    sex: m.Sex | None
    household_id: int | None
    village_code: str


@dataclass
class Counts:
    read: int = 0
    rejected: int = 0
    failed: int = 0  # valid rows of batches that could not be written
    persons_inserted: int = 0
    persons_updated: int = 0
    persons_unchanged: int = 0
    households_inserted: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    failed_batches: list[tuple[int, int, str]] = field(default_factory=list)  # first line, last, error
    seconds: float = 0.0

    def add(self, other: Counts) -> None:
        for name in (
            "persons_inserted",
            "persons_updated",
            "persons_unchanged",
            "households_inserted",
            "households_updated",
            "households_unchanged",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def changed(self) -> int:
        return (
            self.persons_inserted + self.persons_updated + self.households_inserted + self.households_updated
        )

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "rejected": self.rejected,
            "failed": self.failed,
            "failed_batches": len(self.failed_batches),
            "persons_inserted": self.persons_inserted,
            "persons_updated": self.persons_updated,
            "persons_unchanged": self.persons_unchanged,
            "households_inserted": self.households_inserted,
            "households_updated": self.households_updated,
            "households_unchanged": self.households_unchanged,
            "seconds": round(self.seconds, 2),
        }


# -- checking rows (plain Python) -------------------------------------------------------------


def known_villages() -> set[str]:
    return set(db.session.scalars(sa.select(Region.code).where(Region.level == LEVEL_VILLAGE)))


def known_programmes() -> set[str]:
    """The catalogue's service codes (PKH, BPNT, PBI-JK, PIP, ...), and the desk's own list."""
    return {c.upper() for c in db.session.scalars(sa.select(Service.code))} | set(PROGRAMMES)


def parse_date(text: str) -> date | None:
    """`1980-05-17`, `17-05-1980` or `17/05/1980`; None when it is none of these or no real date."""
    text = text.strip()
    match = ISO_DATE.match(text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        match = LOCAL_DATE.match(text)
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None
    return None


def village_code(text: str) -> str:
    """Dotted Kemendagri code from `32.04.05.2001` or `3204052001`."""
    text = text.strip()
    if DIGITS_VILLAGE.match(text):
        return f"{text[:2]}.{text[2:4]}.{text[4:6]}.{text[6:]}"
    return text


class RowChecker:
    """Checks rows one by one and remembers what the file said before: a NIK appears once, and
    every row of one No. KK agrees on the household's village, desil and programmes."""

    def __init__(self, villages: set[str], programmes: set[str], today: date | None = None):
        self.villages = villages
        self.programmes = programmes
        self.today = today or local_today()
        self.nik_lines: dict[str, int] = {}
        self.households: dict[str, tuple[str, int, list[str], int]] = {}  # kk: village, desil, progs, line

    def check(self, line: int, raw: dict[str, str]) -> tuple[DtsenRow | None, list[str]]:
        """The normalised row, or None and every reason it was rejected."""
        reasons: list[str] = []
        nik_text = (raw.get("nik") or "").strip()
        nik = None
        nik_check = None
        if not DIGITS16.match(nik_text):
            reasons.append(_("NIK harus 16 digit angka."))
        else:
            nik_check = check_nik(nik_text, today=self.today)
            if nik_check.valid:
                nik = nik_check.nik
            else:
                reasons.extend(nik_check.errors)
        if nik and nik in self.nik_lines:
            reasons.append(_("NIK sudah ada di baris %(line)d berkas ini.", line=self.nik_lines[nik]))

        kk = (raw.get("no_kk") or "").strip()
        if not DIGITS16.match(kk):
            reasons.append(_("No. KK harus 16 digit angka."))

        name = " ".join((raw.get("nama") or "").split())
        if not name:
            reasons.append(_("Nama kosong."))
        elif len(name) > MAX_NAME:
            reasons.append(_("Nama lebih dari %(n)d huruf.", n=MAX_NAME))

        born = parse_date(raw.get("tanggal_lahir") or "")
        if born is None:
            reasons.append(_("Tanggal lahir tidak terbaca; tulis TTTT-BB-HH, misalnya 1980-05-17."))
        elif born > self.today:
            reasons.append(_("Tanggal lahir ada di masa depan."))
        elif nik_check is not None and nik_check.birth_date is not None:
            # The NIK holds only two digits of the year: compare day, month and those two digits.
            in_nik = nik_check.birth_date
            if (born.day, born.month, born.year % 100) != (in_nik.day, in_nik.month, in_nik.year % 100):
                reasons.append(_("Tanggal lahir tidak sesuai dengan tanggal lahir di NIK."))

        sex_text = (raw.get("jenis_kelamin") or "").strip().upper()
        sex = m.Sex(sex_text) if sex_text in ("L", "P") else None
        if sex is None:
            reasons.append(_("Jenis kelamin harus L atau P."))
        elif nik_check is not None and nik_check.sex and nik_check.sex != sex.value:
            reasons.append(
                _(
                    "Jenis kelamin tidak sesuai dengan NIK "
                    "(untuk perempuan, tanggal lahir di NIK ditambah 40)."
                )
            )

        code = village_code(raw.get("kode_desa") or "")
        if not DOTTED_VILLAGE.match(code) or code not in self.villages:
            reasons.append(_("Kode desa/kelurahan tidak dikenal."))

        desil_text = (raw.get("desil") or "").strip()
        desil = int(desil_text) if desil_text.isdecimal() else None
        if desil is None or not 1 <= desil <= 10:
            reasons.append(_("Desil harus angka 1 sampai 10."))

        programmes = sorted({p.strip().upper() for p in (raw.get("program") or "").split(";") if p.strip()})
        unknown = [p for p in programmes if p not in self.programmes]
        if unknown:
            reasons.append(_("Kode program tidak dikenal: %(codes)s.", codes=", ".join(unknown)))

        if not reasons and kk in self.households:
            known_village, known_desil, known_programmes, first = self.households[kk]
            if (code, desil, programmes) != (known_village, known_desil, known_programmes):
                reasons.append(
                    _(
                        "Desa, desil atau program berbeda dengan baris %(line)d yang No. KK-nya sama.",
                        line=first,
                    )
                )
        if reasons or nik is None or born is None or sex is None or desil is None:  # None gave a reason
            return None, reasons
        first_of_kk = kk not in self.households
        if first_of_kk:
            self.households[kk] = (code, desil, programmes, line)
        self.nik_lines[nik] = line
        return (
            DtsenRow(line, nik, kk, name, born, sex, code, desil, programmes, first_of_kk=first_of_kk),
            [],
        )


# -- writing a batch --------------------------------------------------------------------------


def _one_of(column: Any, values: list[str]) -> sa.ColumnElement[bool]:
    """`column IN values`; on PostgreSQL as `= ANY(array)`: one parameter instead of thousands,
    which the driver and the planner handle three times faster for a batch."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.literal(values, sa.ARRAY(column.type)))
    return column.in_(values)


def _insert_rows(model: type[Any], rows: list[dict], with_ids: bool = False) -> list[int]:
    """Inserts `rows` (dicts by model attribute); returns their new ids when asked, in order.

    On PostgreSQL with COPY, the fastest way in (about five times an executemany INSERT); ids
    are drawn from the table's sequence first. Each value still goes through its column's own
    type (`bind_processor`), exactly as an INSERT would, so a column type that converts or
    encrypts applies here too. Elsewhere an executemany `insert(model)`.
    """
    if not rows:
        return []
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        if with_ids:
            return list(
                db.session.scalars(sa.insert(model).returning(model.id, sort_by_parameter_order=True), rows)
            )
        db.session.execute(sa.insert(model), rows)
        return []
    table = model.__table__
    ids: list[int] = []
    if with_ids:
        sequence = sa.func.pg_get_serial_sequence(table.name, "id")
        ids = list(
            db.session.scalars(
                sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, len(rows)))
            )
        )
        rows = [{**row, "id": new_id} for row, new_id in zip(rows, ids, strict=True)]
    mapper = sa.inspect(model)
    keys = list(rows[0])
    columns = [mapper.attrs[key].columns[0] for key in keys]
    processors = [column.type._cached_bind_processor(dialect) for column in columns]
    names = ", ".join(dialect.identifier_preparer.quote(column.name) for column in columns)
    # psycopg's own connection (typed Optional: None only once the pool has closed it)
    cursor = cast(Any, connection.connection.driver_connection).cursor()
    try:
        with cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [
                        process(row[key]) if process else row[key]
                        for key, process in zip(keys, processors, strict=True)
                    ]
                )
    except dialect.loaded_dbapi.Error as exc:
        # The driver's own error, as SQLAlchemy would have raised it for an INSERT.
        raise sa.exc.DBAPIError.instance(
            f"COPY {table.name}", None, exc, dialect.loaded_dbapi.Error, dialect=dialect
        ) from exc
    return ids


def _existing_by_kk(kks: Iterable[str]) -> dict[str, HouseholdState]:
    """The household already known for each No. KK (the oldest, when the desk made several).
    Numbers are encrypted at rest: the match is on their keyed digests (slrt.core.crypto)."""
    by_digest = {nik_digest(kk): kk for kk in kks}
    found: dict[str, HouseholdState] = {}
    rows = db.session.execute(
        sa.select(
            m.Household.id,
            m.Household.kk_hash,
            m.Household.village_code,
            m.Household.in_dtsen,
            m.Household.desil,
            m.Household.programmes,
        )
        .where(_one_of(m.Household.kk_hash, list(by_digest)))
        .order_by(m.Household.id)
    )
    for row in rows:
        kk = by_digest[row.kk_hash]
        if kk not in found:
            found[kk] = HouseholdState(
                row.id, row.village_code, row.in_dtsen, row.desil, sorted(row.programmes or [])
            )
    return found


def _existing_by_nik(niks: Iterable[str]) -> dict[str, PersonState]:
    """The person already known for each NIK (NIK is unique), matched on its keyed digest."""
    by_digest = {nik_digest(nik): nik for nik in niks}
    rows = db.session.execute(
        sa.select(
            m.Person.id,
            m.Person.nik_hash,
            m.Person.name,
            m.Person.birth_date,
            m.Person.sex,
            m.Person.household_id,
            m.Person.village_code,
        ).where(_one_of(m.Person.nik_hash, list(by_digest)))
    )
    return {
        by_digest[row.nik_hash]: PersonState(
            row.id, row.name, row.birth_date, row.sex, row.household_id, row.village_code
        )
        for row in rows
    }


def _search_name(name: str) -> str:
    """`normalize_name`, with a shortcut for plain ASCII names (most of the register): they have
    no accents to strip, and decomposing them letter by letter was a fifth of an import."""
    if name.isascii():
        return " ".join(name.casefold().split())
    return m.normalize_name(name)


def _change(object_type: str, object_id: int, name: str, old: Any, new: Any, now: datetime) -> dict:
    return {
        "object_type": object_type,
        "object_id": object_id,
        "field": name,
        "old_value": change_text(old),
        "new_value": change_text(new),
        "changed_by_id": None,
        "changed_at": now,
    }


def import_batch(rows: list[DtsenRow], now: datetime | None = None) -> Counts:
    """Upserts the households and persons of `rows` (all valid), writing only what differs.

    Bulk statements only: one prefetch per key, executemany inserts and updates by primary key,
    and one RecordChange per changed field (the same trail the desk's edits leave). Only
    flushes; the caller commits the batch or rolls it back whole.
    """
    now = now or utcnow()
    counts = Counts()
    changes: list[dict] = []
    if db.session.get_bind().dialect.name == "postgresql":
        # No wait for the disk at each batch's commit: a crash may lose the last batches, which
        # importing the file again restores; a batch is still written whole or not at all.
        db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))

    first_rows: dict[str, DtsenRow] = {}
    for row in rows:
        first_rows.setdefault(row.kk, row)
    households = _existing_by_kk(first_rows)
    new_households: list[dict] = []
    household_updates: list[dict] = []
    for kk, row in first_rows.items():
        state = households.get(kk)
        if state is None:
            new_households.append(
                {
                    "kk_number": kk,
                    # Bulk inserts bypass the model's @validates: keep the lookup digest in step here.
                    "kk_hash": nik_digest(kk),
                    "village_code": row.village_code,
                    "in_dtsen": True,
                    "desil": row.desil,
                    "programmes": row.programmes,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            continue
        wanted: dict[str, Any] = {
            "village_code": row.village_code,
            "in_dtsen": True,
            "desil": row.desil,
            "programmes": row.programmes,
        }
        old: dict[str, Any] = {
            "village_code": state.village_code,
            "in_dtsen": state.in_dtsen,
            "desil": state.desil,
            "programmes": state.programmes,
        }
        differing = [k for k in wanted if wanted[k] != old[k]]
        if differing:
            household_updates.append({"id": state.id, **wanted, "updated_at": now})
            changes.extend(_change("household", state.id, k, old[k], wanted[k], now) for k in differing)
            counts.households_updated += 1
        elif row.first_of_kk:
            counts.households_unchanged += 1
    if new_households:
        ids = _insert_rows(m.Household, new_households, with_ids=True)
        for values, new_id in zip(new_households, ids, strict=True):
            households[values["kk_number"]] = HouseholdState(
                new_id, values["village_code"], True, values["desil"], values["programmes"]
            )
        counts.households_inserted += len(new_households)
    if household_updates:
        db.session.execute(sa.update(m.Household), household_updates)

    persons = _existing_by_nik(row.nik for row in rows)
    new_persons: list[dict] = []
    person_updates: list[dict] = []
    for row in rows:
        household_id = households[row.kk].id
        known = persons.get(row.nik)
        if known is None:
            new_persons.append(
                {
                    "nik": row.nik,
                    "nik_hash": nik_digest(row.nik),
                    "name": row.name,
                    # Bulk inserts bypass the model's @validates: keep the search form in step here.
                    "name_search": _search_name(row.name),
                    "birth_date": row.birth_date,
                    "sex": row.sex,
                    "household_id": household_id,
                    "village_code": row.village_code,
                    "disability": m.Disability.NONE,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            continue
        wanted = {
            "name": row.name,
            "birth_date": row.birth_date,
            "sex": row.sex,
            "household_id": household_id,
            "village_code": row.village_code,
        }
        old = {
            "name": known.name,
            "birth_date": known.birth_date,
            "sex": known.sex,
            "household_id": known.household_id,
            "village_code": known.village_code,
        }
        differing = [k for k in wanted if wanted[k] != old[k]]
        if not differing:
            counts.persons_unchanged += 1
            continue
        person_updates.append(
            {"id": known.id, **wanted, "name_search": _search_name(row.name), "updated_at": now}
        )
        # The household move shows on the household pages; the trail keeps the person's own fields.
        changes.extend(
            _change("person", known.id, k, old[k], wanted[k], now) for k in differing if k != "household_id"
        )
        counts.persons_updated += 1
    if new_persons:
        _insert_rows(m.Person, new_persons)
        counts.persons_inserted += len(new_persons)
    if person_updates:
        db.session.execute(sa.update(m.Person), person_updates)
    if changes:
        db.session.execute(sa.insert(m.RecordChange), changes)
    if counts.changed:
        audit(
            "dtsen.import.batch",
            detail={
                "first_line": rows[0].line,
                "last_line": rows[-1].line,
                **{k: v for k, v in counts.as_dict().items() if k.startswith(("persons_", "households_"))},
            },
        )
    db.session.flush()
    return counts


# -- the whole file ---------------------------------------------------------------------------


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by lower-case column name); raises BadHeader when columns are missing."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise BadHeader(_("Berkas kosong."))
        names = [h.strip().lower() for h in header]
        missing = [c for c in COLUMNS if c not in names]
        if missing:
            raise BadHeader(
                _(
                    "Kolom wajib tidak ada: %(cols)s. Baris pertama harus: %(all)s.",
                    cols=", ".join(missing),
                    all=",".join(COLUMNS),
                )
            )
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            yield reader.line_num, dict(zip(names, values, strict=False))


def count_rows(path: Path) -> int:
    """Data lines in the file, for the progress bar (blank lines are counted too: close enough)."""
    with path.open("rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


class RejectWriter:
    """The rejected rows with their reasons, as CSV (UTF-8 with BOM for Excel); opened lazily so
    a clean import leaves no file behind."""

    def __init__(self, path: Path):
        self.path = path
        self._handle: Any = None
        self._writer: Any = None
        self.count = 0

    def write(self, line: int, raw: dict[str, str], reasons: list[str]) -> None:
        if self._writer is None:
            self._handle = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow([LINE_COLUMN, *COLUMNS, REASON_COLUMN])
        self._writer.writerow([line, *(_neutral(raw.get(c, "")) for c in COLUMNS), " ".join(reasons)])
        self.count += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def _neutral(cell: str) -> str:
    # The rejects file is opened in a spreadsheet: a cell starting with = + - @ would be a formula.
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


def default_rejects_path(path: Path) -> Path:
    return path.with_name(path.stem + ".rejected.csv")


def import_file(
    path: Path,
    rejects_path: Path | None = None,
    batch_size: int = DEFAULT_BATCH,
    on_progress: Callable[[int], None] | None = None,
    today: date | None = None,
) -> Counts:
    """Imports a DTSEN CSV in batches; each batch is one transaction (so, unlike other services,
    this one commits: a batch written is kept even when a later one fails).

    A batch the database refuses is rolled back whole, its rows go to the rejects file with the
    reason, and the import goes on with the next batch. Raises BadHeader before any work.
    """
    started = time.perf_counter()
    rows = read_rows(path)
    first = next(rows, None)  # reads the header: a bad one raises before anything is written
    checker = RowChecker(known_villages(), known_programmes(), today=today)
    db.session.rollback()  # the look-ups above leave no transaction open while the file is read
    rejects = RejectWriter(rejects_path or default_rejects_path(path))
    # A rejects file left by an earlier run would describe rows this run may have accepted.
    rejects.path.unlink(missing_ok=True)
    counts = Counts()
    batch: list[DtsenRow] = []
    raws: dict[int, dict[str, str]] = {}

    def flush_batch() -> None:
        if not batch:
            return
        try:
            result = import_batch(batch)
            db.session.commit()
        except sa.exc.SQLAlchemyError as exc:
            db.session.rollback()
            error = type(exc).__name__
            reason = _(
                "Kelompok baris %(first)d-%(last)d ditolak basis data (%(error)s); tidak ada baris "
                "kelompok ini yang disimpan. Perbaiki lalu impor ulang berkas yang sama.",
                first=batch[0].line,
                last=batch[-1].line,
                error=error,
            )
            for row in batch:
                rejects.write(row.line, raws[row.line], [reason])
            counts.failed += len(batch)
            counts.failed_batches.append((batch[0].line, batch[-1].line, error))
        else:
            counts.add(result)
        if on_progress:
            on_progress(len(batch))
        batch.clear()
        raws.clear()

    try:
        for line, raw in _chain(first, rows):
            counts.read += 1
            row, reasons = checker.check(line, raw)
            if row is None:
                rejects.write(line, raw, reasons)
                counts.rejected += 1
                if on_progress:
                    on_progress(1)
                continue
            batch.append(row)
            raws[line] = raw
            if len(batch) >= batch_size:
                flush_batch()
        flush_batch()
    finally:
        rejects.close()
    counts.seconds = time.perf_counter() - started
    audit(
        "dtsen.import",
        detail={
            "file": path.name,
            "run_by": _os_user(),
            "rejects": str(rejects.path) if rejects.count else None,
            **counts.as_dict(),
        },
    )
    db.session.commit()
    return counts


def _chain(first: tuple[int, dict[str, str]] | None, rest: Iterator) -> Iterator:
    if first is not None:
        yield first
        yield from rest


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None
