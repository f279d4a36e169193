"""Dashboards that roll up, the lists behind their numbers, and downloads (CSV/XLSX).
Views stay thin: the region is checked against the user's scope (outside it: 404), the figures
come from rollup.py, the lists from lists.py, the files from exports.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from slrt.core.access import in_scope_region, region_clause
from slrt.core.audit import audit
from slrt.core.db import streamed, utcnow
from slrt.core.nik import NIK_MISSING_LABELS
from slrt.core.permissions import Permission, has, requires
from slrt.core.timezones import local_moment
from slrt.core.web import page_number
from slrt.core.workdays import local_today
from slrt.extensions import db
from slrt.intake import quality
from slrt.intake.quality import VillageQuality
from slrt.referrals import register as registers
from slrt.regions.models import Region
from slrt.regions.services import region_path
from slrt.reports import charts, exports, lists
from slrt.reports.labels import Labels, figure_titles
from slrt.reports.models import ReportTally
from slrt.reports.rollup import Figures, Period, child_level, monthly, next_month, rollup
from slrt.reports.tally import CASE, CODE_WIDTH, REFERRAL

bp = Blueprint("reports", __name__, url_prefix="/reports")

PER_PAGE = 25
FORMATS = ("csv", "xlsx")


def _region() -> str | None:
    """The region asked for (default: the user's own scope); outside the scope it is a 404."""
    code = request.args.get("region") or current_user.scope_region_code
    if code and db.session.get(Region, code) is None:
        abort(404)
    if not in_scope_region(current_user, code):
        abort(404)
    return code or None


def _month_trend(region: str | None, period: Period) -> list[tuple[date, int, int]]:
    """Cases and referrals per month, the last 12 months of the period."""
    last = period.last or local_today().replace(day=1)
    first = last
    for _step in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    if period.first and period.first > first:
        first = period.first
    query = (
        sa.select(ReportTally.month, ReportTally.subject, sa.func.sum(ReportTally.count))
        .where(
            region_clause(ReportTally.village_code, region),
            ReportTally.figure == "total",
            ReportTally.subject.in_((CASE, REFERRAL)),
            ReportTally.month >= first,
            ReportTally.month <= last,
        )
        .group_by(ReportTally.month, ReportTally.subject)
    )
    found = {(m, s): int(n) for m, s, n in db.session.execute(query)}
    months, month = [], first
    while month <= last:
        months.append((month, found.get((month, CASE), 0), found.get((month, REFERRAL), 0)))
        month = next_month(month)
    return months


def _week_trend(total: Figures, period: Period) -> list[tuple[date, int, int]]:
    """Cases and referrals per week, the last 12 weeks up to the end of the period."""
    end = (next_month(period.last) - timedelta(days=1)) if period.last else local_today()
    monday = end - timedelta(days=end.weekday())
    weeks = [monday - timedelta(weeks=i) for i in range(11, -1, -1)]
    return [
        (w, total.n(CASE, "week", w.isoformat()), total.n(REFERRAL, "week", w.isoformat())) for w in weeks
    ]


BREAKDOWNS = [
    (REFERRAL, "need"),
    (REFERRAL, "service"),
    (REFERRAL, "agency"),
    (REFERRAL, "status"),
    (REFERRAL, "channel"),
    (REFERRAL, "not_granted_reason"),
    (CASE, "need"),
    (CASE, "channel"),
    (CASE, "status"),
]


@bp.route("/")
@requires(Permission.SEE_REPORTS)
def dashboard() -> Any:
    region = _region()
    try:
        period = lists.parse_period(request.args)
    except lists.BadFilter as exc:
        flash(str(exc), "error")
        period = Period()
    data = rollup(region, period)
    label = Labels()
    titles = figure_titles()
    sections = []
    for subject, figure in BREAKDOWNS:
        rows = [(key, label(subject, figure, key), n) for key, n in data.total.breakdown(subject, figure)]
        sections.append(
            {
                "subject": subject,
                "figure": figure,
                "title": titles[(subject, figure)],
                "rows": rows,
                "chart": charts.bars([(name, n) for _k, name, n in rows]),
            }
        )
    months = _month_trend(region, period)
    weeks = _week_trend(data.total, period)
    legend = (_("Kasus"), _("Rujukan"))
    # Most districts of a regency are often all zeros: they are folded away unless asked for.
    show_empty = request.args.get("kosong") == "tampil"
    children = [(r, f) for r, f in data.children if show_empty or not f.empty]
    quality_by_code, quality_computed = quality.summed(region, CODE_WIDTH[child_level(region)])
    quality_rows = [(r, quality_by_code[r.code]) for r, _f in data.children if r.code in quality_by_code]
    quality_total = VillageQuality("", "")
    for _r, q in quality_rows:
        quality_total.add(q)
    today = local_today()
    scope = current_user.scope_region_code
    path = [r for r in region_path(region) if in_scope_region(current_user, r.code)] if region else []
    return render_template(
        "reports/dashboard.html",
        data=data,
        region=region,
        path=path,
        national=scope is None,
        period=period,
        period_args={k: request.args[k] for k in ("from", "to") if request.args.get(k)},
        presets=lists.period_presets(today),
        month_choices=lists.month_choices(today),
        children=children,
        hidden_empty=len(data.children) - len(children),
        show_empty=show_empty,
        sections=sections,
        months=months,
        month_chart=charts.columns([(m.strftime("%m/%y"), a, b) for m, a, b in months], legend),
        weeks=weeks,
        week_chart=charts.columns([(w.strftime("%d/%m"), a, b) for w, a, b in weeks], legend),
        drill=region is None or len(region) < 13,
        quality_rows=quality_rows,
        quality_total=quality_total,
        quality_computed=quality_computed,
        nik_reasons=[(k.value, label) for k, label in NIK_MISSING_LABELS.items()] + [("", None)],
    )


def _bad_filter(exc: lists.BadFilter) -> Any:
    abort(400, description=str(exc))


@bp.route("/records")
@requires(Permission.SEE_REPORTS)
def records() -> Any:
    region = _region()
    try:
        record_list = lists.records(current_user, request.args, region)
    except lists.BadFilter as exc:
        return _bad_filter(exc)
    page = page_number()
    rows = db.session.scalars(record_list.query.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)).all()
    total = _count(record_list.query)
    columns = record_list.visible_columns(current_user)
    label = Labels()
    subject = request.args.get("subject", "referral")
    figure = request.args.get("figure", "total")
    key = request.args.get("key", "")
    heading = str(figure_titles().get((subject, figure), record_list.title))
    if key and figure != "total":
        heading += ": " + label(subject, figure, key)
    deadline = request.args.get("deadline")
    if deadline:
        heading += " · " + (_("terlambat") if deadline == "overdue" else _("hampir jatuh tempo"))
    region_row = db.session.get(Region, region) if region else None
    return render_template(
        "reports/records.html",
        record_list=record_list,
        heading=heading,
        region=region_row,
        columns=columns,
        rows=[(r, record_list.cells(current_user, r, columns)) for r in rows[:PER_PAGE]],
        total=total,
        page=page,
        has_next=len(rows) > PER_PAGE,
        pages=(total + PER_PAGE - 1) // PER_PAGE,
        args={k: v for k, v in request.args.items() if k != "page"},
        back_args={k: request.args[k] for k in ("from", "to") if request.args.get(k)},
    )


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0


