"""The engine over a whole household (issue 16): household screening of every seed programme
for every member, one prerequisite per person (waits_for / prerequisite_of), ages known only as
an interval under Kleene logic, and every reason of the seed catalogue as a sentence in
Indonesian and English. Plain Python: no database, no request."""

from __future__ import annotations

import json
from datetime import date

import pytest

from slrt.directory.catalog import DEFAULT_PATH, service_specs
from slrt.routing import reasons
from slrt.routing.engine import (
    BASIS_HOUSEHOLD,
    BASIS_NEED,
    SELF,
    CriterionOutcome,
    Directory,
    Subject,
    evaluate_criterion,
    route,
    suggest,
)
from slrt.routing.expressions import compile_expression
from slrt.routing.facts import FACT_TYPES, HouseholdData, Interval, PersonData, between, build_facts
from tests.test_routing_engine import NOTHING

CATALOG = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory(service_specs(CATALOG))


def finds(result, person=None):
    return {
        s.service.code: s
        for s in result.suggestions
        if s.basis == BASIS_HOUSEHOLD and (person is None or s.person == person)
    }


# -- household screening: every screened seed programme, found for the member concerned -----

# programme -> (facts of the member it concerns, that member's index or "self")
HOUSEHOLD_CASES = {
    "PKH": ({"desil": 3, "members_70_plus": 1}, SELF),
    "BPNT": ({"desil": 5}, SELF),
    "PBI-JK": ({"desil": 5}, SELF),
    "PIP": ({"desil": 4, "age": 10, "finished_school": False}, 1),
    "ATENSI-LANSIA": ({"age": 74}, 0),
    "ATENSI-DISABILITAS": ({"disability": "severe"}, 2),
    "DTSEN-USULAN": ({"in_dtsen": False}, SELF),
    "RUTILAHU": ({"house_uninhabitable": True, "desil": 2}, SELF),
}


def test_every_screened_seed_programme_has_a_household_case():
    screened = {s["code"] for s in CATALOG["services"] if s["criteria"] and s.get("screen", True)}
    assert screened == set(HOUSEHOLD_CASES)


@pytest.mark.parametrize("code", sorted(HOUSEHOLD_CASES))
def test_household_screening_finds_the_programme_for_the_member_concerned(directory, code):
    changed, who = HOUSEHOLD_CASES[code]
    # Household facts apply to everyone; personal ones only to the member concerned.
    personal = {k: v for k, v in changed.items() if k in ("age", "disability", "finished_school")}
    shared = {k: v for k, v in changed.items() if k not in personal}
    base = {**NOTHING, **shared}
    members = [dict(base) for _ in range(3)]
    me = dict(base)
    if who == SELF:
        me.update(personal)
    else:
        members[who].update(personal)
    result = suggest(directory, ["informasi"], me, None, members)
    found = [s for s in result.suggestions if s.service.code == code]
    assert [(s.basis, s.person, s.need, s.result) for s in found] == [
        (BASIS_HOUSEHOLD, who, None, "eligible")
    ]


@pytest.mark.parametrize("code", sorted(HOUSEHOLD_CASES))
def test_household_screening_leaves_out_what_does_not_fit(directory, code):
    members = [dict(NOTHING) for _ in range(3)]
    result = suggest(directory, ["informasi"], dict(NOTHING), None, members)
    assert code not in finds(result)


def test_services_that_answer_a_situation_are_not_screened(directory):
    # ATENSI-ANAK (a neglected child), a delivery complaint, emergency zakat, livelihood: only
    # when the need is named, however well the facts fit.
    facts = {**NOTHING, "age": 10, "desil": 2, "programme_count": 1, "programmes": ["BPNT"]}
    result = suggest(directory, ["informasi"], facts, None, [])
    assert not {"ATENSI-ANAK", "BANSOS-ADUAN", "BAZNAS", "KUBE"} & set(finds(result))


def test_named_needs_come_first_and_a_programme_appears_once_per_person(directory):
    facts = {**NOTHING, "desil": 3, "children_under_6": 1, "age": 30}
    result = suggest(directory, ["ibu_hamil_balita", "pendidikan", "lansia"], facts, None, [])
    pkh = [s for s in result.suggestions if s.service.code == "PKH"]
    assert [(s.basis, s.need) for s in pkh] == [(BASIS_NEED, "ibu_hamil_balita")]


