"""Directory operations: agencies, services with their criteria, and the routing table.

Every change writes one DirectoryChange row per changed field (who, when, old, new), in the same
transaction, so the directory's history can be read back on the admin pages. Services collect
every problem and raise `ValidationFailed` once; they only `flush()`: the caller commits.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.core.access import in_region
from slrt.core.audit import audit
from slrt.directory.models import (
    Agency,
    AgencyContact,
    Combine,
    Criterion,
    DirectoryChange,
    NeedCategory,
    Office,
    RoutingRule,
    Service,
)
from slrt.extensions import db
from slrt.regions.models import Region
from slrt.routing.expressions import check_expression

# How each recorded field is named on the history pages.
FIELD_LABELS = {
    "code": _l("Kode"),
    "name": _l("Nama"),
    "description": _l("Uraian"),
    "required_documents": _l("Dokumen"),
    "needs": _l("Kebutuhan"),
    "sla_respond_days": _l("Batas tanggapan"),
    "sla_resolve_days": _l("Batas penyelesaian"),
    "needs_nik": _l("Perlu NIK"),
    "agency_contact": _l("Kontak warga bagi lembaga"),
    "urgent": _l("Mendesak"),
    "active": _l("Aktif"),
    "default_agency_code": _l("Lembaga bawaan"),
    "combine": _l("Cara menggabungkan"),
    "criteria": _l("Kriteria"),
    "address": _l("Alamat"),
    "phone": _l("Telepon"),
    "email": _l("Email"),
    "hours": _l("Jam layanan"),
    "service_area": _l("Wilayah layanan"),
    "service": _l("Layanan"),
    "region_code": _l("Wilayah"),
    "agency": _l("Lembaga"),
    "head_title": _l("Jabatan pimpinan"),
    "tembusan": _l("Tembusan"),
    "logo": _l("Logo"),
}
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,39}$")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(getattr(value, "value", value))


def record_changes(
    object_type: str,
    obj: Any,
    label: str,
    before: dict[str, Any],
    after: dict[str, Any],
    actor: User | None,
) -> int:
    """One DirectoryChange row per field whose value differs; returns how many."""
    count = 0
    for name in after:
        old, new = _text(before.get(name)), _text(after.get(name))
        if old != new:
            db.session.add(
                DirectoryChange(
                    actor_id=getattr(actor, "id", None),
                    object_type=object_type,
                    object_id=obj.id,
                    object_label=label[:200],
                    field=name,
                    old=old,
                    new=new,
                )
            )
            count += 1
    return count


def agency_fields(agency: Agency | None) -> dict[str, Any]:
    if agency is None:
        return {}
    return {
        "code": agency.code,
        "name": agency.name,
        "address": agency.address,
        "phone": agency.phone,
        "email": agency.email,
        "hours": agency.hours,
        "service_area": list(agency.service_area or []),
        "active": agency.active,
    }


def service_fields(service: Service | None) -> dict[str, Any]:
    if service is None:
        return {}
    return {
        "code": service.code,
        "name": service.name,
        "description": service.description,
        "required_documents": list(service.required_documents or []),
        "needs": list(service.needs or []),
        "sla_respond_days": service.sla_respond_days,
        "sla_resolve_days": service.sla_resolve_days,
        "needs_nik": service.needs_nik,
        "agency_contact": service.agency_contact,
        "urgent": service.urgent,
        "active": service.active,
        "default_agency_code": service.default_agency_code,
        "combine": service.combine,
        "criteria": [f"{c.name}: {c.expression}" for c in service.criteria],
    }


def _clean_list(values: Iterable[str] | None) -> list[str]:
    return [v.strip() for v in values or [] if v and v.strip()]


def _outside_scope(actor: User | None, codes: Iterable[str]) -> list[str]:
    """Region codes an administrator of a province may not touch (the directory is shared:
    a province administrator manages the agencies and routing of that province only)."""
    scope = getattr(actor, "scope_region_code", None)
    if not scope:
        return []
    return [c for c in codes if not in_region(c, scope)]


def _add(errors: dict[str | None, list[str]], key: str | None, message: str) -> None:
    errors.setdefault(key, []).append(message)


def save_agency(
    agency: Agency | None,
    *,
    code: str,
    name: str,
    address: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    hours: str | None = None,
    service_area: Iterable[str] = (),
    active: bool = True,
    actor: User | None = None,
) -> Agency:
    """Creates (agency None) or updates an agency; raises ValidationFailed with every problem."""
    errors: dict[str | None, list[str]] = {}
    code = (code or "").strip().upper()
    if not CODE_RE.match(code):
        _add(
            errors,
            "code",
            _("Kode 2-40 karakter: huruf besar, angka dan tanda hubung, misalnya DINSOS-3204."),
        )
    else:
        clash = db.session.scalar(sa.select(Agency).where(Agency.code == code))
        if clash is not None and clash is not agency:
            _add(errors, "code", _("Kode lembaga %(c)s sudah dipakai.", c=code))
    if not (name or "").strip():
        _add(errors, "name", _("Nama lembaga wajib diisi."))
    area = _clean_list(service_area)
    if not area:
        _add(errors, "service_area", _("Isi minimal satu kode wilayah layanan, misalnya 32.04."))
    known = set(db.session.scalars(sa.select(Region.code).where(Region.code.in_(area)))) if area else set()
    for region in area:
        if region not in known:
            _add(errors, "service_area", _("Kode wilayah %(code)s tidak dikenal.", code=region))
    current = list(agency.service_area or []) if agency is not None else []
    for region in dict.fromkeys(_outside_scope(actor, [*area, *current])):
        _add(errors, "service_area", _("Wilayah %(code)s di luar wilayah kewenangan Anda.", code=region))
    if errors:
        raise ValidationFailed(errors)
    before = agency_fields(agency)
    created = agency is None
    if agency is None:
        agency = Agency(code=code)
        db.session.add(agency)
    agency.code = code
    agency.name = name.strip()
    agency.address = (address or "").strip() or None
    agency.phone = (phone or "").strip() or None
    agency.email = (email or "").strip() or None
    agency.hours = (hours or "").strip() or None
    agency.service_area = list(dict.fromkeys(area))
    agency.active = active
    db.session.flush()
    if record_changes("agency", agency, agency.code, before, agency_fields(agency), actor):
        audit("agency.create" if created else "agency.update", agency, actor=actor, detail={"code": code})
    return agency


# A letterhead logo: PNG or JPEG, as fpdf2 draws them, small enough to sit in every letter.
LOGO_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
LOGO_MAX_BYTES = 512 * 1024


def check_logo(content: bytes) -> str | None:
    """The logo's type, or None when it is not a readable PNG or JPEG of a sensible size."""
    kind = next((mime for magic, mime in LOGO_TYPES if content.startswith(magic)), None)
    if kind is None or len(content) > LOGO_MAX_BYTES:
        return None
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError):
        return None
    return kind if min(width, height) >= 32 and max(width, height) <= 4000 else None


