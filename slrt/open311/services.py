"""Open311 GeoReport v2: what the desk shows of itself to civic apps, and reports they file.

A *service* is a need category of the taxonomy (`pangan`, `pendidikan`, `bencana`, ...): a
citizen reports a need, not a programme, and which programme or agency meets it is the desk's
decision after routing. A *service request* is a case; its `service_request_id` is a public id
(`public_id`: the case number and a keyed check), never the tracking code. The tracking code is
the citizen's only credential for /status and its survey, and requests.json lists requests to
anyone: listing the codes would hand them out. The citizen who files through Open311 gets the
tracking code in the answer's `service_notice`.

Like slrt.public, nothing here looks at a logged-in user, so it bypasses slrt.core.access and
selects only named columns that carry no personal data: never names, NIK, No. KK, phones,
addresses below the village, descriptions (free text written by people, often with names in
it), internal notes or coordinates. Cases that are confidential, or that concern violence,
children or drugs (`HIDDEN_NEEDS`), are never listed, and looking one up answers like an
unknown code: `publishable()` is the one rule for both.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.core.audit import audit
from slrt.core.errors import NotFound
from slrt.core.workdays import JAKARTA
from slrt.directory.models import Agency, NeedCategory, Office, Service
from slrt.extensions import db
from slrt.intake import models as m
from slrt.public.services import HIDDEN_STATUSES, OnlineReport, file_online_report
from slrt.referrals.models import REFERRAL_STATUS_LABELS, Referral
from slrt.regions import services as regions
from slrt.regions.models import LEVEL_VILLAGE, Region

# Besides cases marked confidential (rahasia): even without a name, a report of violence, of a
# child at risk or of drug use in a small village can point at one family.
HIDDEN_NEEDS = ("kekerasan", "anak", "napza")
MAX_SPAN = timedelta(days=90)  # the standard's default window and its largest
MAX_RESULTS = 1000
MAX_IDS = 100

YES, NO = "true", "false"
DIGITS_VILLAGE = re.compile(r"^\d{10}$")
ATTRIBUTES = (
    # (code, description, values): every attribute is optional and a single choice.
    (
        "case_type",
        _l("Jenis laporan"),
        (
            (m.CaseType.NEED.value, _l("Kebutuhan: warga butuh bantuan")),
            (
                m.CaseType.COMPLAINT.value,
                _l("Pengaduan: bantuan tidak sampai, salah sasaran, atau layanan buruk"),
            ),
            (m.CaseType.QUESTION.value, _l("Pertanyaan: ingin tahu syarat atau caranya")),
        ),
    ),
    (
        "consent",
        _l(
            "Pelapor setuju datanya (nama, kontak) diproses oleh Puskesos dan SLRT; "
            "wajib bila ada nama atau kontak"
        ),
        ((YES, _l("Ya, setuju")), (NO, _l("Tidak"))),
    ),
    (
        "confidential",
        _l("Rahasia: laporan tidak ditampilkan di halaman status publik dan di Open311"),
        ((YES, _l("Ya")), (NO, _l("Tidak"))),
    ),
    (
        "anonymous",
        _l("Anonim: identitas pelapor disembunyikan dari lembaga penerima rujukan"),
        ((YES, _l("Ya")), (NO, _l("Tidak"))),
    ),
)


# The desk needs the village of every report (its Puskesos files it); GeoReport's location
# (lat/long, address_string, address_id) may not name one, and coordinates are not kept, so the
# service definition asks for it as a required attribute.
VILLAGE_ATTRIBUTE = "village"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API last changed in a way a client could notice (discovery's `changeset`).
CHANGESET = "2026-12-02T00:00:00+07:00"


class BadQuery(Exception):
    """The query cannot be answered; `problems` are messages for the client."""

    def __init__(self, problems: list[str]):
        super().__init__(problems)
        self.problems = problems


# -- services ---------------------------------------------------------------------------------


def _categories() -> list[NeedCategory]:
    return list(
        db.session.scalars(
            sa.select(NeedCategory)
            .where(NeedCategory.active.is_(True))
            .order_by(NeedCategory.position, NeedCategory.code)
        )
    )


def service_list() -> list[dict]:
    """Every active need category as an Open311 service."""
    return [
        {
            "service_code": c.code,
            "service_name": c.display_name,
            "description": c.description or None,
            # Reports are filed at once and followed by their code: realtime in Open311 terms.
            "metadata": True,
            "type": "realtime",
            "keywords": None,
            "group": None,
        }
        for c in _categories()
    ]


def service_definition(code: str) -> dict | None:
    """The attributes a report of this service may carry; None for an unknown service."""
    category = db.session.get(NeedCategory, code)
    if category is None or not category.active:
        return None
    choices = [
        {
            "variable": True,
            "code": attr_code,
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": None,
            "order": order,
            "description": str(description),
            "values": [{"key": key, "name": str(name)} for key, name in values],
        }
        for order, (attr_code, description, values) in enumerate(ATTRIBUTES, start=1)
    ]
    village = {
        "variable": True,
        "code": VILLAGE_ATTRIBUTE,
        "datatype": "string",
        "required": True,
        "datatype_description": _("Kode desa Kemendagri, misalnya 3204052001 atau 32.04.05.2001."),
        "order": len(choices) + 1,
        "description": _(
            "Desa/kelurahan tempat warga tinggal: Puskesos desa itulah yang menerima laporan. "
            "Boleh kosong bila address_id berisi kode desa atau address_string berisi nama desa; "
            "koordinat lat/long saja tidak menentukan desa."
        ),
    }
    return {"service_code": category.code, "attributes": [*choices, village]}


def discovery(endpoint_url: str, formats: Iterable[str]) -> dict:
    """GeoReport v2's discovery document: where the endpoint is, its formats, how to get a key."""
    return {
        "changeset": CHANGESET,
        "contact": _("Administrator SLRT kabupaten/kota (menu Admin, Token API)."),
        "key_service": _(
            "api_key untuk mengirim laporan adalah token API dengan cakupan open311:report, "
            "dibuat oleh administrator SLRT di /admin/tokens."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": list(formats),
            }
        ],
    }


