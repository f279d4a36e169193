"""Recomputing the tallies (see models.py) of villages from the records.

`refresh_villages(codes)` recomputes whole villages: it is called for every village a
transaction touched (see `track_changes`), by `flask reports refresh`, and by bulk loaders
through `rebuild()`, the one function to call after writing records with plain SQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import chain
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from slrt.core.access import in_region
from slrt.core.db import upsert_insert, utcnow
from slrt.core.workdays import JAKARTA, ZONES, LocalHoliday, WorkCalendar, in_zone, zone_for, zones_of
from slrt.directory.models import Agency, Service
from slrt.extensions import db
from slrt.intake.models import Case, CaseStatus, Need
from slrt.intake.moves import follows_move
from slrt.public.models import SurveyResponse
from slrt.referrals.models import Outcome, Referral, ReferralEvent, ReferralStatus
from slrt.reports.models import RegionTally, ReportTally, ReportVillage

CASE, REFERRAL, SURVEY = "case", "referral", "survey"
# The months of a village to recompute; None: all of them.
Months = frozenset[date] | None
# Dotted region codes have fixed widths per level: 32, 32.04, 32.04.05, 32.04.05.2001.
CODE_WIDTH = {1: 2, 2: 5, 3: 8, 4: 13}
# The levels whose sums are kept in RegionTally (a village's own rows are ReportTally).
REGION_LEVELS = (1, 2, 3)
REGION_KEY = ("region_code", "month", "subject", "figure", "key")
# Villages recomputed per round: bounds the memory a rebuild of millions of records needs.
CHUNK = 50
NO_AGENCY = "-"
# The key of a "not granted" referral whose reason was not recorded (before reasons were codes).
UNRECORDED = "-"


def local_date(ts: datetime, region_code: str | None = None) -> date:
    """The office's own date of an instant: in the time zone of `region_code` (WIB when none)."""
    return ts.astimezone(zone_for(region_code)).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def outcome_key(status: ReferralStatus, outcome: str | None) -> str:
    """What became of a referral: its outcome when resolved, else its closing or 'open' state."""
    if status is ReferralStatus.RESOLVED:
        return outcome or "resolved"
    if status in (ReferralStatus.REJECTED, ReferralStatus.CANCELLED):
        return status.value
    return "open"