def office_fields(office: Office) -> dict[str, Any]:
    return {
        "name": office.name,
        "address": office.address,
        "phone": office.phone,
        "email": office.email,
        "hours": office.hours,
        "head_title": office.head_title,
        "tembusan": office.tembusan,
        # The image itself stays out of the history: its digest says that it changed.
        "logo": hashlib.sha256(office.logo).hexdigest()[:16] if office.logo else None,
    }


def save_office(
    office: Office,
    *,
    name: str,
    address: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    hours: str | None = None,
    head_title: str | None = None,
    tembusan: str | None = None,
    logo: bytes | None = None,
    remove_logo: bool = False,
    actor: User | None = None,
) -> Office:
    """Updates an office's letterhead (contacts, head, copies, logo); raises ValidationFailed
    with every problem. `logo` None keeps the current one."""
    errors: dict[str | None, list[str]] = {}
    if not (name or "").strip():
        _add(errors, "name", _("Nama kantor wajib diisi."))
    logo_type = check_logo(logo) if logo else None
    if logo and logo_type is None:
        _add(
            errors,
            "logo",
            _("Logo harus berkas PNG atau JPEG yang dapat dibaca, paling besar 512 KB."),
        )
    if _outside_scope(actor, [office.region_code]):
        _add(errors, None, _("Kantor ini di luar wilayah kewenangan Anda."))
    if errors:
        raise ValidationFailed(errors)
    before = office_fields(office)
    office.name = name.strip()
    office.address = (address or "").strip() or None
    office.phone = (phone or "").strip() or None
    office.email = (email or "").strip() or None
    office.hours = (hours or "").strip() or None
    office.head_title = (head_title or "").strip() or None
    lines = [x.strip() for x in (tembusan or "").splitlines() if x.strip()]
    office.tembusan = "\n".join(lines) or None
    if logo:
        office.logo, office.logo_type = logo, logo_type
    elif remove_logo:
        office.logo, office.logo_type = None, None
    db.session.flush()
    if record_changes("office", office, office.code, before, office_fields(office), actor):
        audit("office.update", office, actor=actor, detail={"code": office.code})
    return office


