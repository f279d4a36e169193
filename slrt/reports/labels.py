"""Readable names for the keys of the tallies (codes are stored, names are shown)."""

from __future__ import annotations

from datetime import date
from functools import cache

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from slrt.directory.models import Agency, NeedCategory, Service
from slrt.extensions import db
from slrt.intake.models import CASE_STATUS_LABELS, CASE_TYPE_LABELS, CHANNEL_LABELS
from slrt.referrals.models import NOT_GRANTED_REASON_LABELS, OUTCOME_LABELS, REFERRAL_STATUS_LABELS

OUTCOME_KEY_LABELS = {
    **{k.value: v for k, v in OUTCOME_LABELS.items()},
    "resolved": _l("Selesai ditangani"),
    "rejected": _l("Ditolak lembaga"),
    "cancelled": _l("Dibatalkan"),
    "open": _l("Masih berjalan"),
}


class Labels:
    """Looks names up once per request (a dashboard shows hundreds of keys)."""

    def __init__(self) -> None:
        self.needs = dict(db.session.execute(sa.select(NeedCategory.code, NeedCategory.name)).all())
        self.services = dict(db.session.execute(sa.select(Service.code, Service.name)).all())
        self.agencies = dict(db.session.execute(sa.select(Agency.code, Agency.name)).all())

    def __call__(self, subject: str, figure: str, key: str) -> str:
        if figure == "need":
            return self.needs.get(key, key)
        if figure == "service":
            return self.services.get(key, key)
        if figure == "agency":
            return self.agencies.get(key) or str(_l("Belum ada lembaga"))
        if figure == "status":
            labels = CASE_STATUS_LABELS if subject == "case" else REFERRAL_STATUS_LABELS
            return str(next((v for k, v in labels.items() if k.value == key), key))
        if figure == "channel":
            return str(next((v for k, v in CHANNEL_LABELS.items() if k.value == key), key))
        if figure == "type":
            return str(next((v for k, v in CASE_TYPE_LABELS.items() if k.value == key), key))
        if figure == "outcome":
            return str(OUTCOME_KEY_LABELS.get(key, key))
        if figure == "not_granted_reason":
            reasons = {k.value: v for k, v in NOT_GRANTED_REASON_LABELS.items()}
            return str(reasons.get(key, _l("Alasan tidak tercatat")))
        if figure == "service_outcome":
            service, _sep, outcome = key.partition("|")
            return f"{self.services.get(service, service)}: {OUTCOME_KEY_LABELS.get(outcome, outcome)}"
        if figure == "week":
            return str(_l("Minggu %(d)s", d=format_date(date.fromisoformat(key), "d MMM yyyy")))
        return key


@cache
def figure_titles() -> dict[tuple[str, str], object]:
    return {
        ("case", "total"): _l("Kasus"),
        ("case", "need"): _l("Keluhan dan kebutuhan menurut kategori"),
        ("case", "channel"): _l("Kasus menurut cara datang"),
        ("case", "status"): _l("Kasus menurut status"),
        ("case", "type"): _l("Kasus menurut jenis"),
        ("case", "desk_resolved"): _l("Kasus selesai di desk"),
        ("case", "week"): _l("Kasus per minggu"),
        ("referral", "total"): _l("Rujukan"),
        ("referral", "need"): _l("Rujukan menurut kebutuhan"),
        ("referral", "service"): _l("Rujukan menurut layanan"),
        ("referral", "agency"): _l("Rujukan menurut lembaga"),
        ("referral", "status"): _l("Rujukan menurut status"),
        ("referral", "channel"): _l("Rujukan menurut cara datang"),
        ("referral", "outcome"): _l("Rujukan menurut hasil"),
        ("referral", "service_outcome"): _l("Rujukan menurut layanan dan hasil"),
        ("referral", "not_granted_reason"): _l("Rujukan yang tidak dapat diberikan, menurut alasan"),
        ("referral", "week"): _l("Rujukan per minggu"),
        ("referral", "accept_days"): _l("Rujukan yang sudah diterima lembaga"),
        ("referral", "resolve_days"): _l("Rujukan yang selesai ditangani"),
        ("survey", "rating"): _l("Penilaian kepuasan warga"),
        ("survey", "total"): _l("Penilaian kepuasan warga"),
    }
