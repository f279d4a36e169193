"""DTSEN proposals out (issue 18 item 6): the households the desks propose for registration or
update (needs `dtsen.daftar`, served by DTSEN-USULAN) or whose inclusion or exclusion they
object to (`dtsen.sanggah`, DTSEN-SANGGAH), as the list village operators load into the national
system. One row per open need; the columns are documented in the README (DTSEN section).

The list holds full NIKs and No. KKs, which the national system needs: only roles that may
reveal identity numbers (Permission.REVEAL_IDENTITY) download it, and every download is audited.
It lives in reports (not dtsen) to reuse the list writers of slrt.reports.exports.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from slrt.core.access import region_clause, scope_clause
from slrt.core.audit import audit
from slrt.core.permissions import Permission, requires
from slrt.core.workdays import local_today
from slrt.extensions import db
from slrt.intake import models as m
from slrt.reports import exports

# Need category -> the catalogue's service for it (slrt/directory/data/catalog.json).
PROPOSAL_SERVICES = {"dtsen.daftar": "DTSEN-USULAN", "dtsen.sanggah": "DTSEN-SANGGAH"}
HEADER = [
    "jenis_usulan",
    "kode_desa",
    "nama_desa",
    "rt",
    "rw",
    "alamat",
    "no_kk",
    "nik",
    "nama",
    "tanggal_lahir",
    "jenis_kelamin",
    "hubungan_keluarga",
    "jumlah_anggota_keluarga",
    "terdaftar_dtsen",
    "desil",
    "tanggal_kunjungan_rumah",
    "hasil_kunjungan_rumah",
    "kode_kasus",
    "tanggal_usulan",
    "keterangan",
]
FORMATS = ("csv", "xlsx")

bp = Blueprint("dtsen_proposals", __name__, url_prefix="/dtsen/proposals")


def proposals_query(region: str | None, user: Any = None) -> sa.Select:
    """The open proposal needs in `region` (None: all), in the user's scope when a user is given."""
    query = (
        sa.select(m.Need)
        .join(m.Case, m.Need.case_id == m.Case.id)
        .where(
            m.Need.category_code.in_(list(PROPOSAL_SERVICES)),
            m.Need.closed_at.is_(None),
            m.Case.anonymised_at.is_(None),
            region_clause(m.Case.village_code, region),
        )
        .order_by(m.Case.village_code, m.Case.created_at, m.Need.id)
        .options(
            selectinload(m.Need.person).selectinload(m.Person.household).selectinload(m.Household.members),
            selectinload(m.Need.case).selectinload(m.Case.reporter),
            selectinload(m.Need.case).selectinload(m.Case.household).selectinload(m.Household.members),
        )
    )
    if user is not None:
        query = query.where(scope_clause(m.Case, user))
    return query


def _home_visits(household_ids: set[int]) -> dict[int, m.DtsenCheck]:
    """The latest home-visit check (DtsenCheck with source home_visit) of each household."""
    if not household_ids:
        return {}
    checks = db.session.scalars(
        sa.select(m.DtsenCheck)
        .where(m.DtsenCheck.household_id.in_(household_ids), m.DtsenCheck.source == m.DtsenSource.HOME_VISIT)
        .order_by(m.DtsenCheck.checked_on, m.DtsenCheck.id)
    )
    return {c.household_id: c for c in checks}  # later checks overwrite earlier ones


def _visit_result(check: m.DtsenCheck | None) -> str:
    if check is None:
        return ""
    if not check.in_dtsen:
        return _("Tidak terdaftar di DTSEN")
    if check.desil:
        return _("Terdaftar di DTSEN, desil %(desil)d", desil=check.desil)
    return _("Terdaftar di DTSEN")


def proposal_rows(query: sa.Select) -> Iterator[list[Any]]:
    """One list row per proposal need, in HEADER's order."""
    needs = db.session.scalars(query).unique().all()
    households: dict[int, m.Household | None] = {}
    for need in needs:
        person = need.person or need.case.reporter
        households[need.id] = (person.household if person else None) or need.case.household
    visits = _home_visits({h.id for h in households.values() if h is not None})
    for need in needs:
        case = need.case
        person = need.person or case.reporter
        household = households[need.id]
        visit = visits.get(household.id) if household else None
        village = household.village if household else None
        yield [
            PROPOSAL_SERVICES[need.category_code],
            household.village_code if household else case.village_code,
            village.name if village else "",
            (household.rt or "") if household else "",
            (household.rw or "") if household else "",
            (household.street or "") if household else "",
            (household.kk_number or "") if household else "",
            (person.nik or "") if person else "",
            person.name if person else "",
            person.birth_date if person and person.birth_date else "",
            person.sex.value if person and person.sex else "",
            person.relationship_to_head.value if person and person.relationship_to_head else "",
            len(household.members) if household else "",
            ""
            if household is None or household.in_dtsen is None
            else ("ya" if household.in_dtsen else "tidak"),
            household.desil if household and household.desil else "",
            visit.checked_on if visit else "",
            _visit_result(visit),
            case.tracking_code,
            exports.local(case.created_at).date(),
            need.description or "",
        ]


def _audit_export(region: str | None, fmt: str, rows: int, actor: Any = None) -> None:
    audit("dtsen.proposals.export", actor=actor, detail={"region": region, "format": fmt, "rows": rows})


def _file_name(region: str | None) -> str:
    return f"usulan-dtsen-{(region or 'semua').replace('.', '')}-{local_today().isoformat()}"


@bp.route("/")
@requires(Permission.REVEAL_IDENTITY)
def page() -> Any:
    query = proposals_query(current_user.scope_region_code, current_user)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
    return render_template("reports/dtsen_proposals.html", total=total, formats=FORMATS)


@bp.route("/file.<fmt>")
@requires(Permission.REVEAL_IDENTITY)
def download(fmt: str) -> Any:
    if fmt not in FORMATS:
        abort(404)
    region = current_user.scope_region_code
    rows = list(proposal_rows(proposals_query(region, current_user)))
    _audit_export(region, fmt, len(rows))
    name = _file_name(region)
    if fmt == "csv":
        response = Response(
            stream_with_context(exports.csv_chunks(HEADER, rows)), mimetype="text/csv; charset=utf-8"
        )
        response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    response = Response(
        exports.file_chunks(exports.xlsx_file(HEADER, rows, "Usulan DTSEN")),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@click.command("proposals")
@click.option("--region", required=True, help="Kode wilayah, misalnya 32.04.05.2001 atau 32.04.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), help="Berkas tujuan (XLSX: wajib)."
)
def proposals_command(region: str, fmt: str, output: Path | None) -> None:
    """The DTSEN proposals (DTSEN-USULAN, DTSEN-SANGGAH) of a region, for the village operators."""
    rows = list(proposal_rows(proposals_query(region)))
    _audit_export(region, fmt, len(rows))
    db.session.commit()
    if fmt == "csv":
        text = "".join(exports.csv_chunks(HEADER, rows))
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
        return
    target = output or Path(_file_name(region) + ".xlsx")
    with exports.xlsx_file(HEADER, rows, "Usulan DTSEN") as spooled, target.open("wb") as handle:
        handle.write(spooled.read())
    click.echo(str(target))