def check_criteria(criteria: list[tuple[str, str]]) -> dict[str | None, list[str]]:
    """Checks each (name, expression); errors keyed `criteria.<i>.name` / `.expression`, each
    message naming the criterion so it reads well in a summary too."""
    errors: dict[str | None, list[str]] = {}
    names: set[str] = set()
    for i, (name, expression) in enumerate(criteria):
        name, expression = (name or "").strip(), (expression or "").strip()
        label = name or _("nomor %(n)d", n=i + 1)
        if not name:
            _add(errors, f"criteria.{i}.name", _("Kriteria %(c)s: nama wajib diisi.", c=label))
        elif name in names:
            _add(errors, f"criteria.{i}.name", _("Kriteria '%(c)s' tertulis dua kali.", c=name))
        names.add(name)
        problem = check_expression(expression)
        if problem:
            _add(errors, f"criteria.{i}.expression", _("Kriteria '%(c)s': %(p)s", c=label, p=problem))
    return errors


def save_service(
    service: Service | None,
    *,
    code: str,
    name: str,
    description: str | None = None,
    required_documents: Iterable[str] = (),
    needs: Iterable[str] = (),
    sla_respond_days: int | None = 3,
    sla_resolve_days: int | None = 14,
    needs_nik: bool = False,
    agency_contact: str = "full",
    urgent: bool = False,
    active: bool = True,
    default_agency_code: str | None = None,
    combine: str = "all",
    criteria: list[tuple[str, str]] = (),  # type: ignore[assignment]
    actor: User | None = None,
) -> Service:
    """Creates or updates a service and replaces its criteria, after checking everything.

    A criterion whose expression does not compile against the fact types is refused here, so
    the engine only ever sees criteria it can run.
    """
    # Long on purpose: every field's and criterion's check in the form's order, all problems collected
    # before the one write.
    errors: dict[str | None, list[str]] = {}
    if getattr(actor, "scope_region_code", None):
        # The catalogue is national: a province administrator routes, but does not redefine.
        raise ValidationFailed({None: [_("Katalog layanan hanya dapat diubah administrator nasional.")]})
    code = (code or "").strip().upper()
    if service is not None:
        code = service.code  # codes are stable identifiers: referrals and reports use them
    elif not CODE_RE.match(code):
        _add(errors, "code", _("Kode 2-40 karakter: huruf besar, angka dan tanda hubung, misalnya PKH."))
    elif db.session.scalar(sa.select(Service.id).where(Service.code == code)) is not None:
        _add(errors, "code", _("Kode layanan %(c)s sudah dipakai.", c=code))
    if not (name or "").strip():
        _add(errors, "name", _("Nama layanan wajib diisi."))
    need_codes = _clean_list(needs)
    if not need_codes:
        _add(errors, "needs", _("Pilih minimal satu kebutuhan yang dilayani."))
    known = set(db.session.scalars(sa.select(NeedCategory.code)))
    for need in need_codes:
        if need not in known:
            _add(errors, "needs", _("Kebutuhan %(c)s tidak dikenal.", c=need))
    if sla_respond_days is None or sla_respond_days < 0:
        _add(errors, "sla_respond_days", _("Batas waktu tanggapan 0 hari kerja atau lebih."))
    if sla_resolve_days is None or sla_resolve_days < 1:
        _add(errors, "sla_resolve_days", _("Batas waktu penyelesaian minimal 1 hari kerja."))
    try:
        contact = AgencyContact(agency_contact or "full")
    except ValueError:
        _add(errors, "agency_contact", _("Pilihan kontak warga bagi lembaga tidak dikenal."))
        contact = AgencyContact.FULL
    try:
        combine_value = Combine(combine)
    except ValueError:
        _add(errors, "combine", _("Cara menggabungkan kriteria tidak dikenal."))
        combine_value = Combine.ALL
    rows = [(n.strip(), e.strip()) for n, e in criteria if (n or "").strip() or (e or "").strip()]
    errors.update(check_criteria(rows))
    if errors or sla_respond_days is None or sla_resolve_days is None:  # None is in errors already
        raise ValidationFailed(errors)
    before = service_fields(service)
    created = service is None
    if service is None:
        service = Service(code=code)
        db.session.add(service)
    service.name = name.strip()
    service.description = (description or "").strip() or None
    service.required_documents = _clean_list(required_documents)
    service.needs = list(dict.fromkeys(need_codes))
    service.sla_respond_days, service.sla_resolve_days = sla_respond_days, sla_resolve_days
    service.needs_nik, service.urgent, service.active = needs_nik, urgent, active
    service.agency_contact = contact
    service.default_agency_code = (default_agency_code or "").strip().upper() or None
    service.combine = combine_value
    _replace_criteria(service, rows)
    db.session.flush()
    if record_changes("service", service, service.code, before, service_fields(service), actor):
        audit("service.create" if created else "service.update", service, actor=actor, detail={"code": code})
    return service


