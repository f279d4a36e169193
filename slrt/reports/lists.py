"""The lists behind the numbers, and the other lists that can be downloaded.

Each list starts from `visible(...)` (the user's scope) and adds its filters; a dashboard figure
and its list apply exactly the same rule, so the list behind a number has that many rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from slrt.accounts.models import Role, User
from slrt.core import tracking
from slrt.core.access import region_clause, visible
from slrt.core.permissions import Permission, has
from slrt.core.workdays import JAKARTA, local_today_clause
from slrt.directory.models import Agency, Service
from slrt.extensions import db
from slrt.intake.models import CASE_STATUS_LABELS, CHANNEL_LABELS, Case, CaseStatus, Channel, Need
from slrt.public.models import SurveyResponse
from slrt.referrals import deadlines
from slrt.referrals.access import EVERY_PART, can_see_personal_data, contact_shown
from slrt.referrals.models import (
    DEADLINE_LABELS,
    Outcome,
    Referral,
    ReferralEvent,
    ReferralStatus,
)
from slrt.referrals.queries import INBOX_STATUSES, user_today
from slrt.regions.models import Region
from slrt.reports.labels import OUTCOME_KEY_LABELS
from slrt.reports.rollup import Period
from slrt.reports.tally import NO_AGENCY, UNRECORDED, created_between


class BadFilter(ValueError):
    """A filter the list does not know: the page answers 400 with this message."""


S = ReferralStatus
CLOSED = (S.RESOLVED, S.REJECTED, S.CANCELLED)


def _enum(enum_cls: type, key: str) -> Any:
    try:
        return enum_cls(key)
    except ValueError as exc:
        raise BadFilter(str(_l("Nilai filter %(v)s tidak dikenal.", v=key))) from exc


def _week(key: str, column: Any, village_column: Any) -> sa.ColumnElement[bool]:
    """Records of the week starting Monday `key`, each in its own village's calendar (as tallied)."""
    try:
        monday = date.fromisoformat(key)
    except ValueError as exc:
        raise BadFilter(str(_l("Minggu %(v)s tidak dikenal.", v=key))) from exc
    return created_between(column, village_column, None, monday, monday + timedelta(days=7))


def _has_event(status: ReferralStatus) -> sa.ColumnElement[bool]:
    return sa.exists().where(ReferralEvent.referral_id == Referral.id, ReferralEvent.to_status == status)


def _was_sent() -> sa.ColumnElement[bool]:
    return sa.or_(_has_event(S.SENT), Referral.sent_at.is_not(None))


def referral_filter(figure: str, key: str) -> sa.ColumnElement[bool]:
    """The rule of tally.py's referral figures, as SQL."""
    if figure == "total":
        return sa.true()
    if figure == "need":
        return Referral.need_id.in_(sa.select(Need.id).where(Need.category_code == key))
    if figure == "service":
        return Referral.service_id.in_(sa.select(Service.id).where(Service.code == key))
    if figure == "agency":
        if key == NO_AGENCY:
            return Referral.agency_id.is_(None)
        return Referral.agency_id.in_(sa.select(Agency.id).where(Agency.code == key))
    if figure == "status":
        return Referral.status == _enum(ReferralStatus, key)
    if figure == "channel":
        return Referral.case_id.in_(sa.select(Case.id).where(Case.channel == _enum(Channel, key)))
    if figure == "outcome":
        if key == "open":
            return Referral.status.not_in(CLOSED)
        if key in ("rejected", "cancelled"):
            return Referral.status == S(key)
        if key == "resolved":
            return sa.and_(Referral.status == S.RESOLVED, Referral.outcome.is_(None))
        if key not in OUTCOME_KEY_LABELS:
            raise BadFilter(str(_l("Nilai filter %(v)s tidak dikenal.", v=key)))
        return sa.and_(Referral.status == S.RESOLVED, Referral.outcome == key)
    if figure == "not_granted_reason":
        not_granted = referral_filter("outcome", Outcome.NOT_GRANTED)
        if key == UNRECORDED:
            return sa.and_(not_granted, Referral.outcome_reason.is_(None))
        return sa.and_(not_granted, Referral.outcome_reason == key)
    if figure == "service_outcome":
        service, _sep, outcome = key.partition("|")
        return sa.and_(referral_filter("service", service), referral_filter("outcome", outcome))
    if figure == "week":
        return _week(key, Referral.created_at, Referral.village_code)
    if figure == "accept_days":
        return sa.and_(_has_event(S.ACCEPTED), _was_sent())
    if figure == "resolve_days":
        return sa.and_(Referral.status == S.RESOLVED, Referral.closed_at.is_not(None), _was_sent())
    raise BadFilter(str(_l("Angka %(v)s tidak dikenal.", v=figure)))


