"""Plain-Indonesian reasons for the engine's outcomes ("Desil 3: terpenuhi", "Desil belum
diketahui: cek DTSEN"), for the desk page, the API and the referral's reason text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from slrt.routing.engine import CriterionOutcome, RoutingWarning, Suggestion

FACT_LABELS = {
    "age": _l("Usia"),
    "sex": _l("Jenis kelamin"),
    "has_nik": _l("Punya NIK"),
    "pregnant": _l("Sedang hamil"),
    "disability": _l("Disabilitas"),
    "in_school": _l("Sedang sekolah"),
    "in_dtsen": _l("Terdaftar di DTSEN"),
    "desil": _l("Desil"),
    "programmes": _l("Program yang diterima"),
    "programme_count": _l("Jumlah program yang diterima"),
    "receives_pkh": _l("Menerima PKH"),
    "receives_bpnt": _l("Menerima BPNT"),
    "receives_pbi_jk": _l("Menerima PBI-JK"),
    "receives_pip": _l("Menerima PIP"),
    "house_uninhabitable": _l("Rumah tidak layak huni"),
    "data_update_requested": _l("Data DTSEN perlu diperbarui"),
    "household_size": _l("Jumlah anggota keluarga"),
    "children_under_6": _l("Anak di bawah 6 tahun"),
    "school_age_in_school": _l("Anak 6-21 tahun yang sekolah"),
    "school_age_not_in_school": _l("Anak 6-21 tahun yang tidak sekolah"),
    "school_age_not_finished": _l("Anak 6-21 tahun belum tamat 12 tahun"),
    "members_60_plus": _l("Anggota usia 60+"),
    "members_70_plus": _l("Anggota usia 70+"),
    "severe_disability_members": _l("Anggota disabilitas berat"),
    "pregnant_members": _l("Anggota yang hamil"),
}
# How a fact reads when it is false, where "Tidak ..." would read badly.
FALSE_LABELS = {
    "house_uninhabitable": _l("Rumah layak huni"),
    "data_update_requested": _l("Data DTSEN tidak perlu diperbarui"),
    "in_dtsen": _l("Belum terdaftar di DTSEN"),
}
_MEMBERS = _l("lengkapi data anggota keluarga (tanggal lahir, sekolah, kehamilan)")
_PROGRAMMES = _l("cek kepesertaan program di DTSEN")
FACT_HINTS = {
    "age": _l("isi tanggal lahir"),
    "sex": _l("isi jenis kelamin"),
    "has_nik": _l("tanyakan NIK"),
    "pregnant": _l("tanyakan apakah sedang hamil"),
    "disability": _l("tanyakan disabilitas"),
    "in_school": _l("tanyakan status sekolah"),
    "in_dtsen": _l("cek DTSEN"),
    "desil": _l("cek DTSEN"),
    "programmes": _PROGRAMMES,
    "programme_count": _PROGRAMMES,
    "receives_pkh": _PROGRAMMES,
    "receives_bpnt": _PROGRAMMES,
    "receives_pbi_jk": _PROGRAMMES,
    "receives_pip": _PROGRAMMES,
    "house_uninhabitable": _l("perlu verifikasi lapangan (verval)"),
    "data_update_requested": _l("tanyakan apakah data keluarga berubah"),
}
RESULT_LABELS = {
    "eligible": _l("Memenuhi syarat"),
    "unknown": _l("Perlu data tambahan"),
    "not_eligible": _l("Tidak memenuhi syarat"),
}
DISABILITY_VALUES = {
    "none": _l("tidak ada"),
    "mild": _l("ringan"),
    "moderate": _l("sedang"),
    "severe": _l("berat"),
}


def fact_label(name: str) -> str:
    return str(FACT_LABELS.get(name, name))


def _value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return _("ya") if value else _("tidak")
    if isinstance(value, Decimal | float):
        value = int(value) if value == int(value) else value
    if isinstance(value, list | tuple):
        return ", ".join(value) if value else _("tidak ada")
    if name == "disability":
        return str(DISABILITY_VALUES.get(value, value))
    return str(value)


def describe_fact(name: str, value: Any) -> str:
    """How a known fact reads: "Desil 3", "Terdaftar di DTSEN", "Tidak punya NIK"."""
    if value is True:
        return fact_label(name)
    if value is False:
        if name in FALSE_LABELS:
            return str(FALSE_LABELS[name])
        label = fact_label(name)
        return _("Tidak %(what)s", what=label[:1].lower() + label[1:])
    if isinstance(value, list | tuple | str):
        return _("%(label)s: %(value)s", label=fact_label(name), value=_value(name, value))
    return _("%(label)s %(value)s", label=fact_label(name), value=_value(name, value))


def criterion_reason(outcome: CriterionOutcome) -> str:
    """Why this criterion is met, not met, or open, in one short sentence."""
    if outcome.result is None:
        return "; ".join(
            _(
                "%(label)s belum diketahui: %(hint)s",
                label=fact_label(name),
                hint=FACT_HINTS.get(name, _MEMBERS),
            )
            for name in outcome.missing
        )
    values = ", ".join(describe_fact(name, value) for name, value in outcome.values.items())
    if outcome.result:
        return _("%(values)s: terpenuhi", values=values) if values else _("Terpenuhi")
    return _("%(values)s: tidak terpenuhi", values=values) if values else _("Tidak terpenuhi")


def summary(suggestion: Suggestion) -> str:
    """The reason stored on a draft referral: the result and each criterion's outcome."""
    parts = [str(RESULT_LABELS[suggestion.result])]
    if suggestion.prerequisite_of:
        parts.append(_("syarat untuk %(code)s (warga belum punya NIK)", code=suggestion.prerequisite_of))
    parts.extend(f"{c.name}: {criterion_reason(c)}" for c in suggestion.criteria)
    if not suggestion.criteria:
        parts.append(_("tanpa kriteria khusus"))
    return ". ".join(parts) + "."


def warning_text(warning: RoutingWarning, village_code: str | None = None) -> str:
    if warning.kind == "no_service":
        return _("Belum ada layanan aktif untuk kebutuhan %(need)s.", need=warning.need)
    return _(
        "Belum ada lembaga penerima untuk layanan %(service)s di wilayah %(region)s: atur tabel rujukan.",
        service=warning.service_code,
        region=village_code or "-",
    )