# -- requests ---------------------------------------------------------------------------------


def public_id(case_id: int) -> str:
    """The Open311 id of a case: `1234-5f0c9a1be2`. The keyed check (from the app's secret key)
    makes ids unguessable beyond the number, and it opens nothing on /status."""
    return f"{case_id}-{_check(case_id)}"


def _check(case_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"open311:{case_id}".encode(), hashlib.sha256).hexdigest()[:10]


def case_id_of(text: str) -> int | None:
    """The case number in a public id, or None when the id is malformed or its check is wrong."""
    number, _sep, check = text.strip().lower().partition("-")
    if not number.isdecimal() or len(number) > 12:
        return None
    case_id = int(number)
    return case_id if hmac.compare_digest(check, _check(case_id)) else None


@dataclass
class RequestQuery:
    case_ids: list[int] | None = None  # from service_request_id; overrides everything else
    service_codes: list[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: list[m.CaseStatus] | None = None


def parse_datetime(text: str) -> datetime:
    """ISO 8601 (`2026-11-01T08:00:00+07:00`, `...Z`, or a bare date); naive times are Jakarta's."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=JAKARTA)
    return value.astimezone(UTC)


def parse_query(args: dict[str, str], now: datetime) -> RequestQuery:
    """The query of GET requests.json, checked; raises BadQuery with every problem."""
    problems: list[str] = []
    query = RequestQuery()
    ids = [t.strip() for t in (args.get("service_request_id") or "").split(",") if t.strip()]
    if ids:
        if len(ids) > MAX_IDS:
            problems.append(_("Paling banyak %(n)d service_request_id sekaligus.", n=MAX_IDS))
        case_ids = []
        for given in ids[:MAX_IDS]:
            case_id = case_id_of(given[:40])
            if case_id is None:
                problems.append(_("service_request_id %(id)s tidak sah.", id=given[:40]))
            else:
                case_ids.append(case_id)
        query.case_ids = case_ids
    services = [t.strip() for t in (args.get("service_code") or "").split(",") if t.strip()]
    query.service_codes = services or None
    for name in ("start_date", "end_date"):
        text = args.get(name)
        if text:
            try:
                setattr(query, "start" if name == "start_date" else "end", parse_datetime(text))
            except ValueError:
                problems.append(
                    _("%(name)s harus tanggal-waktu ISO 8601, misalnya 2026-11-01T00:00:00+07:00.", name=name)
                )
    statuses = [t.strip().lower() for t in (args.get("status") or "").split(",") if t.strip()]
    if any(s not in ("open", "closed") for s in statuses):
        problems.append(_("status hanya boleh open atau closed."))
    else:
        query.statuses = [m.CaseStatus(s) for s in statuses] or None
    if not problems and query.case_ids is None:
        query.end = query.end or now
        query.start = query.start or query.end - MAX_SPAN
        if query.start > query.end:
            problems.append(_("start_date harus sebelum end_date."))
        elif query.end - query.start > MAX_SPAN:
            problems.append(_("Rentang start_date sampai end_date paling lama 90 hari."))
    if problems:
        raise BadQuery(problems)
    return query


def _first_need() -> sa.ScalarSelect:
    """The category of the case's first need: a case is one Open311 request of one service."""
    return (
        sa.select(m.Need.category_code)
        .where(m.Need.case_id == m.Case.id)
        .order_by(m.Need.id)
        .limit(1)
        .scalar_subquery()
    )


def publishable() -> sa.ColumnElement[bool]:
    """The one rule for what Open311 may show: not confidential, no hidden need."""
    hidden = sa.select(m.Need.id).where(m.Need.case_id == m.Case.id, m.Need.category_code.in_(HIDDEN_NEEDS))
    return sa.and_(m.Case.confidential.is_(False), ~hidden.exists())


def find_requests(query: RequestQuery) -> list[dict]:
    """The Open311 view of the cases matching `query`, newest first, at most MAX_RESULTS."""
    first_need = _first_need().label("service_code")
    stmt = (
        sa.select(
            m.Case.id,
            m.Case.status,
            m.Case.created_at,
            m.Case.updated_at,
            m.Case.closed_at,
            m.Case.village_code,
            Office.name.label("office"),
            first_need,
        )
        .select_from(m.Case)
        .outerjoin(Office, Office.id == m.Case.office_id)
        .where(publishable(), _first_need().is_not(None))
    )
    if query.case_ids is not None:
        stmt = stmt.where(m.Case.id.in_(query.case_ids))
    else:
        stmt = stmt.where(m.Case.created_at >= query.start, m.Case.created_at <= query.end)
        if query.service_codes:
            stmt = stmt.where(_first_need().in_(query.service_codes))
        if query.statuses:
            stmt = stmt.where(m.Case.status.in_(query.statuses))
    rows = db.session.execute(
        stmt.order_by(m.Case.created_at.desc(), m.Case.id.desc()).limit(MAX_RESULTS)
    ).all()
    if not rows:
        return []
    referrals = _referrals_by_case([r.id for r in rows])
    names = _category_names({r.service_code for r in rows if r.service_code})
    places = _places({r.village_code for r in rows})
    return [_as_request(row, referrals.get(row.id, []), names, places) for row in rows]


def find_request(text: str) -> dict | None:
    """One request by its public id; None for an unknown, invalid or unpublishable one."""
    case_id = case_id_of(text[:40])
    if case_id is None:
        return None
    found = find_requests(RequestQuery(case_ids=[case_id]))
    return found[0] if found else None


def _referrals_by_case(case_ids: list[int]) -> dict[int, list]:
    rows = db.session.execute(
        sa.select(
            Referral.case_id,
            Referral.status,
            Referral.updated_at,
            Service.name.label("service"),
            Agency.name.label("agency"),
        )
        .join(Service, Service.id == Referral.service_id)
        .outerjoin(Agency, Agency.id == Referral.agency_id)
        .where(Referral.case_id.in_(case_ids), Referral.status.not_in(HIDDEN_STATUSES))
        .order_by(Referral.case_id, Referral.id)
    ).all()
    found: dict[int, list] = {}
    for row in rows:
        found.setdefault(row.case_id, []).append(row)
    return found


def _category_names(codes: set[str]) -> dict[str, str]:
    return {
        c.code: c.display_name
        for c in db.session.scalars(sa.select(NeedCategory).where(NeedCategory.code.in_(codes)))
    }


def _places(village_codes: set[str]) -> dict[str, tuple[str, str | None]]:
    """village code: ("village, district, regency", postal code); nothing below the village."""
    parents: set[str] = set()
    for code in village_codes:
        parts = code.split(".")
        parents.update(".".join(parts[:n]) for n in (2, 3))
    regions = {
        r.code: r
        for r in db.session.scalars(sa.select(Region).where(Region.code.in_(village_codes | parents)))
    }
    places = {}
    for code in village_codes:
        parts = code.split(".")
        chain = [regions.get(c) for c in (code, ".".join(parts[:3]), ".".join(parts[:2]))]
        places[code] = (
            ", ".join(r.name for r in chain if r),
            getattr(regions.get(code), "postal_code", None),
        )
    return places


def _status_notes(closed: bool, referrals: list) -> str:
    if not referrals:
        return _("Selesai.") if closed else _("Diterima Puskesos, sedang diperiksa petugas.")
    parts = [f"{r.service} – {REFERRAL_STATUS_LABELS[r.status]}" for r in referrals]
    text = _("Rujukan: %(states)s.", states="; ".join(parts))
    return (_("Selesai.") + " " + text) if closed else text


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(JAKARTA).isoformat(timespec="seconds") if value else None


def _as_request(row: sa.Row, referrals: list, names: dict[str, str], places: dict) -> dict:
    closed = row.status is m.CaseStatus.CLOSED
    updated = (
        row.closed_at
        if closed and row.closed_at
        else max([row.updated_at, *(r.updated_at for r in referrals if r.updated_at)])
    )
    agencies = sorted({r.agency for r in referrals if r.agency})
    address, postal_code = places.get(row.village_code, (None, None))
    return {
        "service_request_id": public_id(row.id),
        "status": "closed" if closed else "open",
        "status_notes": _status_notes(closed, referrals),
        "service_name": names.get(row.service_code),
        "service_code": row.service_code,
        "agency_responsible": ", ".join(agencies) if agencies else row.office,
        "service_notice": None,
        "requested_datetime": _iso(row.created_at),
        "updated_datetime": _iso(updated),
        "address": address or None,
        "address_id": row.village_code,
        "zipcode": postal_code,
    }


# -- filing a report --------------------------------------------------------------------------

# Where /lapor's problems (keyed by its form fields) come from in an Open311 POST.
PARAMETER_OF: dict[str | None, str] = {
    "category": "service_code",
    "village_code": "address_id",
    "description": "description",
    "contact": "phone/email",
    "consent": "attribute[consent]",
}


def file_request(params: dict[str, str], actor: User) -> m.Case:
    """Files an Open311 POST as an online report, exactly as /lapor does (slrt.public).

    As GeoReport v2 says: the location is `lat`/`long`, `address_string` or `address_id`, and
    `description` may be left out. The desk needs a village besides (its Puskesos gets the
    report): `address_id` (a Kemendagri code, `32.04.05.2001` or `3204052001`), the required
    attribute `village` (the same code) or an `address_string` naming exactly one village;
    coordinates name none and are not kept. An unknown `service_code` raises NotFound (the
    standard's 404); everything else wrong raises ValidationFailed keyed by Open311 parameter
    names.
    """
    code = (params.get("service_code") or "").strip()
    category = db.session.get(NeedCategory, code[:40]) if code else None
    if code and (category is None or not category.active):
        raise NotFound(_("service_code %(code)s tidak dikenal.", code=code[:40]))
    errors: dict[str | None, list[str]] = {}
    case_type = params.get("attribute[case_type]") or m.CaseType.NEED.value
    if case_type not in {t.value for t in m.CaseType}:
        errors.setdefault("attribute[case_type]", []).append(_("Pilih need, complaint atau question."))
        case_type = m.CaseType.NEED.value
    flags = {}
    for name in ("consent", "confidential", "anonymous"):
        value = (params.get(f"attribute[{name}]") or NO).strip().lower()
        if value not in (YES, NO):
            errors.setdefault(f"attribute[{name}]", []).append(_("Isi true atau false."))
        flags[name] = value == YES
    if _coordinates_wrong(params):
        errors.setdefault("lat/long", []).append(
            _("lat dan long harus angka derajat WGS84, misalnya lat=-6.93 dan long=107.72.")
        )
    village, village_parameter = _village_from(params)
    if not village:
        errors.setdefault(f"attribute[{VILLAGE_ATTRIBUTE}]", []).append(
            _(
                "Sebutkan desanya: attribute[village] atau address_id berisi kode desa Kemendagri "
                "(3204052001), atau address_string berisi nama desa."
            )
        )
    name = " ".join(p for p in (params.get("first_name"), params.get("last_name")) if p and p.strip())
    # One contact is kept, as on /lapor; the desk calls before it writes.
    contact = (params.get("phone") or "").strip() or (params.get("email") or "").strip()
    description = (params.get("description") or "").strip()
    if not description and category is not None:
        # Optional in GeoReport v2; the desk's queue still wants a line to read.
        description = _(
            "Laporan dari aplikasi Open311 tanpa keterangan: %(service)s.", service=category.display_name
        )
    report = OnlineReport(
        category_code=code,
        case_type=m.CaseType(case_type),
        description=description,
        village_code=village,
        name=name[:160],
        contact=contact[:254],
        consent=flags["consent"],
        confidential=flags["confidential"],
        anonymous=flags["anonymous"],
    )
    try:
        case = file_online_report(report)
    except ValidationFailed as exc:
        parameter_of = {**PARAMETER_OF, "village_code": village_parameter}
        for key, messages in exc.errors.items():
            if key == "village_code" and not village:
                continue  # said above, in the desk's words for Open311
            errors.setdefault(parameter_of.get(key, key), []).extend(messages)
        raise ValidationFailed(errors) from exc
    if errors:
        raise ValidationFailed(errors)
    audit("open311.request", case, actor=actor, detail={"service_code": report.category_code})
    return case


def _coordinates_wrong(params: dict[str, str]) -> bool:
    """lat/long given but not a place on Earth (they are checked, never kept)."""
    given = [(params.get(k) or "").strip() for k in ("lat", "long")]
    if not any(given):
        return False
    try:
        lat, long = (float(v) for v in given)
    except ValueError:
        return True
    return not (-90 <= lat <= 90 and -180 <= long <= 180)


def _as_village_code(code: str) -> str:
    return f"{code[:2]}.{code[2:4]}.{code[4:6]}.{code[6:]}" if DIGITS_VILLAGE.match(code) else code


def _village_from(params: dict[str, str]) -> tuple[str, str]:
    """The village code the report names, and the parameter that named it."""
    for parameter in ("address_id", f"attribute[{VILLAGE_ATTRIBUTE}]"):
        code = (params.get(parameter) or "").strip()
        if code:
            return _as_village_code(code), parameter
    text = (params.get("address_string") or "").strip()
    if len(text) >= 3:
        found = regions.search(text[:60], level=LEVEL_VILLAGE, limit=2)
        if len(found) == 1:
            return found[0].code, "address_string"
    return "", "address_string" if text else f"attribute[{VILLAGE_ATTRIBUTE}]"