def _replace_criteria(service: Service, rows: list[tuple[str, str]]) -> None:
    """Keeps rows whose position is unchanged (ids stay stable), updates or adds the rest."""
    existing = list(service.criteria)
    for position, (name, expression) in enumerate(rows):
        if position < len(existing):
            existing[position].name, existing[position].expression = name, expression
            existing[position].position = position
        else:
            service.criteria.append(Criterion(name=name, expression=expression, position=position))
    for extra in existing[len(rows) :]:
        service.criteria.remove(extra)


def rule_fields(rule: RoutingRule) -> dict[str, Any]:
    return {
        "service": rule.service.code if rule.service else None,
        "region_code": rule.region_code,
        "agency": rule.agency.code if rule.agency else None,
    }


def save_rule(
    *, service_code: str, region_code: str, agency_code: str, actor: User | None = None
) -> RoutingRule:
    """Routes `service_code` in `region_code` to `agency_code` (replacing that region's rule)."""
    errors: dict[str | None, list[str]] = {}
    service = db.session.scalar(
        sa.select(Service).where(Service.code == (service_code or "").strip().upper())
    )
    if service is None:
        _add(errors, "service_code", _("Layanan %(c)s tidak dikenal.", c=service_code))
    region_code = (region_code or "").strip()
    if db.session.get(Region, region_code) is None:
        _add(errors, "region_code", _("Kode wilayah %(code)s tidak dikenal.", code=region_code))
    elif _outside_scope(actor, [region_code]):
        _add(errors, "region_code", _("Wilayah %(code)s di luar wilayah kewenangan Anda.", code=region_code))
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == (agency_code or "").strip().upper()))
    if agency is None:
        _add(errors, "agency_code", _("Lembaga %(c)s tidak dikenal.", c=agency_code))
    if errors or service is None or agency is None:  # None is in errors already
        raise ValidationFailed(errors)
    rule = db.session.scalar(
        sa.select(RoutingRule).where(
            RoutingRule.service_id == service.id, RoutingRule.region_code == region_code
        )
    )
    before = rule_fields(rule) if rule else {}
    if rule is None:
        rule = RoutingRule(service=service, region_code=region_code, agency=agency)
        db.session.add(rule)
    rule.agency = agency
    db.session.flush()
    label = f"{service.code} @ {region_code}"
    if record_changes("routing_rule", rule, label, before, rule_fields(rule), actor):
        audit("routing_rule.save", rule, actor=actor, detail=rule_fields(rule))
    return rule


def delete_rule(rule: RoutingRule, actor: User | None = None) -> None:
    """Removes a routing rule; raises ValidationFailed when it lies outside the actor's region."""
    if _outside_scope(actor, [rule.region_code]):
        raise ValidationFailed(
            {None: [_("Wilayah %(code)s di luar wilayah kewenangan Anda.", code=rule.region_code)]}
        )
    before = rule_fields(rule)
    record_changes(
        "routing_rule",
        rule,
        f"{before['service']} @ {rule.region_code}",
        before,
        dict.fromkeys(before),
        actor,
    )
    audit("routing_rule.delete", rule, actor=actor, detail=before)
    db.session.delete(rule)
    db.session.flush()


def history(
    object_type: str | None = None, object_id: int | None = None, limit: int = 200
) -> list[DirectoryChange]:
    stmt = sa.select(DirectoryChange).order_by(DirectoryChange.at.desc(), DirectoryChange.id.desc())
    if object_type:
        stmt = stmt.where(DirectoryChange.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(DirectoryChange.object_id == object_id)
    return list(db.session.scalars(stmt.limit(limit)))