def case_filter(figure: str, key: str) -> sa.ColumnElement[bool]:
    """The rule of tally.py's case figures, as SQL."""
    if figure == "total":
        return sa.true()
    if figure == "channel":
        return Case.channel == _enum(Channel, key)
    if figure == "status":
        return Case.status == _enum(CaseStatus, key)
    if figure == "type":
        from slrt.intake.models import CaseType

        return Case.type == _enum(CaseType, key)
    if figure == "need":
        return Case.id.in_(sa.select(Need.case_id).where(Need.category_code == key))
    if figure == "desk_resolved":
        sent = sa.select(Referral.case_id).where(Referral.sent_at.is_not(None))
        return sa.and_(Case.status == CaseStatus.CLOSED, Case.id.not_in(sent))
    if figure == "week":
        return _week(key, Case.created_at, Case.village_code)
    raise BadFilter(str(_l("Angka %(v)s tidak dikenal.", v=figure)))


@dataclass
class Column:
    header: Any
    value: Callable[[Any], Any]
    personal: bool = False
    width: int | None = None  # in characters, for the XLSX file
    kind: str = "text"  # "datetime" or "date": a real date in files, formatted on the page
    export_only: bool = False  # in the files, not on the page (a lookup per village)
    part: str = ""  # "phone" or "address": shown to an agency as its service allows (contact_shown)


# Needs whose reporters' contact details stay out of exports for every role but the agency
# the referral went to, which must reach the person (UU PDP: data of a violence victim).
PROTECTED_NEEDS = frozenset({"kekerasan"})


def _village_name(code: str | None) -> str:
    # The session's identity map keeps each region: one lookup per village in the file.
    region = db.session.get(Region, code) if code else None
    return region.name if region else ""


def _protected_case(case: Case) -> bool:
    return case.confidential or any(n.category_code in PROTECTED_NEEDS for n in case.needs)


def _protected(row: Any) -> bool:
    if isinstance(row, Referral):
        need = row.need.category_code if row.need else None
        return need in PROTECTED_NEEDS or row.case.confidential
    if isinstance(row, Case):
        return _protected_case(row)
    return True  # a survey comment: never with a protected person's words


def _deadline(r: Referral) -> str:
    status = deadlines.deadline_status(r)
    return str(DEADLINE_LABELS[status]) if status else ""


def _phone(person: Any) -> str:
    return (person.phone or "") if person is not None else ""


def _address(household: Any) -> str:
    if household is None:
        return ""
    parts = [household.street or ""]
    if household.rt or household.rw:
        parts.append(f"RT {household.rt or '-'}/RW {household.rw or '-'}")
    return ", ".join(p for p in parts if p)


