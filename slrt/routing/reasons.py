"""Reasons for the engine's outcomes, as codes with values, rendered as sentences when shown.

A `Reason` is a code ("criterion.met", "unknown.desil", "prerequisite.no_nik") and the values it
needs; `render` turns it into a sentence in the reader's language (Indonesian or English), so
the desk page, the API, the stored referral and the letter all say the same thing, and a reason
stored today reads well in either language later. Criterion names come from the directory in
both languages (Criterion.name and name_en: an administrator edits them with the criterion).

Every code has its sentence in both languages in SENTENCES; tests render every code the seed
catalogue can produce and fail on a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from slrt.routing.engine import CriterionOutcome, RoutingWarning, Suggestion
from slrt.routing.facts import COUNT_FACTS, PROGRAMME_FACTS, Interval

LANGUAGES = ("id", "en")

FACT_LABELS = {
    "age": _l("Usia"),
    "sex": _l("Jenis kelamin"),
    "has_nik": _l("Punya NIK"),
    "pregnant": _l("Sedang hamil"),
    "disability": _l("Disabilitas"),
    "in_school": _l("Sedang sekolah"),
    "finished_school": _l("Sudah tamat 12 tahun sekolah"),
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
RESULT_LABELS = {
    "eligible": _l("Memenuhi syarat"),
    "unknown": _l("Perlu data tambahan"),
    "not_eligible": _l("Tidak memenuhi syarat"),
}

_PROGRAMMES_UNKNOWN = (
    "Belum dicek program apa saja yang sudah diterima keluarga.",
    "Not yet checked which programmes the family already receives.",
)
_MEMBERS_UNKNOWN = (
    "Data anggota keluarga belum lengkap (tanggal lahir, sekolah, kehamilan), jadi jumlahnya belum pasti.",
    "The household members' data is incomplete (birth dates, schooling, pregnancy),"
    " so the count is not certain.",
)
_SCHOOL_UNKNOWN = ("Status sekolahnya belum dicatat.", "Schooling has not been recorded.")

# code -> (Indonesian, English). Values are filled in with str.format.
SENTENCES: dict[str, tuple[str, str]] = {
    # a criterion's outcome
    "criterion.met": ("{facts}, jadi syarat “{criterion}” terpenuhi.", "{facts}, so “{criterion}” is met."),
    "criterion.not_met": (
        "{facts}, jadi syarat “{criterion}” tidak terpenuhi.",
        "{facts}, so “{criterion}” is not met.",
    ),
    "criterion.met_plain": ("Syarat “{criterion}” terpenuhi.", "“{criterion}” is met."),
    "criterion.not_met_plain": ("Syarat “{criterion}” tidak terpenuhi.", "“{criterion}” is not met."),
    # why a criterion is still open: one sentence per missing fact
    "unknown.age": (
        "Tanggal lahir belum dicatat, jadi usianya belum diketahui.",
        "No birth date has been recorded, so the age is not known.",
    ),
    "unknown.age_interval": (
        "Hanya tahun lahir yang diketahui (usia {low}-{high} tahun), jadi syarat usia ini belum pasti.",
        "Only the birth year is known (aged {low}-{high}), so this age condition is not certain yet.",
    ),
    "unknown.sex": ("Jenis kelamin belum dicatat.", "Sex has not been recorded."),
    "unknown.has_nik": (
        "Belum ditanyakan apakah warga punya NIK.",
        "Nobody has asked yet whether the person has a NIK.",
    ),
    "unknown.pregnant": (
        "Belum ditanyakan apakah sedang hamil.",
        "Nobody has asked yet whether she is pregnant.",
    ),
    "unknown.disability": (
        "Belum ditanyakan apakah ada disabilitas.",
        "Nobody has asked yet about a disability.",
    ),
    "unknown.in_school": _SCHOOL_UNKNOWN,
    "unknown.finished_school": _SCHOOL_UNKNOWN,
    "unknown.in_dtsen": (
        "Belum dicek apakah keluarga terdaftar di DTSEN.",
        "Not yet checked whether the family is registered in DTSEN.",
    ),
    "unknown.desil": (
        "Belum dicek di DTSEN, jadi desilnya belum diketahui.",
        "Not yet checked in DTSEN, so the decile is not known.",
    ),
    "unknown.programmes": _PROGRAMMES_UNKNOWN,
    "unknown.programme_count": _PROGRAMMES_UNKNOWN,
    **{f"unknown.receives_{c.lower().replace('-', '_')}": _PROGRAMMES_UNKNOWN for c in PROGRAMME_FACTS},
    "unknown.house_uninhabitable": (
        "Kondisi rumah belum diverifikasi di lapangan (verval).",
        "The house has not been verified on a home visit (verval).",
    ),
    "unknown.data_update_requested": (
        "Belum ditanyakan apakah data keluarga berubah.",
        "Nobody has asked yet whether the family's data has changed.",
    ),
    **{f"unknown.{name}": _MEMBERS_UNKNOWN for name in COUNT_FACTS},
    # a service's place among the others
    "prerequisite.no_nik": (
        "Belum punya NIK: urus KTP dan KK dulu agar {services} dapat diusulkan.",
        "No NIK yet: get the KTP and KK done first so that {services} can be proposed.",
    ),
    "waits.nik": (
        "Menunggu dokumen kependudukan: {service} diusulkan setelah NIK terbit.",
        "Waiting for identity documents: {service} is proposed once the NIK is issued.",
    ),
    "received": ("Keluarga sudah menerima {service}.", "The family already receives {service}."),
    "no_criteria": ("Layanan ini tanpa syarat khusus.", "This service has no particular conditions."),
    "result.eligible": ("Memenuhi syarat.", "Eligible."),
    "result.unknown": ("Perlu data tambahan.", "More information is needed."),
    "result.not_eligible": ("Tidak memenuhi syarat.", "Not eligible."),
}

# How a known fact reads inside a criterion sentence: code -> (Indonesian, English).
FACT_PHRASES: dict[str, tuple[str, str]] = {
    "age": ("usia {value} tahun", "aged {value}"),
    "age.interval": ("usia sekitar {low}-{high} tahun", "aged about {low}-{high}"),
    "sex.L": ("laki-laki", "male"),
    "sex.P": ("perempuan", "female"),
    "has_nik.true": ("punya NIK", "has a NIK"),
    "has_nik.false": ("belum punya NIK", "has no NIK"),
    "pregnant.true": ("sedang hamil", "pregnant"),
    "pregnant.false": ("tidak sedang hamil", "not pregnant"),
    "disability.none": ("tanpa disabilitas", "no disability"),
    "disability.mild": ("disabilitas ringan", "a mild disability"),
    "disability.moderate": ("disabilitas sedang", "a moderate disability"),
    "disability.severe": ("disabilitas berat", "a severe disability"),
    "in_school.true": ("sedang sekolah", "in school"),
    "in_school.false": ("tidak sedang sekolah", "not in school"),
    "finished_school.true": ("sudah tamat 12 tahun sekolah", "has finished 12 years of school"),
    "finished_school.false": ("belum tamat 12 tahun sekolah", "has not finished 12 years of school"),
    "in_dtsen.true": ("terdaftar di DTSEN", "registered in DTSEN"),
    "in_dtsen.false": ("belum terdaftar di DTSEN", "not registered in DTSEN"),
    "desil": ("desil {value}", "decile {value}"),
    "programmes": ("program yang diterima: {value}", "programmes received: {value}"),
    "programmes.none": ("belum menerima program apa pun", "receives no programme"),
    "programme_count": ("menerima {value} program", "receives {value} programme(s)"),
    **{
        f"receives_{c.lower().replace('-', '_')}.true": (f"sudah menerima {c}", f"already receives {c}")
        for c in PROGRAMME_FACTS
    },
    **{
        f"receives_{c.lower().replace('-', '_')}.false": (f"belum menerima {c}", f"does not receive {c}")
        for c in PROGRAMME_FACTS
    },
    "house_uninhabitable.true": ("rumah tidak layak huni", "the house is unfit to live in"),
    "house_uninhabitable.false": ("rumah layak huni", "the house is fit to live in"),
    "data_update_requested.true": ("data DTSEN perlu diperbarui", "the DTSEN data needs an update"),
    "data_update_requested.false": ("data DTSEN tidak perlu diperbarui", "the DTSEN data needs no update"),
    "household_size": ("{value} orang dalam keluarga", "{value} people in the family"),
    "children_under_6": ("{value} anak di bawah 6 tahun", "{value} child(ren) under 6"),
    "school_age_in_school": (
        "{value} anak 6-21 tahun yang sekolah",
        "{value} child(ren) aged 6-21 in school",
    ),
    "school_age_not_in_school": (
        "{value} anak 6-21 tahun yang tidak sekolah",
        "{value} child(ren) aged 6-21 out of school",
    ),
    "school_age_not_finished": (
        "{value} anak 6-21 tahun belum tamat 12 tahun",
        "{value} child(ren) aged 6-21 who have not finished 12 years of school",
    ),
    "members_60_plus": ("{value} anggota usia 60+", "{value} member(s) aged 60+"),
    "members_70_plus": ("{value} anggota usia 70+", "{value} member(s) aged 70+"),
    "severe_disability_members": (
        "{value} anggota disabilitas berat",
        "{value} member(s) with a severe disability",
    ),
    "pregnant_members": ("{value} anggota yang hamil", "{value} pregnant member(s)"),
}
_AND = {"id": " dan ", "en": " and "}


@dataclass(frozen=True)
class Reason:
    """A reason as stored: a code and its values (JSON-friendly)."""

    code: str
    values: dict[str, Any] = field(default_factory=dict)

    def as_data(self) -> dict[str, Any]:
        return {"code": self.code, "values": self.values}


def language(lang: str | None = None) -> str:
    """The reader's language: `lang` when given, else the request's locale, else Indonesian."""
    if lang in LANGUAGES:
        return lang
    try:
        from flask_babel import get_locale

        locale = get_locale()
    except Exception:  # outside a request or app context
        locale = None
    return "en" if locale is not None and locale.language == "en" else "id"


def fact_label(name: str) -> str:
    return str(FACT_LABELS.get(name, name))


def _number(value: Any) -> Any:
    if isinstance(value, Decimal | float) and value == int(value):
        return int(value)
    return value


def fact_phrase_codes(name: str, value: Any) -> tuple[str, dict[str, Any]]:
    """The FACT_PHRASES key and its values for a known fact."""
    if isinstance(value, Interval):
        return f"{name}.interval", {"low": value.low, "high": value.high}
    if isinstance(value, bool):
        return f"{name}.{'true' if value else 'false'}", {}
    if name in ("sex", "disability"):
        return f"{name}.{value}", {}
    if isinstance(value, list | tuple):
        return ("programmes", {"value": ", ".join(value)}) if value else ("programmes.none", {})
    return name, {"value": _number(value)}


def _fact_phrase(name: str, value: Any, lang: str) -> str:
    code, values = fact_phrase_codes(name, value)
    if code not in FACT_PHRASES and code.endswith(".interval"):
        code, values = name, {"value": f"{values['low']}-{values['high']}"}
    pair = FACT_PHRASES.get(code)
    if pair is None:  # a fact without its phrase (should not happen: tests render them all)
        return f"{fact_label(name)} {values.get('value', value)}"
    return pair[lang == "en"].format(**values)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def criterion_reasons(outcome: CriterionOutcome) -> list[Reason]:
    """Why this criterion is met, not met or open: one reason, or one per missing fact."""
    if outcome.result is None:
        out = []
        for name in outcome.missing:
            value = outcome.values.get(name)
            if isinstance(value, Interval):
                out.append(Reason(f"unknown.{name}_interval", {"low": value.low, "high": value.high}))
            else:
                out.append(Reason(f"unknown.{name}"))
        return out
    names = {"criterion": outcome.name, "criterion_en": outcome.name_en or outcome.name}
    facts = [{"fact": n, "value": _jsonable(v)} for n, v in outcome.values.items() if v is not None]
    if outcome.result:
        # "A or B or C" met: name what made it so, not the members counted as none.
        counted = [f for f in facts if not (f["fact"] in COUNT_FACTS and f["value"] == 0)]
        facts = counted or facts
    state = "met" if outcome.result else "not_met"
    if not facts:
        return [Reason(f"criterion.{state}_plain", names)]
    return [Reason(f"criterion.{state}", {**names, "facts": facts})]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Interval):
        return {"low": value.low, "high": value.high}
    if isinstance(value, Decimal):
        return _number(value) if value == int(value) else float(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"low", "high"}:
        return Interval(value["low"], value["high"])
    return value


def suggestion_reasons(suggestion: Suggestion) -> list[Reason]:
    """Everything said about a suggestion: its place (prerequisite, waiting, received), then each
    criterion's outcome, in that order."""
    out: list[Reason] = [Reason(f"result.{suggestion.result}")]
    if suggestion.prerequisite_of:
        out.append(Reason("prerequisite.no_nik", {"services": list(suggestion.prerequisite_of)}))
    if suggestion.waits_for:
        out.append(Reason("waits.nik", {"service": suggestion.service.code}))
    if suggestion.received:
        out.append(Reason("received", {"service": suggestion.service.code}))
    for outcome in suggestion.criteria:
        out.extend(criterion_reasons(outcome))
    if not suggestion.criteria:
        out.append(Reason("no_criteria"))
    return out