class Calendars:
    """Working-day calendars per village, with the local holidays read once per refresh. Villages
    with the same holidays (most have none of their own) share one calendar and its cache."""

    def __init__(self, session: Session):
        self.holidays = list(session.execute(sa.select(LocalHoliday.day, LocalHoliday.region_code)))
        self._by_village: dict[str, frozenset[date]] = {}
        self._calendars: dict[frozenset[date], WorkCalendar] = {}
        self._between: dict[tuple[frozenset[date], date, date], int] = {}

    def days(self, village: str, start: datetime, end: datetime) -> int:
        """Working days from `start` to `end` (the village's own dates) in `village`: 0 on the same day."""
        extra = self._by_village.get(village)
        if extra is None:
            extra = self._by_village[village] = frozenset(
                d
                for d, code in self.holidays
                if in_region(village, code)  # a holiday without a region is national
            )
        a, b = local_date(start, village), local_date(end, village)
        key = (extra, a, b)
        if key not in self._between:
            cal = self._calendars.get(extra) or self._calendars.setdefault(extra, WorkCalendar(extra))
            self._between[key] = max(cal.between(a, b), 0)
        return self._between[key]


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def midnight_utc(day: date, zone: ZoneInfo = JAKARTA) -> datetime:
    """Local midnight at the start of `day` in `zone`, as UTC: where that day's records begin."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def created_in(
    column: sa.SQLColumnExpression[datetime], months: Months, zone: ZoneInfo = JAKARTA
) -> sa.ColumnElement[bool]:
    """`column`, a UTC timestamp, falls in one of these months of `zone`; None: any month."""
    if months is None:
        return sa.true()
    return sa.or_(
        *(
            sa.and_(column >= midnight_utc(m, zone), column < midnight_utc(next_month(m), zone))
            for m in sorted(months)
        )
    )


def created_between(
    column: sa.SQLColumnExpression[datetime],
    region_column: sa.SQLColumnExpression[str],
    region_code: str | None,
    first: date | None,
    end: date | None,
) -> sa.ColumnElement[bool]:
    """`column` (UTC) falls on a local day from `first` up to, not including, `end` (None: open),
    each row in the time zone of its own region, for rows inside `region_code`."""

    def bounds(zone: ZoneInfo) -> sa.ColumnElement[bool]:
        clauses = [column >= midnight_utc(first, zone)] if first else []
        clauses += [column < midnight_utc(end, zone)] if end else []
        return sa.and_(sa.true(), *clauses)

    zones = zones_of(region_code)
    if len(zones) == 1 or (first is None and end is None):
        return bounds(zones[0])
    return sa.or_(*(sa.and_(in_zone(zone, region_column), bounds(zone)) for zone in zones))


def _village_tallies(
    session: Session, villages: list[str], calendars: Calendars, months: Months = None
) -> Counter:
    """The tallies of these villages (all in one time zone), of the records created in `months`
    (None: all), each counted in the month and week of the village's own calendar."""
    counts: Counter = Counter()
    zone = zone_for(villages[0])

    def add(village: str, month: date, subject: str, figure: str, key: str) -> None:
        counts[(village, month, subject, figure, key)] += 1

    in_villages = sa.and_(Case.village_code.in_(villages), created_in(Case.created_at, months, zone))
    referrals_in = sa.and_(Referral.village_code.in_(villages), created_in(Referral.created_at, months, zone))
    needs: dict[int, set[str]] = {}
    for case_id, category in session.execute(
        sa.select(Need.case_id, Need.category_code).join(Case, Case.id == Need.case_id).where(in_villages)
    ):
        needs.setdefault(case_id, set()).add(category)
    # A case "resolved at the desk" was closed without any referral ever leaving the desk.
    referred = set(
        session.scalars(
            sa.select(Referral.case_id)
            .where(Referral.village_code.in_(villages), Referral.sent_at.is_not(None))
            .distinct()
        )
    )
    cases = sa.select(Case.id, Case.village_code, Case.created_at, Case.channel, Case.type, Case.status)
    for cid, village, created, channel, ctype, status in session.execute(cases.where(in_villages)):
        day = local_date(created, village)
        month, week = month_start(day), week_start(day).isoformat()
        for figure, key in (
            ("total", ""),
            ("channel", channel.value),
            ("type", ctype.value),
            ("status", status.value),
            ("week", week),
        ):
            add(village, month, CASE, figure, key)
        for category in needs.get(cid, ()):
            add(village, month, CASE, "need", category)
        if status is CaseStatus.CLOSED and cid not in referred:
            add(village, month, CASE, "desk_resolved", "")

    firsts: dict[tuple[int, ReferralStatus], datetime] = {}
    for rid, to, at in session.execute(
        sa.select(ReferralEvent.referral_id, ReferralEvent.to_status, sa.func.min(ReferralEvent.at))
        .join(Referral, Referral.id == ReferralEvent.referral_id)
        .where(referrals_in, ReferralEvent.to_status.in_((ReferralStatus.SENT, ReferralStatus.ACCEPTED)))
        .group_by(ReferralEvent.referral_id, ReferralEvent.to_status)
    ):
        firsts[(rid, to)] = at
    referrals = (
        sa.select(
            Referral.id,
            Referral.village_code,
            Referral.created_at,
            Referral.status,
            Referral.outcome,
            Referral.outcome_reason,
            Referral.sent_at,
            Referral.closed_at,
            Need.category_code,
            Service.code,
            Agency.code,
            Case.channel,
        )
        .join(Need, Need.id == Referral.need_id)
        .join(Service, Service.id == Referral.service_id)
        .join(Case, Case.id == Referral.case_id)
        .outerjoin(Agency, Agency.id == Referral.agency_id)
        .where(referrals_in)
    )
    # Twelve columns are more than SQLAlchemy's typed select() overloads (ten): typed as rows of
    # any length, they unpack into the loop's names.
    rows: Iterable[tuple[Any, ...]] = session.execute(referrals.execution_options(yield_per=2000))
    for row in rows:
        rid, village, created, status, outcome, reason, sent_at, closed_at, *names = row
        need, service, agency, channel = names
        result = outcome_key(status, outcome)
        day = local_date(created, village)
        month = month_start(day)
        for figure, key in (
            ("total", ""),
            ("need", need),
            ("service", service),
            ("agency", agency or NO_AGENCY),
            ("status", status.value),
            ("channel", channel.value),
            ("outcome", result),
            ("service_outcome", f"{service}|{result}"),
            ("week", week_start(day).isoformat()),
        ):
            add(village, month, REFERRAL, figure, key)
        if result == Outcome.NOT_GRANTED:
            add(village, month, REFERRAL, "not_granted_reason", reason or UNRECORDED)
        sent = firsts.get((rid, ReferralStatus.SENT)) or sent_at
        accepted = firsts.get((rid, ReferralStatus.ACCEPTED))
        if sent is not None and accepted is not None:
            add(village, month, REFERRAL, "accept_days", str(calendars.days(village, sent, accepted)))
        if sent is not None and status is ReferralStatus.RESOLVED and closed_at is not None:
            add(village, month, REFERRAL, "resolve_days", str(calendars.days(village, sent, closed_at)))

    surveys = sa.select(SurveyResponse.village_code, SurveyResponse.created_at, SurveyResponse.rating)
    in_scope = sa.and_(
        SurveyResponse.village_code.in_(villages), created_in(SurveyResponse.created_at, months, zone)
    )
    for village, created, rating in session.execute(surveys.where(in_scope)):
        add(village, month_start(local_date(created, village)), SURVEY, "rating", str(rating))
    return counts