REFERRAL_COLUMNS = [
    Column(_l("No. rujukan"), lambda r: r.id, width=11),
    Column(_l("Nomor surat"), lambda r: r.letter_number or "", width=28),
    Column(_l("Kode pelacakan"), lambda r: tracking.display(r.case.tracking_code), width=17),
    Column(_l("Dibuat"), lambda r: r.created_at, width=17, kind="datetime"),
    Column(_l("Kode desa"), lambda r: r.village_code, width=15),
    Column(_l("Desa/kelurahan"), lambda r: _village_name(r.village_code), width=24, export_only=True),
    Column(
        _l("Kebutuhan"),
        lambda r: r.need.category.display_name if r.need and r.need.category else "",
        width=30,
    ),
    Column(_l("Layanan"), lambda r: r.service.name, width=36),
    Column(_l("Lembaga"), lambda r: r.agency.name if r.agency else "", width=30),
    Column(_l("Status"), lambda r: r.status_label, width=18),
    Column(_l("Tenggat"), _deadline, width=18),
    Column(_l("Hasil"), lambda r: str(OUTCOME_KEY_LABELS.get(r.outcome, "")) if r.outcome else "", width=22),
    Column(_l("Nama pelapor"), lambda r: r.case.reporter.name if r.case.reporter else "", True, 26),
    Column(_l("Telepon"), lambda r: _phone(r.case.reporter), True, 17, part="phone"),
    Column(_l("Alamat"), lambda r: _address(r.case.household), True, 36, part="address"),
]

CASE_COLUMNS = [
    Column(_l("Kode pelacakan"), lambda c: tracking.display(c.tracking_code), width=17),
    Column(_l("Dibuat"), lambda c: c.created_at, width=17, kind="datetime"),
    Column(_l("Kode desa"), lambda c: c.village_code, width=15),
    Column(_l("Desa/kelurahan"), lambda c: _village_name(c.village_code), width=24, export_only=True),
    Column(_l("Cara datang"), lambda c: str(CHANNEL_LABELS[c.channel]), width=16),
    Column(_l("Status"), lambda c: str(CASE_STATUS_LABELS[c.status]), width=14),
    Column(_l("Mendesak"), lambda c: str(_l("Ya")) if c.urgent else "", width=10),
    Column(
        _l("Kebutuhan"),
        lambda c: ", ".join(n.category.display_name for n in c.needs if n.category),
        width=36,
    ),
    Column(_l("Nama pelapor"), lambda c: c.reporter.name if c.reporter else "", True, 26),
    Column(_l("Telepon"), lambda c: c.reporter.phone or "" if c.reporter else "", True, 17),
    Column(_l("Alamat"), lambda c: _address(c.household), True, 36),
]

SURVEY_COLUMNS = [
    Column(_l("Tanggal"), lambda s: s.created_at.astimezone(JAKARTA).date(), width=12, kind="date"),
    Column(_l("Kode pelacakan"), lambda s: tracking.display(s.case.tracking_code), width=17),
    Column(_l("Kode desa"), lambda s: s.village_code, width=15),
    Column(_l("Desa/kelurahan"), lambda s: _village_name(s.village_code), width=24, export_only=True),
    Column(_l("Nilai (1-5)"), lambda s: s.rating, width=11),
    Column(_l("Komentar"), lambda s: s.comment or "", True, 48),
]


def referral_options(query: sa.Select) -> sa.Select:
    # Many-to-one only: joined loads keep working while rows are streamed (yield_per).
    return query.options(
        joinedload(Referral.case).joinedload(Case.reporter),
        joinedload(Referral.case).joinedload(Case.household),
        joinedload(Referral.need).joinedload(Need.category),
    )