def test_a_household_level_programme_is_screened_once_not_per_member(directory):
    members = [{**NOTHING, "desil": 5} for _ in range(5)]
    result = suggest(directory, ["informasi"], {**NOTHING, "desil": 5}, None, members)
    assert [s.person for s in result.suggestions if s.service.code == "BPNT"] == [SELF]


def test_programmes_already_received_are_shown_as_received(directory):
    facts = {**NOTHING, "desil": 3, "programmes": ["BPNT"], "programme_count": 1, "receives_bpnt": True}
    bpnt = finds(suggest(directory, ["informasi"], facts, None, []))["BPNT"]
    assert bpnt.received and bpnt.result == "not_eligible"
    assert reasons.render(reasons.Reason("received", {"service": "BPNT"}), "id") in reasons.summary(bpnt)


# -- one prerequisite per person ---------------------------------------------------------------


def test_one_adminduk_per_person_listing_every_service_that_waits(directory):
    widow = {**NOTHING, "has_nik": False, "age": 74, "desil": 3, "members_70_plus": 1}
    grandson = {**NOTHING, "has_nik": False, "age": 10, "finished_school": False, "desil": 3}
    result = suggest(directory, ["pangan", "kesehatan.jaminan", "rumah"], widow, None, [grandson])
    admins = [s for s in result.suggestions if s.service.code == "ADMINDUK"]
    assert [(s.person, s.prerequisite_of) for s in admins] == [
        (SELF, ["BPNT", "PBI-JK", "PKH"]),  # RUTILAHU: the house is fit to live in
        (0, ["PIP"]),
    ]
    waiting = {(s.service.code, s.person) for s in result.suggestions if s.waits_for}
    assert waiting == {("BPNT", SELF), ("PBI-JK", SELF), ("PKH", SELF), ("PIP", 0)}
    assert all(s.waits_for == ["ADMINDUK"] for s in result.suggestions if s.waits_for)
    # The other way round: a service that does not need a NIK never waits.
    lansia = next(s for s in result.suggestions if s.service.code == "ATENSI-LANSIA")
    assert lansia.waits_for == [] and lansia.result == "eligible"


def test_every_nik_service_is_judged_as_if_the_nik_were_there(directory):
    nik_services = [s for s in directory.services.values() if s.needs_nik]
    assert {s.code for s in nik_services} >= {"PKH", "BPNT", "PBI-JK", "PIP", "RUTILAHU", "KUBE"}
    eligible = {
        "PKH": {"desil": 3, "children_under_6": 1},
        "BPNT": {"desil": 5},
        "PBI-JK": {"desil": 5},
        "PIP": {"desil": 4, "age": 10, "finished_school": False},
        "RUTILAHU": {"house_uninhabitable": True, "desil": 4},
        "KUBE": {"desil": 4, "age": 30},
    }
    for service in nik_services:
        facts = {**NOTHING, **eligible[service.code], "has_nik": False}
        result = suggest(directory, [service.needs[0]], facts, None)
        s = next(s for s in result.suggestions if s.service.code == service.code)
        assert (s.result, s.waits_for) == ("eligible", ["ADMINDUK"]), service.code
        (admin,) = [a for a in result.suggestions if a.service.code == "ADMINDUK"]
        assert service.code in admin.prerequisite_of


def test_a_named_adminduk_need_is_the_prerequisite_itself(directory):
    facts = {**NOTHING, "has_nik": False, "desil": 3}
    result = suggest(directory, ["adminduk", "pangan"], facts, None)
    (admin,) = [s for s in result.suggestions if s.service.code == "ADMINDUK"]
    assert admin.basis == BASIS_NEED and admin.need == "adminduk" and admin.prerequisite_of == ["BPNT"]


def test_no_wait_when_out_of_reach_even_with_a_nik(directory):
    result = suggest(directory, ["pangan"], {**NOTHING, "has_nik": False, "desil": 8}, None)
    assert not any(s.waits_for or s.prerequisite_of for s in result.suggestions)