def _join(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + _AND[lang] + items[-1]


def _facts_text(facts: list[dict[str, Any]], lang: str) -> str:
    """The facts a criterion's outcome rests on, as one phrase ("Desil 3 dan usia 74 tahun")."""
    return _join([_fact_phrase(f["fact"], _from_json(f["value"]), lang) for f in facts], lang)


def render(reason: Reason | dict[str, Any], lang: str | None = None) -> str:
    """The reason as a sentence in `lang` (default: the reader's language)."""
    if isinstance(reason, dict):
        reason = Reason(reason["code"], dict(reason.get("values") or {}))
    lang = language(lang)
    pair = SENTENCES[reason.code]
    values = dict(reason.values)
    if "criterion" in values:
        values["criterion"] = values["criterion_en"] if lang == "en" else values["criterion"]
    if "facts" in values:
        values["facts"] = _capital(_facts_text(values["facts"], lang))
    if "services" in values:
        values["services"] = _join(list(values["services"]), lang)
    return pair[lang == "en"].format(**values)


def render_all(reasons: list[Reason] | list[dict[str, Any]], lang: str | None = None) -> str:
    """Several reasons as one paragraph: whole sentences, each once, in order."""
    sentences = [render(r, lang) for r in reasons]
    return " ".join(dict.fromkeys(sentences))


def criterion_reason(outcome: CriterionOutcome, lang: str | None = None) -> str:
    """Why this criterion is met, not met, or open, in the reader's language."""
    return render_all(criterion_reasons(outcome), lang)


def summary(suggestion: Suggestion, lang: str | None = "id") -> str:
    """The reason text stored on a draft referral (and printed on the letter): whole sentences,
    none saying a criterion's name twice."""
    lang = language(lang)
    return render_all([_without_echo(r, lang) for r in suggestion_reasons(suggestion)], lang)


# An open criterion's line: its name, then why it is open, in whole sentences.
_OPEN_LINE = ("Syarat “{criterion}” belum pasti. {why}", "“{criterion}” is not certain yet. {why}")


def _without_echo(reason: Reason, lang: str) -> Reason:
    """The plain sentence when the facts read as the criterion's own name: "Terdaftar di DTSEN,
    jadi syarat “Terdaftar di DTSEN” terpenuhi." says it twice."""
    if reason.code not in ("criterion.met", "criterion.not_met"):
        return reason
    values = reason.values
    name = values["criterion_en"] if lang == "en" else values["criterion"]
    if _facts_text(values["facts"], lang).casefold() != str(name).casefold():
        return reason
    return Reason(f"{reason.code}_plain", {k: v for k, v in values.items() if k != "facts"})


def criterion_line(outcome: CriterionOutcome, lang: str | None = None) -> str:
    """The line shown for a criterion on the route page: a met or unmet criterion's reason
    names it already (never twice); an open one is named, then why it is open."""
    lang = language(lang)
    if outcome.result is not None:
        return render_all([_without_echo(r, lang) for r in criterion_reasons(outcome)], lang)
    why = criterion_reason(outcome, lang)
    return _OPEN_LINE[lang == "en"].format(criterion=criterion_label(outcome, lang), why=why)


def criterion_label(outcome: CriterionOutcome, lang: str | None = None) -> str:
    return (outcome.name_en or outcome.name) if language(lang) == "en" else outcome.name


def warning_text(warning: RoutingWarning, village_code: str | None = None) -> str:
    if warning.kind == "no_service":
        return _("Belum ada layanan aktif untuk kebutuhan %(need)s.", need=warning.need)
    return _(
        "Belum ada lembaga penerima untuk layanan %(service)s di wilayah %(region)s: atur tabel rujukan.",
        service=warning.service_code,
        region=village_code or "-",
    )