@dataclass
class RecordList:
    """A list a user may open or download: its query, its columns, and how rows are read."""

    name: str
    title: Any
    query: sa.Select
    columns: list[Column]
    model: type
    filters: dict[str, str]
    file_stem: str = "data"  # the downloaded file's name before the date, in Indonesian

    def personal(self, user: User, row: Any) -> bool:
        if self.model is Referral:
            return can_see_personal_data(user, row)
        return can_see_personal_data(user)

    def visible_columns(self, user: User, export: bool = False) -> list[Column]:
        """Personal columns only for roles that may ever see them (agency rows are checked one
        by one: an anonymous case leaves its cells empty). The page leaves out export-only ones."""
        columns = [c for c in self.columns if export or not c.export_only]
        if has(user, Permission.SEE_PERSONAL_DATA) or (user.role is Role.AGENCY and self.model is Referral):
            return columns
        return [c for c in columns if not c.personal]

    def cells(self, user: User, row: Any, columns: list[Column], export: bool = False) -> list[Any]:
        show = self.personal(user, row)
        if show and export and user.role is not Role.AGENCY and _protected(row):
            # A file travels further than a page: a protected person's contact goes only to the
            # agency that must reach them (can_see_personal_data already limits it to its own).
            show = False
        parts = contact_shown(user, row) if show and isinstance(row, Referral) else EVERY_PART
        hidden = [c.personal and (not show or bool(c.part and c.part not in parts)) for c in columns]
        return ["" if hide else c.value(row) for c, hide in zip(columns, hidden, strict=True)]


def records(user: User, args: Mapping[str, str], region: str | None) -> RecordList:
    """The records behind one dashboard number."""
    subject = args.get("subject", "referral")
    figure = args.get("figure", "total")
    key = args.get("key", "")
    period = parse_period(args)
    filters = {k: args[k] for k in ("subject", "figure", "key", "deadline", "from", "to") if args.get(k)}
    if region:
        filters["region"] = region
    query: sa.Select  # of referrals, cases or survey answers, by subject
    if subject == "referral":
        query = visible(Referral, user).where(
            region_clause(Referral.village_code, region),
            period.created_clause(Referral.created_at, Referral.village_code, region),
            referral_filter(figure, key),
        )
        deadline = args.get("deadline")
        if deadline == "overdue":
            query = query.where(deadlines.overdue_clause(local_today_clause(Referral.village_code, region)))
        elif deadline == "at_risk":
            query = query.where(deadlines.at_risk_clause(local_today_clause(Referral.village_code, region)))
        elif deadline:
            raise BadFilter(str(_l("Nilai filter %(v)s tidak dikenal.", v=deadline)))
        query = referral_options(query.order_by(Referral.created_at.desc(), Referral.id.desc()))
        return RecordList(
            "records", _l("Rujukan"), query, REFERRAL_COLUMNS, Referral, filters, "data-rujukan"
        )
    if subject == "case":
        query = visible(Case, user).where(
            region_clause(Case.village_code, region),
            period.created_clause(Case.created_at, Case.village_code, region),
            case_filter(figure, key),
        )
        query = query.options(joinedload(Case.reporter), joinedload(Case.household)).order_by(
            Case.created_at.desc(), Case.id.desc()
        )
        return RecordList("records", _l("Kasus"), query, CASE_COLUMNS, Case, filters, "data-kasus")
    if subject == "survey":
        query = visible(SurveyResponse, user).where(
            region_clause(SurveyResponse.village_code, region),
            period.created_clause(SurveyResponse.created_at, SurveyResponse.village_code, region),
        )
        if key:
            query = query.where(SurveyResponse.rating == _int(key))
        query = query.options(joinedload(SurveyResponse.case)).order_by(SurveyResponse.created_at.desc())
        return RecordList(
            "records",
            _l("Penilaian kepuasan"),
            query,
            SURVEY_COLUMNS,
            SurveyResponse,
            filters,
            "penilaian-kepuasan",
        )
    raise BadFilter(str(_l("Jenis data %(v)s tidak dikenal.", v=subject)))


def _int(text: str) -> int:
    if not text.isdecimal():
        raise BadFilter(str(_l("Nilai filter %(v)s tidak dikenal.", v=text)))
    return int(text)