def test_subjects_named_by_person_id(directory):
    a = Subject(11, {**NOTHING, "has_nik": False, "desil": 3}, ["pangan"])
    b = Subject(12, {**NOTHING, "age": 65}, [])
    result = route(directory, [a, b], None)
    assert {(s.service.code, s.person) for s in result.suggestions} >= {
        ("BPNT", 11),
        ("ADMINDUK", 11),
        ("ATENSI-LANSIA", 12),
    }


# -- ages as intervals ---------------------------------------------------------------------------


def person(**kwargs):
    return PersonData(sex="P", disability="none", nik="3204050101500001", **kwargs)


def test_a_birth_year_gives_an_age_interval():
    facts = build_facts(person(birth_date=date(1956, 7, 1), birth_precision="year"), None, today=TODAY)
    assert facts["age"] == Interval(69, 70)
    about = build_facts(person(birth_date=date(1950, 7, 1), birth_precision="about"), None, today=TODAY)
    assert about["age"].low >= 70
    exact = build_facts(person(birth_date=date(1956, 7, 1)), None, today=TODAY)
    assert exact["age"] == 70


def outcome(expression: str, facts: dict) -> CriterionOutcome:
    from slrt.routing.engine import CriterionSpec

    return evaluate_criterion(CriterionSpec("c", expression), compile_expression(expression), facts)


def test_interval_ages_under_kleene_logic():
    born_1956 = {"age": Interval(69, 70)}
    assert outcome("age >= 60", born_1956).result is True
    open_70 = outcome("age >= 70", born_1956)
    assert open_70.result is None and open_70.missing == ("age",)
    assert outcome("age < 18", born_1956).result is False
    # unknown AND false is false; unknown OR true is true
    assert outcome("age >= 70 and desil <= 4", {**born_1956, "desil": 8}).result is False
    assert outcome("age >= 70 or desil <= 4", {**born_1956, "desil": 3}).result is True
    assert outcome("age >= 70 and desil <= 4", {**born_1956, "desil": 3}).result is None
    born_about_1950 = build_facts(
        person(birth_date=date(1950, 7, 1), birth_precision="about"), None, today=TODAY
    )
    assert outcome("age >= 70", born_about_1950).result is True


def test_interval_ages_in_household_counts():
    widow = person(birth_date=date(1950, 7, 1), birth_precision="about")
    facts = build_facts(widow, HouseholdData(), [], today=TODAY)
    assert facts["members_70_plus"] == 1 and facts["pregnant_members"] == 0
    born_1956 = person(birth_date=date(1956, 7, 1), birth_precision="year")
    facts = build_facts(born_1956, HouseholdData(), [], today=TODAY)
    assert facts["members_60_plus"] == 1 and facts["members_70_plus"] is None


def test_between_is_three_valued():
    assert between(Interval(69, 70), 60, None) is True
    assert between(Interval(69, 70), 70, None) is None
    assert between(Interval(69, 70), 0, 17) is False
    assert between(None, 0, 17) is None and between(5, 6, 21) is False


def test_an_interval_age_reads_as_a_sentence():
    (reason,) = reasons.criterion_reasons(outcome("age >= 70", {"age": Interval(69, 70)}))
    assert reasons.render(reason, "id") == (
        "Hanya tahun lahir yang diketahui (usia 69-70 tahun), jadi syarat usia ini belum pasti."
    )
    met = outcome("age >= 60", {"age": Interval(69, 70)})
    assert "usia sekitar 69-70 tahun" in reasons.render_all(reasons.criterion_reasons(met), "id").lower()


# -- reasons in sentences, in both languages -----------------------------------------------------