def refresh_villages(codes: Iterable[str], session: Session | None = None, *, regions: bool = True) -> int:
    """Recomputes every tally of these villages in the current transaction (the caller commits),
    and adds the change to their district, regency and province sums (`regions=False` leaves
    those to the caller, as `rebuild` does). Returns the number of village tally rows written."""
    return refresh(dict.fromkeys(codes), session or db.session(), regions=regions)


def refresh(scope: dict[str, Months], session: Session, *, regions: bool = True) -> int:
    """Recomputes the tallies of each village in `scope` for its months (None: all of them).

    A commit recomputes only the months its records were created in: a village holds two
    years of records, and recomputing all of it took half a second per commit at 3,500
    referrals a village (measured on the make bench data)."""
    villages = sorted(scope)
    if not villages:
        return 0
    _stamp(session, villages)
    calendars = Calendars(session)
    # A batch's villages share a time zone: its months begin at one local midnight.
    batches: list[tuple[list[str], Months]] = []
    for zone in ZONES:
        whole = [v for v in villages if scope[v] is None and zone_for(v) is zone]
        batches += [(whole[i : i + CHUNK], None) for i in range(0, len(whole), CHUNK)]
    batches += [([v], scope[v]) for v in villages if scope[v] is not None]
    written = 0
    for batch, months in batches:
        counts = _village_tallies(session, batch, calendars, months)
        rows = sa.and_(
            ReportTally.village_code.in_(batch),
            sa.true() if months is None else ReportTally.month.in_(sorted(months)),
        )
        if regions:
            _add_to_regions(session, _region_changes(counts, _stored(session, rows)))
        session.execute(sa.delete(ReportTally).where(rows))
        if counts:
            session.execute(
                sa.insert(ReportTally),
                [
                    {"village_code": v, "month": m, "subject": s, "figure": f, "key": k, "count": n}
                    for (v, m, s, f, k), n in counts.items()
                ],
            )
            written += len(counts)
    return written