def parse_month(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError as exc:
        raise BadFilter(str(_l("Bulan %(v)s tidak dikenal: tulis seperti 2026-01.", v=text))) from exc


def parse_period(args: Mapping[str, str]) -> Period:
    first, last = parse_month(args.get("from")), parse_month(args.get("to"))
    if first and last and first > last:
        raise BadFilter(str(_l("Bulan awal harus sebelum bulan akhir.")))
    return Period(first, last)


@dataclass(frozen=True)
class Preset:
    label: Any
    period: Period

    @property
    def args(self) -> dict[str, str]:
        first, last = self.period.first, self.period.last
        return {"from": first.strftime("%Y-%m"), "to": last.strftime("%Y-%m")} if first and last else {}


def period_presets(today: date) -> list[Preset]:
    """The periods a report is asked for most, counted from the office's own today."""
    this = today.replace(day=1)
    last = (this - timedelta(days=1)).replace(day=1)
    return [
        Preset(_l("Bulan ini"), Period(this, this)),
        Preset(_l("Bulan lalu"), Period(last, last)),
        Preset(_l("Tahun ini"), Period(this.replace(month=1), this)),
        Preset(_l("Semua waktu"), Period()),
    ]


def month_choices(today: date, back: int = 36) -> list[date]:
    """The months a period can start or end in: this one and the `back` before it, newest first."""
    months = [today.replace(day=1)]
    for _step in range(back):
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months


# --- other lists that can be downloaded -------------------------------------------------------


def open_cases(user: User, args: Mapping[str, str]) -> RecordList:
    """The desk home's open cases, in the same order."""
    query = (
        visible(Case, user)
        .where(Case.status == CaseStatus.OPEN)
        .options(joinedload(Case.reporter), joinedload(Case.household))
        .order_by(Case.urgent.desc(), Case.created_at.desc())
    )
    return RecordList("cases", _l("Kasus terbuka"), query, CASE_COLUMNS, Case, {}, "kasus-terbuka")


INBOX_OPEN = (S.SENT, S.ACCEPTED, S.IN_PROGRESS, S.WAITING_CITIZEN)


def inbox(user: User, args: Mapping[str, str]) -> RecordList:
    """The agency inbox with its filters (status, deadline, urgent), as on the page."""
    status = args.get("status", "open")
    query = visible(Referral, user)
    filters = {"status": status}
    if status == "open":
        query = query.where(Referral.status.in_(INBOX_OPEN))
    elif status in {s.value for s in INBOX_STATUSES}:
        query = query.where(Referral.status == S(status))
    if args.get("urgent") == "1":
        query = query.where(Referral.urgent.is_(True))
        filters["urgent"] = "1"
    deadline = args.get("deadline", "")
    if deadline == "overdue":
        query = query.where(deadlines.overdue_clause(user_today(user)))
    elif deadline == "at_risk":
        query = query.where(deadlines.at_risk_clause(user_today(user)))
    if deadline:
        filters["deadline"] = deadline
    query = referral_options(
        query.order_by(Referral.urgent.desc(), Referral.updated_at.desc(), Referral.id.desc())
    )
    return RecordList(
        "inbox", _l("Kotak masuk rujukan"), query, REFERRAL_COLUMNS, Referral, filters, "kotak-masuk-rujukan"
    )


def overdue(user: User, args: Mapping[str, str]) -> RecordList:
    query = visible(Referral, user).where(deadlines.overdue_clause(user_today(user)))
    query = referral_options(
        query.order_by(sa.func.coalesce(Referral.resolve_due, Referral.respond_due), Referral.id)
    )
    return RecordList(
        "overdue", _l("Rujukan terlambat"), query, REFERRAL_COLUMNS, Referral, {}, "rujukan-terlambat"
    )


# Who may download which list (the page of the list asks the same permission).
LISTS: dict[str, tuple[Callable[[User, Mapping[str, str]], RecordList], Permission]] = {
    "cases": (open_cases, Permission.SEE_REPORTS),
    "inbox": (inbox, Permission.RECEIVE_REFERRALS),
    "overdue": (overdue, Permission.SEE_REPORTS),
}