def every_reason_of_the_seed_catalogue(directory: Directory) -> list[reasons.Reason]:
    """Every reason the seed catalogue can produce: each criterion met, not met and open (each
    missing fact, and an age interval), each known value of each fact it reads, and the
    prerequisite, waiting, received, no-criteria and result reasons."""
    out = [
        reasons.Reason("prerequisite.no_nik", {"services": ["BPNT", "PBI-JK", "RUTILAHU"]}),
        reasons.Reason("waits.nik", {"service": "BPNT"}),
        reasons.Reason("received", {"service": "PKH"}),
        reasons.Reason("no_criteria"),
        *(reasons.Reason(f"result.{r}") for r in ("eligible", "unknown", "not_eligible")),
    ]
    for service in directory.services.values():
        for spec, compiled in zip(service.criteria, directory.compiled[service.code], strict=True):
            assert spec.name_en, f"{service.code}: criterion {spec.name!r} has no English name"
            for name in compiled.facts:
                out.append(reasons.Reason(f"unknown.{name}"))
                if name == "age":
                    out.append(reasons.Reason("unknown.age_interval", {"low": 69, "high": 70}))
            for values in _known_values(compiled.facts):
                for state in ("met", "not_met"):
                    facts = [{"fact": n, "value": reasons._jsonable(v)} for n, v in values.items()]
                    out.append(
                        reasons.Reason(
                            f"criterion.{state}",
                            {"criterion": spec.name, "criterion_en": spec.name_en, "facts": facts},
                        )
                    )
            out.append(
                reasons.Reason("criterion.met_plain", {"criterion": spec.name, "criterion_en": spec.name_en})
            )
    return out


def _known_values(facts: tuple[str, ...]) -> list[dict]:
    samples = {
        "age": [10, Interval(69, 70)],
        "sex": ["L", "P"],
        "disability": ["none", "mild", "moderate", "severe"],
        "desil": [3],
        "programmes": [[], ["BPNT"]],
    }
    rows = []
    for name in facts:
        kind = FACT_TYPES[name].name
        for value in samples.get(name, [True, False] if kind == "BOOLEAN" else [2]):
            rows.append({name: value})
    return rows


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_reason_of_the_seed_catalogue_renders_as_a_sentence(directory, lang):
    for reason in every_reason_of_the_seed_catalogue(directory):
        assert reason.code in reasons.SENTENCES, f"no sentence for {reason.code}"
        for value in reason.values.get("facts", []):
            code, _ = reasons.fact_phrase_codes(value["fact"], reasons._from_json(value["value"]))
            assert code in reasons.FACT_PHRASES, f"no phrase for {code}"
        text = reasons.render(reason, lang)
        assert text[0].isupper() or text[0].isdigit() or text[0] == "“", text
        assert text.endswith("."), text
        assert ". syarat" not in text and ": terpenuhi" not in text, text  # no joined fragments
        assert "{" not in text, text
        if lang == "en":
            assert " jadi " not in text and "belum" not in text.lower(), text


def test_the_two_example_sentences_of_the_issue():
    assert reasons.render(reasons.Reason("prerequisite.no_nik", {"services": ["BPNT"]}), "id") == (
        "Belum punya NIK: urus KTP dan KK dulu agar BPNT dapat diusulkan."
    )
    assert reasons.render(reasons.Reason("unknown.desil"), "id") == (
        "Belum dicek di DTSEN, jadi desilnya belum diketahui."
    )
    assert reasons.render(reasons.Reason("unknown.desil"), "en") == (
        "Not yet checked in DTSEN, so the decile is not known."
    )


def test_a_summary_is_whole_sentences_in_the_language_asked(directory):
    facts = {**NOTHING, "has_nik": False, "desil": 3}
    result = suggest(directory, ["pangan"], facts, None)
    bpnt = next(s for s in result.suggestions if s.service.code == "BPNT")
    assert reasons.summary(bpnt, "id") == (
        "Memenuhi syarat. Menunggu dokumen kependudukan: BPNT diusulkan setelah NIK terbit."
        " Syarat “Terdaftar di DTSEN” terpenuhi."
        " Desil 3, jadi syarat “Desil paling tinggi 5” terpenuhi."
        " Syarat “Belum menerima BPNT” terpenuhi."
    )
    assert reasons.summary(bpnt, "en").startswith(
        "Eligible. Waiting for identity documents: BPNT is proposed once the NIK is issued."
        " “Registered in DTSEN” is met. Decile 3, so “Decile 5 or lower” is met."
    )