def _download(record_list: lists.RecordList, fmt: str) -> Response:
    """Audits the export (who, which list, filters, how many rows), then streams the file."""
    user = current_user._get_current_object()
    columns = record_list.visible_columns(user, export=True)
    rows_total = _count(record_list.query)
    audit(
        "report.export",
        detail={
            "list": record_list.name,
            "format": fmt,
            "filters": record_list.filters,
            "rows": rows_total,
            "personal": any(c.personal for c in columns),
        },
    )
    header = [str(c.header) for c in columns]

    def rows() -> Any:
        result = streamed(db.session, record_list.query, exports.YIELD_PER)
        for obj in result:
            yield record_list.cells(user, obj, columns, export=True)

    name = f"{record_list.file_stem}-{local_today().isoformat()}"
    widths = [c.width for c in columns]
    return _file_response(header, rows(), fmt, name, str(record_list.title), widths)


def _file_response(
    header: list[str], rows: Any, fmt: str, name: str, title: str, widths: list[int | None] | None = None
) -> Response:
    if fmt == "csv":
        response = Response(
            stream_with_context(exports.csv_chunks(header, rows)), mimetype="text/csv; charset=utf-8"
        )
        response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    return _xlsx_response(exports.xlsx_file(header, rows, title, widths or ()), name)


