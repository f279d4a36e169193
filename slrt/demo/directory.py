"""Demo directory for Kabupaten Bandung: a routing rule for every service in the regency, and
the Cileunyi Puskesmas for health care in its district. Runs after the foundation step (which
loads the catalogue with its criteria and creates the agencies); idempotent."""

from __future__ import annotations

import sqlalchemy as sa

from slrt.directory import services as ops
from slrt.directory.models import Agency, RoutingRule, Service
from slrt.extensions import db

REGENCY = "32.04"
DISTRICT_CILEUNYI = "32.04.05"
# Service code -> agency for the whole regency.
REGENCY_RULES = {
    "PKH": "DINSOS-3204",
    "BPNT": "DINSOS-3204",
    "PBI-JK": "DINSOS-3204",
    "PIP": "DISDIK-3204",
    "ATENSI-LANSIA": "DINSOS-3204",
    "ATENSI-DISABILITAS": "DINSOS-3204",
    "ATENSI-ANAK": "DINSOS-3204",
    "ATENSI-NAPZA": "DINSOS-3204",
    "UPTD-PPA": "UPTD-PPA-3204",
    "ADMINDUK": "DUKCAPIL-3204",
    "DTSEN-USULAN": "DINSOS-3204",
    "DTSEN-SANGGAH": "DINSOS-3204",
    "BANSOS-ADUAN": "DINSOS-3204",
    "RUTILAHU": "DINSOS-3204",
    "KUBE": "DINSOS-3204",
    "BENCANA": "BPBD-3204",
    "BAZNAS": "BAZNAS-3204",
}
# Service code -> (region, agency): more specific rules that win over the regency's.
LOCAL_RULES = {"PUSKESMAS": (DISTRICT_CILEUNYI, "PUSKESMAS-CILEUNYI")}


def _rule(service_code: str, region: str, agency_code: str) -> None:
    exists = db.session.scalar(
        sa.select(RoutingRule.id)
        .join(Service, RoutingRule.service_id == Service.id)
        .join(Agency, RoutingRule.agency_id == Agency.id)
        .where(Service.code == service_code, RoutingRule.region_code == region, Agency.code == agency_code)
    )
    if exists is None:
        ops.save_rule(service_code=service_code, region_code=region, agency_code=agency_code)


def seed(ctx: dict) -> None:
    services = set(db.session.scalars(sa.select(Service.code)))
    agencies = {a.code: a for a in db.session.scalars(sa.select(Agency))}
    puskesmas = agencies.get("PUSKESMAS-CILEUNYI")
    if puskesmas is not None and puskesmas.service_area != [DISTRICT_CILEUNYI]:
        before = ops.agency_fields(puskesmas)
        puskesmas.service_area = [DISTRICT_CILEUNYI]  # a Puskesmas serves its own district
        ops.record_changes("agency", puskesmas, puskesmas.code, before, ops.agency_fields(puskesmas), None)
    for code, agency in REGENCY_RULES.items():
        if code in services and agency in agencies:
            _rule(code, REGENCY, agency)
    # The head of the Dinas Sosial gets the escalation of a missed deadline (issue 17), once.
    dinsos = agencies.get("DINSOS-3204")
    if dinsos is not None and not dinsos.head_email:
        dinsos.head_name = "Kepala Dinas Sosial Kabupaten Bandung"
        dinsos.head_email = "kadinsos@dinsos.bandungkab.go.id"
    for code, (region, agency) in LOCAL_RULES.items():
        if code in services and agency in agencies:
            _rule(code, region, agency)
    db.session.flush()