def _stamp(session: Session, villages: list[str]) -> None:
    """Marks the villages refreshed now, first thing: the upsert locks each village's row until
    commit, so two commits in one village recompute one after the other, the second seeing the
    first's records and rows (without it, the second INSERT collided with the first's rows)."""
    table = ReportVillage.__table__
    insert = upsert_insert(session)(table)
    stmt = insert.on_conflict_do_update(
        index_elements=[table.c.village_code], set_={"refreshed_at": insert.excluded.refreshed_at}
    )
    now = utcnow()
    session.execute(stmt, [{"village_code": v, "refreshed_at": now} for v in villages])


def _stored(session: Session, rows: sa.ColumnElement[bool]) -> Counter:
    """The village tallies as stored, before their recomputation."""
    columns = (ReportTally.village_code, ReportTally.month, ReportTally.subject, ReportTally.figure)
    query = sa.select(*columns, ReportTally.key, ReportTally.count).where(rows)
    return Counter({tuple(row[:5]): row[5] for row in session.execute(query)})


def _region_changes(new: Counter, old: Counter) -> Counter:
    """What the villages' new tallies add to (or take from) each of their regions' rows:
    (level, region code, month, subject, figure, key) -> change, without the zeros."""
    changes: Counter = Counter()
    for key in new.keys() | old.keys():
        change = new.get(key, 0) - old.get(key, 0)
        if change:
            village, *rest = key
            for level in REGION_LEVELS:
                changes[(level, village[: CODE_WIDTH[level]], *rest)] += change
    return Counter({key: n for key, n in changes.items() if n})


def _add_to_regions(session: Session, changes: Counter) -> None:
    if not changes:
        return
    table = cast(sa.Table, RegionTally.__table__)  # typed FromClause; a mapped class's is a Table
    insert = upsert_insert(session)(table)
    stmt = insert.on_conflict_do_update(
        index_elements=[table.c[name] for name in REGION_KEY],
        set_={"count": table.c.count + insert.excluded.count},
    )
    # In key order: concurrent commits lock the shared rows (a province's totals) in the same
    # order, so they wait for each other instead of deadlocking.
    session.execute(
        stmt,
        [
            {"level": lv, "region_code": r, "month": m, "subject": s, "figure": f, "key": k, "count": n}
            for (lv, r, m, s, f, k), n in sorted(changes.items())
        ],
    )
    emptied = [key[1:] for key, n in changes.items() if n < 0]
    for i in range(0, len(emptied), 500):
        pk = sa.tuple_(*(table.c[name] for name in REGION_KEY))
        session.execute(sa.delete(table).where(table.c.count == 0, pk.in_(emptied[i : i + 500])))


def sum_regions(session: Session) -> None:
    """Recomputes every province, regency and district sum from the village tallies."""
    session.execute(sa.delete(RegionTally))
    for level in REGION_LEVELS:
        region = sa.func.substr(ReportTally.village_code, 1, CODE_WIDTH[level])
        columns = (ReportTally.month, ReportTally.subject, ReportTally.figure, ReportTally.key)
        grouped = sa.select(region, *columns, sa.literal(level), sa.func.sum(ReportTally.count)).group_by(
            region, *columns
        )
        session.execute(sa.insert(RegionTally).from_select([*REGION_KEY, "level", "count"], grouped))


def villages_with_records(session: Session | None = None) -> list[str]:
    session = session or db.session()
    query = sa.union(
        sa.select(Case.village_code),
        sa.select(Referral.village_code),
        sa.select(SurveyResponse.village_code),
        sa.select(ReportVillage.village_code),
    )
    return sorted(session.scalars(query))


def rebuild(session: Session | None = None) -> int:
    """Recomputes the tallies of every village. Bulk loaders that write cases, referrals or
    survey answers with plain SQL (COPY, INSERT ... SELECT) call this once afterwards."""
    session = session or db.session()
    written = refresh_villages(villages_with_records(session), session, regions=False)
    sum_regions(session)
    return written


# --- refresh on write ------------------------------------------------------------------------

PENDING = "reports_pending"


def _loaded(obj: object, name: str) -> list:
    """The value(s) of attribute `name`: the current one and, when changed in this transaction,
    the old one. Read from the object's state only, never loading (a deleted row cannot be)."""
    state = sa.inspect(obj)
    values = [state.dict.get(name)]
    history = state.attrs[name].load_history()
    values += [v for v in history.deleted or () if v is not None]
    return [v for v in values if v is not None]


