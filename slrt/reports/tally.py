"""Recomputing the tallies (see models.py) of villages from the records.

`refresh_villages(codes)` recomputes whole villages: it is called for every village a
transaction touched (see `track_changes`), by `flask reports refresh`, and by bulk loaders
through `rebuild()`, the one function to call after writing records with plain SQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from itertools import chain

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from slrt.core.db import upsert_insert, utcnow
from slrt.core.workdays import JAKARTA, LocalHoliday, WorkCalendar
from slrt.directory.models import Agency, Service
from slrt.extensions import db
from slrt.intake.models import Case, CaseStatus, Need
from slrt.public.models import SurveyResponse
from slrt.referrals.models import Referral, ReferralEvent, ReferralStatus
from slrt.reports.models import RegionTally, ReportTally, ReportVillage

CASE, REFERRAL, SURVEY = "case", "referral", "survey"
# Dotted region codes have fixed widths per level: 32, 32.04, 32.04.05, 32.04.05.2001.
CODE_WIDTH = {1: 2, 2: 5, 3: 8, 4: 13}
# The levels whose sums are kept in RegionTally (a village's own rows are ReportTally).
REGION_LEVELS = (1, 2, 3)
REGION_KEY = ("region_code", "month", "subject", "figure", "key")
# Villages recomputed per round: bounds the memory a rebuild of millions of records needs.
CHUNK = 50
NO_AGENCY = "-"


def local_date(ts: datetime) -> date:
    return ts.astimezone(JAKARTA).date()


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
        """Working days from `start` to `end` (Jakarta dates) in `village`: 0 on the same day."""
        extra = self._by_village.get(village)
        if extra is None:
            extra = self._by_village[village] = frozenset(
                d
                for d, code in self.holidays
                if code is None or village == code or village.startswith(code + ".")
            )
        a, b = local_date(start), local_date(end)
        key = (extra, a, b)
        if key not in self._between:
            cal = self._calendars.get(extra) or self._calendars.setdefault(extra, WorkCalendar(extra))
            self._between[key] = max(cal.between(a, b), 0)
        return self._between[key]


def _village_tallies(session: Session, villages: list[str], calendars: Calendars) -> Counter:
    counts: Counter = Counter()

    def add(village: str, month: date, subject: str, figure: str, key: str) -> None:
        counts[(village, month, subject, figure, key)] += 1

    in_villages = Case.village_code.in_(villages)
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
        day = local_date(created)
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
        .where(
            Referral.village_code.in_(villages),
            ReferralEvent.to_status.in_((ReferralStatus.SENT, ReferralStatus.ACCEPTED)),
        )
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
        .where(Referral.village_code.in_(villages))
    )
    rows = session.execute(referrals.execution_options(yield_per=2000))
    for rid, village, created, status, outcome, sent_at, closed_at, need, service, agency, channel in rows:
        result = outcome_key(status, outcome)
        day = local_date(created)
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
        sent = firsts.get((rid, ReferralStatus.SENT)) or sent_at
        accepted = firsts.get((rid, ReferralStatus.ACCEPTED))
        if sent is not None and accepted is not None:
            add(village, month, REFERRAL, "accept_days", str(calendars.days(village, sent, accepted)))
        if sent is not None and status is ReferralStatus.RESOLVED and closed_at is not None:
            add(village, month, REFERRAL, "resolve_days", str(calendars.days(village, sent, closed_at)))

    surveys = sa.select(SurveyResponse.village_code, SurveyResponse.created_at, SurveyResponse.rating)
    for village, created, rating in session.execute(surveys.where(SurveyResponse.village_code.in_(villages))):
        add(village, month_start(local_date(created)), SURVEY, "rating", str(rating))
    return counts


def refresh_villages(codes: Iterable[str], session: Session | None = None, *, regions: bool = True) -> int:
    """Recomputes every tally of these villages in the current transaction (the caller commits),
    and adds the change to their district, regency and province sums (`regions=False` leaves
    those to the caller, as `rebuild` does). Returns the number of village tally rows written."""
    session = session or db.session
    codes = sorted(set(codes))
    if not codes:
        return 0
    calendars = Calendars(session)
    written = 0
    now = utcnow()
    for i in range(0, len(codes), CHUNK):
        villages = codes[i : i + CHUNK]
        counts = _village_tallies(session, villages, calendars)
        if regions:
            _add_to_regions(session, _region_changes(counts, _stored(session, villages)))
        session.execute(sa.delete(ReportTally).where(ReportTally.village_code.in_(villages)))
        session.execute(sa.delete(ReportVillage).where(ReportVillage.village_code.in_(villages)))
        if counts:
            session.execute(
                sa.insert(ReportTally),
                [
                    {"village_code": v, "month": m, "subject": s, "figure": f, "key": k, "count": n}
                    for (v, m, s, f, k), n in counts.items()
                ],
            )
            written += len(counts)
        session.execute(
            sa.insert(ReportVillage), [{"village_code": v, "refreshed_at": now} for v in villages]
        )
    return written


def _stored(session: Session, villages: list[str]) -> Counter:
    """The tallies of these villages as stored, before their recomputation."""
    columns = (ReportTally.village_code, ReportTally.month, ReportTally.subject, ReportTally.figure)
    query = sa.select(*columns, ReportTally.key, ReportTally.count).where(
        ReportTally.village_code.in_(villages)
    )
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
    table = RegionTally.__table__
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
    session = session or db.session
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
    session = session or db.session
    written = refresh_villages(villages_with_records(session), session, regions=False)
    sum_regions(session)
    return written


# --- refresh on write ------------------------------------------------------------------------

PENDING = "reports_pending"


def _touched(objects: Iterable[object]) -> Iterator[tuple[str, object]]:
    for obj in objects:
        if isinstance(obj, Case | Referral | SurveyResponse):
            yield "village", obj.village_code
        elif isinstance(obj, Need):
            yield "case", obj.case_id
        elif isinstance(obj, ReferralEvent):
            yield "referral", obj.referral_id


def _after_flush(session: Session, _ctx: object) -> None:
    pending = session.info.setdefault(PENDING, set())
    pending.update(_touched(chain(session.new, session.dirty, session.deleted)))


def _before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit flushes only after this hook: collect those changes too
    if not session.info.get(PENDING):
        return
    pending = session.info.pop(PENDING, set())
    villages = {v for kind, v in pending if kind == "village" and v}
    case_ids = {v for kind, v in pending if kind == "case" and v}
    referral_ids = {v for kind, v in pending if kind == "referral" and v}
    if case_ids:
        villages.update(session.scalars(sa.select(Case.village_code).where(Case.id.in_(case_ids))))
    if referral_ids:
        villages.update(
            session.scalars(sa.select(Referral.village_code).where(Referral.id.in_(referral_ids)))
        )
    refresh_villages(villages, session)
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