def _xlsx_response(spooled: Any, name: str) -> Response:
    response = Response(
        exports.file_chunks(spooled),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@bp.route("/records.<fmt>")
@requires(Permission.SEE_REPORTS)
def records_file(fmt: str) -> Any:
    if fmt not in FORMATS:
        abort(404)
    region = _region()
    try:
        record_list = lists.records(current_user, request.args, region)
    except lists.BadFilter as exc:
        return _bad_filter(exc)
    return _download(record_list, fmt)


@bp.route("/export/<name>.<fmt>")
@login_required  # which list, the list says (lists.LISTS)
def list_file(name: str, fmt: str) -> Any:
    if name not in lists.LISTS or fmt not in FORMATS:
        abort(404)
    build, permission = lists.LISTS[name]
    if not has(current_user, permission):
        abort(403)
    return _download(build(current_user, request.args), fmt)


MONTHLY_HEADER = [
    _l("Bulan"),
    _l("Kode wilayah"),
    _l("Wilayah"),
    _l("Indikator"),
    _l("Rincian"),
    _l("Nilai"),
]


def monthly_regions(region: str | None, period: Period) -> list[tuple[date, str, str, Figures]]:
    """Per month: each child region with any record that month, then the region's total row."""
    out: list[tuple[date, str, str, Figures]] = []
    table = monthly(region, period)
    months = sorted({m for m, _r, _f in table})
    region_row = db.session.get(Region, region) if region else None
    for month in months:
        in_month = [(r, f) for m, r, f in table if m == month]
        total = sum((f for _r, f in in_month), Figures())
        # Child regions without any record that month are left out; the total row is always there.
        busy = [(r.code, r.name, f) for r, f in in_month if f.n(CASE) or f.n(REFERRAL) or f.overdue]
        whole = (region or "", region_row.name if region_row else _("Indonesia"), total)
        out += [(month, code, name, figures) for code, name, figures in [*busy, whole]]
    return out


# The dashboard's statistic: the median, as everywhere the report says median.
DAYS_FIGURES = (
    ("accept_days", _l("Median hari kerja sampai diterima")),
    ("resolve_days", _l("Median hari kerja sampai selesai")),
)


def _median(figures: Figures, figure: str) -> Any:
    median = figures.median_days(figure)
    return round(median, 1) if median is not None else ""


def monthly_rows(region: str | None, period: Period) -> list[list[Any]]:
    """The monthly SLRT report as rows: per month and child region, then the region's total."""
    label = Labels()
    out: list[list[Any]] = []
    for month, code, name, figures in monthly_regions(region, period):
        base = [month.strftime("%Y-%m"), code, name]

        def add(indicator: str, detail: str, value: Any, base: list = base) -> None:
            out.append([*base, indicator, detail, value])

        add(_("Kasus"), "", figures.n(CASE))
        for key, n in figures.breakdown(CASE, "need"):
            add(_("Keluhan menurut kebutuhan"), label(CASE, "need", key), n)
        add(_("Rujukan"), "", figures.n(REFERRAL))
        for key, n in figures.breakdown(REFERRAL, "service_outcome"):
            add(_("Rujukan menurut layanan dan hasil"), label(REFERRAL, "service_outcome", key), n)
        for key, n in figures.breakdown(REFERRAL, "not_granted_reason"):
            add(
                _("Rujukan tidak dapat diberikan menurut alasan"),
                label(REFERRAL, "not_granted_reason", key),
                n,
            )
        add(_("Rujukan terlambat"), "", figures.overdue)
        for figure, text in DAYS_FIGURES:
            add(str(text), "", _median(figures, figure))
    return out


RECAP_HEADER = [
    _l("Bulan"),
    _l("Kode wilayah"),
    _l("Wilayah"),
    _l("Kasus"),
    _l("Rujukan"),
    _l("Rujukan terlambat"),
    *(text for _figure, text in DAYS_FIGURES),
]
RECAP_WIDTHS = [10, 15, 30, 9, 9, 11, 18, 18]
MONTHLY_WIDTHS = [10, 15, 30, 36, 48, 9]


def recap_rows(regions: list[tuple[date, str, str, Figures]]) -> list[list[Any]]:
    """The "Rekap bulanan" sheet as a Dinas report: a row per region, an indicator per column."""
    return [
        [
            month,
            code,
            name,
            figures.n(CASE),
            figures.n(REFERRAL),
            figures.overdue,
            *(_median(figures, figure) for figure, _text in DAYS_FIGURES),
        ]
        for month, code, name, figures in regions
    ]


@bp.route("/monthly.<fmt>")
@requires(Permission.SEE_REPORTS)
def monthly_file(fmt: str) -> Any:
    if fmt not in FORMATS:
        abort(404)
    region = _region()
    try:
        period = lists.parse_period(request.args)
    except lists.BadFilter as exc:
        return _bad_filter(exc)
    rows = monthly_rows(region, period)
    filters = {k: request.args[k] for k in ("from", "to") if request.args.get(k)}
    filters["region"] = region or ""
    audit(
        "report.export",
        detail={"list": "monthly", "format": fmt, "filters": filters, "rows": len(rows), "personal": False},
    )
    name = f"laporan-bulanan-{(region or 'indonesia').replace('.', '')}"
    header = [str(h) for h in MONTHLY_HEADER]
    if fmt == "csv":
        return _file_response(header, iter(rows), fmt, name, _("Laporan bulanan"))
    recap = recap_rows(monthly_regions(region, period))
    spooled = exports.xlsx_book(
        [
            exports.Sheet(
                _("Rekap bulanan"),
                [str(h) for h in RECAP_HEADER],
                recap,
                RECAP_WIDTHS,
                {0: exports.XLSX_MONTH},
            ),
            exports.Sheet(_("Laporan bulanan"), header, rows, MONTHLY_WIDTHS),
        ]
    )
    return _xlsx_response(spooled, name)


# -- the desk's daily register (buku register harian) ---------------------------------------

REGISTER_FORMATS = ("pdf", "xlsx")


def _register_day() -> tuple[Any, date]:
    """The signed-in officer's office and the day asked for (today on the office's clock)."""
    office = current_user.office
    if office is None:
        abort(404)
    text = request.args.get("day")
    if not text:
        return office, local_moment(utcnow(), office.region_code).date()
    try:
        return office, date.fromisoformat(text)
    except ValueError:
        abort(400)


@bp.route("/register")
@requires(Permission.SEE_PERSONAL_DATA)
def register() -> Any:
    office, day = _register_day()
    rows = registers.register_rows(office, day)
    return render_template(
        "reports/register.html",
        office=office,
        day=day,
        rows=rows,
        header=registers.header(),
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
    )


@bp.route("/register.<fmt>")
@requires(Permission.SEE_PERSONAL_DATA)
def register_file(fmt: str) -> Any:
    if fmt not in REGISTER_FORMATS:
        abort(404)
    office, day = _register_day()
    rows = registers.register_rows(office, day)
    audit(
        "report.export",
        office,
        detail={"list": "register", "format": fmt, "day": str(day), "rows": len(rows), "personal": True},
    )
    name = f"register-{office.code}-{day.isoformat()}"
    if fmt == "xlsx":
        spooled = exports.xlsx_file(
            registers.header(),
            [registers.as_cells(r) for r in rows],
            str(registers.title(office, day)),
            widths=(5, 7, 24, 36, 28, 30, 36),
        )
        return _xlsx_response(spooled, name)
    pdf = registers.register_pdf(office, day, rows, current_user.name, current_user.position)
    return Response(
        pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}.pdf"'}
    )