def _touched(objects: Iterable[object]) -> Iterator[tuple[str, object]]:
    """What a changed object touches: ("month", (village, month)) for a record's own tally rows
    (before and after a change of village or date), ("case", id) and ("referral", id) for
    records whose tallies read it."""
    for obj in objects:
        if isinstance(obj, Case | Referral | SurveyResponse):
            villages, created = _loaded(obj, "village_code"), _loaded(obj, "created_at")
            if villages and not created:  # not known without a query: the whole village
                yield from (("village", v) for v in villages)
            for village in villages:
                for at in created:
                    yield "month", (village, month_start(local_date(at, village)))
            # A case's referrals carry its channel, and its "resolved at the desk" depends on them.
            if isinstance(obj, Case) and obj.id is not None:
                yield "case", obj.id
            if isinstance(obj, Referral) and obj.case_id is not None:
                yield "case", obj.case_id
        elif isinstance(obj, Need):
            yield "case", obj.case_id
        elif isinstance(obj, ReferralEvent):
            yield "referral", obj.referral_id


def _after_flush(session: Session, _ctx: object) -> None:
    pending = session.info.setdefault(PENDING, set())
    pending.update(_touched(chain(session.new, session.dirty, session.deleted)))


def _scope(session: Session, pending: set[tuple[str, object]]) -> dict[str, Months]:
    """The villages and months to recompute for what a transaction touched."""

    def of(kind: str) -> set:
        return {value for k, value in pending if k == kind and value is not None}

    months: set[tuple[str, date]] = of("month")
    referral_ids, case_ids = of("referral"), of("case")
    if referral_ids:
        for village, created, case_id in session.execute(
            sa.select(Referral.village_code, Referral.created_at, Referral.case_id).where(
                Referral.id.in_(referral_ids)
            )
        ):
            months.add((village, month_start(local_date(created, village))))
            case_ids.add(case_id)
    if case_ids:
        cases = sa.select(Case.village_code, Case.created_at).where(Case.id.in_(case_ids))
        referrals = sa.select(Referral.village_code, Referral.created_at).where(
            Referral.case_id.in_(case_ids)
        )
        for village, created in chain(session.execute(cases), session.execute(referrals)):
            months.add((village, month_start(local_date(created, village))))
    by_village: dict[str, set[date]] = {}
    for village, month in months:
        by_village.setdefault(village, set()).add(month)
    scope: dict[str, Months] = {v: frozenset(m) for v, m in by_village.items()}
    scope.update(dict.fromkeys(of("village")))  # whole villages
    return scope


@follows_move("tallies")
def _moved_cases(case_ids: list[int], from_village: str, to_village: str) -> None:
    """A family's open cases and their referrals moved village by plain SQL (slrt.intake.moves),
    which the flush listener cannot see: their months are recounted in both villages."""
    if not case_ids:
        return None
    session = db.session()
    created = chain(
        session.scalars(sa.select(Case.created_at).where(Case.id.in_(case_ids))),
        session.scalars(sa.select(Referral.created_at).where(Referral.case_id.in_(case_ids))),
    )
    pending = session.info.setdefault(PENDING, set())
    for at in list(created):  # each village counts the record in its own calendar's month
        pending.update(("month", (v, month_start(local_date(at, v)))) for v in (from_village, to_village))
    return None


def _before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit flushes only after this hook: collect those changes too
    if not session.info.get(PENDING):
        return
    pending = session.info.pop(PENDING, set())
    refresh(_scope(session, pending), session)
    session.info.pop(PENDING, None)


def _forget(session: Session, _previous: object = None) -> None:
    session.info.pop(PENDING, None)


_installed = False


def track_changes() -> None:
    """Every commit that changes cases, needs, referrals or survey answers recomputes the
    tallies of the villages concerned, in the same transaction: figures are never stale."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_soft_rollback", _forget)
    _installed = True
