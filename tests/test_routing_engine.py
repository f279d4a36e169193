"""The routing engine on the seed catalogue: every programme's criteria with an eligible, a
not-eligible and an unknown household; three-valued logic; NIK prerequisite; agency choice;
order; warnings. Plain Python: no database, no request."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slrt.directory.catalog import DEFAULT_PATH, service_specs
from slrt.routing.engine import (
    AgencySpec,
    Directory,
    RuleSpec,
    ServiceSpec,
    combine,
    suggest,
)
from slrt.routing.facts import FACT_TYPES

CATALOG = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
VILLAGE = "32.04.05.2001"

# A household about which everything is known and nothing qualifies: each case below changes
# only what its programme looks at.
NOTHING = {
    "age": 40,
    "sex": "L",
    "has_nik": True,
    "pregnant": False,
    "disability": "none",
    "in_school": None,
    "finished_school": None,
    "in_dtsen": True,
    "desil": 8,
    "programmes": [],
    "programme_count": 0,
    "receives_pkh": False,
    "receives_bpnt": False,
    "receives_pbi_jk": False,
    "receives_pip": False,
    "house_uninhabitable": False,
    "data_update_requested": False,
    "household_size": 1,
    "children_under_6": 0,
    "school_age_in_school": 0,
    "school_age_not_in_school": 0,
    "school_age_not_finished": 0,
    "members_60_plus": 0,
    "members_70_plus": 0,
    "severe_disability_members": 0,
    "pregnant_members": 0,
}
assert set(NOTHING) == set(FACT_TYPES)

# service -> (eligible facts, not eligible facts, unknown facts, missing facts named)
CASES = {
    "PKH": (
        {"desil": 3, "children_under_6": 1},
        {"desil": 3, "children_under_6": 1, "receives_pkh": True},
        {"desil": None, "members_70_plus": 1},
        ["desil"],
    ),
    "BPNT": ({"desil": 5}, {"desil": 6}, {"desil": 5, "in_dtsen": None}, ["in_dtsen"]),
    "PBI-JK": ({"desil": 5}, {"desil": 6}, {"desil": None}, ["desil"]),
    "PIP": (
        {"age": 10, "finished_school": False, "desil": 4},
        {"age": 10, "finished_school": False, "desil": 7},
        {"age": 16, "finished_school": False, "desil": None, "receives_pkh": None},
        ["desil", "receives_pkh"],
    ),
    "ATENSI-LANSIA": ({"age": 60}, {"age": 59}, {"age": None}, ["age"]),
    "ATENSI-DISABILITAS": (
        {"disability": "mild"},
        {"disability": "none"},
        {"disability": None},
        ["disability"],
    ),
    "ATENSI-ANAK": ({"age": 17}, {"age": 18}, {"age": None}, ["age"]),
    "DTSEN-USULAN": (
        {"in_dtsen": False},
        {"in_dtsen": True, "data_update_requested": False},
        {"in_dtsen": True, "data_update_requested": None},
        ["data_update_requested"],
    ),
    "BANSOS-ADUAN": (
        {"programme_count": 1, "programmes": ["BPNT"]},
        {"programme_count": 0},
        {"programme_count": None},
        ["programme_count"],
    ),
    "RUTILAHU": (
        {"house_uninhabitable": True, "desil": 4},
        {"house_uninhabitable": False, "desil": 4},
        {"house_uninhabitable": None, "desil": 2},
        ["house_uninhabitable"],
    ),
    "KUBE": ({"desil": 4, "age": 30}, {"desil": 4, "age": 60}, {"desil": 4, "age": None}, ["age"]),
    "BAZNAS": ({"desil": 5}, {"desil": 6}, {"desil": None}, ["desil"]),
}
WITHOUT_CRITERIA = ["ATENSI-NAPZA", "UPTD-PPA", "ADMINDUK", "DTSEN-SANGGAH", "BENCANA", "PUSKESMAS"]


@pytest.fixture(scope="module")
def directory() -> Directory:
    agencies = [AgencySpec("DINSOS-3204", "Dinas Sosial", ("32.04",))]
    return Directory(service_specs(CATALOG), agencies)


def result_for(directory: Directory, code: str, facts: dict):
    service = directory.services[code]
    result = suggest(directory, [service.needs[0]], facts, VILLAGE)
    return next(s for s in result.suggestions if s.service.code == code)


def test_every_seed_programme_with_criteria_is_covered():
    with_criteria = {s["code"] for s in CATALOG["services"] if s["criteria"]}
    assert with_criteria == set(CASES)
    assert {s["code"] for s in CATALOG["services"]} == set(CASES) | set(WITHOUT_CRITERIA)


@pytest.mark.parametrize("code", sorted(CASES))
def test_programme_eligible_household(directory, code):
    suggestion = result_for(directory, code, {**NOTHING, **CASES[code][0]})
    assert suggestion.result == "eligible", [(c.name, c.result) for c in suggestion.criteria]
    assert suggestion.missing == ()


@pytest.mark.parametrize("code", sorted(CASES))
def test_programme_not_eligible_household(directory, code):
    suggestion = result_for(directory, code, {**NOTHING, **CASES[code][1]})
    assert suggestion.result == "not_eligible"
    assert any(c.result is False for c in suggestion.criteria)


@pytest.mark.parametrize("code", sorted(CASES))
def test_programme_unknown_household_names_the_missing_facts(directory, code):
    suggestion = result_for(directory, code, {**NOTHING, **CASES[code][2]})
    assert suggestion.result == "unknown"
    assert sorted(suggestion.missing) == sorted(CASES[code][3])
    assert all(c.result is None for c in suggestion.criteria if c.missing)


@pytest.mark.parametrize("code", WITHOUT_CRITERIA)
def test_programme_without_criteria_is_eligible_even_when_nothing_is_known(directory, code):
    suggestion = result_for(directory, code, dict.fromkeys(FACT_TYPES))
    assert suggestion.result == "eligible"
    assert suggestion.criteria == []


def test_unknown_and_false_is_false(directory):
    # Not in DTSEN settles PKH, whatever the desil turns out to be: no question to ask.
    suggestion = result_for(directory, "PKH", {**NOTHING, "in_dtsen": False, "desil": None})
    assert suggestion.result == "not_eligible"
    assert suggestion.missing == ()


def test_unknown_or_true_is_true_inside_a_criterion(directory):
    # PIP: "desil <= 4 or receives_pkh": a PKH family qualifies, desil unknown or not.
    facts = {**NOTHING, "age": 12, "finished_school": False, "desil": None, "receives_pkh": True}
    suggestion = result_for(directory, "PIP", facts)
    assert suggestion.result == "eligible"


def test_unknown_or_true_is_true_between_criteria(directory):
    # BAZNAS combines with "any": not in DTSEN is enough.
    suggestion = result_for(directory, "BAZNAS", {**NOTHING, "in_dtsen": False, "desil": None})
    assert suggestion.result == "eligible"


def test_an_unknown_fact_that_cannot_change_the_criterion_is_not_asked(directory):
    # KUBE age 18-59: with desil 9 the household is out whatever its age.
    suggestion = result_for(directory, "KUBE", {**NOTHING, "desil": 9, "age": None})
    assert suggestion.result == "not_eligible" and suggestion.missing == ()


def test_kleene_combine():
    assert combine([True, None], "all") is None
    assert combine([False, None], "all") is False
    assert combine([True, None], "any") is True
    assert combine([False, None], "any") is None
    assert combine([], "all") is True and combine([], "any") is True


# -- NIK prerequisite ----------------------------------------------------------------------


def prerequisites(result):
    return [(s.service.code, code) for s in result.suggestions for code in s.prerequisite_of]


def test_person_without_nik_gets_adminduk_as_prerequisite(directory):
    facts = {**NOTHING, "has_nik": False, "desil": 4}
    result = suggest(directory, ["pangan"], facts, VILLAGE)
    assert prerequisites(result) == [("ADMINDUK", "BPNT")]
    admin = next(s for s in result.suggestions if s.prerequisite_of)
    assert admin.need == "pangan" and admin.result == "eligible"


def test_a_service_needing_a_nik_is_judged_as_if_the_nik_were_there_and_waits(directory):
    result = suggest(directory, ["kesehatan.jaminan"], {**NOTHING, "has_nik": False, "desil": 3}, VILLAGE)
    pbi = next(s for s in result.suggestions if s.service.code == "PBI-JK")
    assert pbi.result == "eligible" and pbi.waits_for == ["ADMINDUK"]
    assert prerequisites(result) == [("ADMINDUK", "PBI-JK")]


def test_no_prerequisite_with_a_nik_an_unknown_nik_or_a_service_out_of_reach(directory):
    assert prerequisites(suggest(directory, ["pangan"], {**NOTHING, "desil": 4}, VILLAGE)) == []
    assert (
        prerequisites(suggest(directory, ["pangan"], {**NOTHING, "has_nik": None, "desil": 4}, VILLAGE)) == []
    )
    # desil 8: BPNT is out of reach even with a NIK, so ADMINDUK would not help.
    assert prerequisites(suggest(directory, ["pangan"], {**NOTHING, "has_nik": False}, VILLAGE)) == []
    # ATENSI-LANSIA does not need a NIK (and PKH is out of reach at desil 8)
    lansia = suggest(directory, ["lansia"], {**NOTHING, "has_nik": False, "age": 70}, VILLAGE)
    assert prerequisites(lansia) == []


def test_one_prerequisite_per_service_even_over_several_needs(directory):
    facts = {**NOTHING, "has_nik": False, "desil": 2, "children_under_6": 1, "age": 30}
    result = suggest(directory, ["ibu_hamil_balita", "pendidikan", "lansia"], facts, VILLAGE)
    assert sorted(prerequisites(result)) == [("ADMINDUK", "PKH")]


# -- agency choice -------------------------------------------------------------------------


def routing_directory(rules: list[RuleSpec], agencies: list[AgencySpec] | None = None) -> Directory:
    service = ServiceSpec("PUSKESMAS", "Puskesmas", ("kesehatan.layanan",), default_agency_code="PUSKESMAS")
    agencies = agencies or [
        AgencySpec("PROV", "Provinsi", ("32",)),
        AgencySpec("KAB", "Kabupaten", ("32.04",)),
        AgencySpec("KEC", "Kecamatan", ("32.04.05",)),
        AgencySpec("DESA", "Desa", ("32.04.05.2001",)),
    ]
    return Directory([service], agencies, rules)


def agency_code(directory: Directory, village: str) -> str | None:
    (suggestion,) = suggest(directory, ["kesehatan.layanan"], NOTHING, village).suggestions
    return suggestion.agency.code if suggestion.agency else None


def test_most_specific_region_wins():
    rules = [
        RuleSpec("PUSKESMAS", "32", "PROV"),
        RuleSpec("PUSKESMAS", "32.04.05.2001", "DESA"),
        RuleSpec("PUSKESMAS", "32.04", "KAB"),
        RuleSpec("PUSKESMAS", "32.04.05", "KEC"),
    ]
    d = routing_directory(rules)
    assert agency_code(d, "32.04.05.2001") == "DESA"  # village over district
    assert agency_code(d, "32.04.05.2002") == "KEC"  # district over regency
    assert agency_code(d, "32.04.06.2001") == "KAB"  # regency over province
    assert agency_code(d, "32.73.01.1001") == "PROV"
    assert agency_code(d, "35.01.01.2001") is None


def test_region_prefix_is_by_whole_code_segments():
    # 32.04.05.20 is not inside 32.04.05.2 even though the text starts the same.
    d = routing_directory([RuleSpec("PUSKESMAS", "32.04.05.2001", "DESA")], [AgencySpec("DESA", "Desa", ())])
    assert agency_code(d, "32.04.05.20011") is None


def test_default_agency_by_code_prefix_and_service_area():
    agencies = [
        AgencySpec("PUSKESMAS-CILEUNYI", "Puskesmas Cileunyi", ("32.04.05",)),
        AgencySpec("PUSKESMAS-SOREANG", "Puskesmas Soreang", ("32.04.01",)),
        AgencySpec("PUSKESMASX", "Not a match", ("32",)),
    ]
    d = routing_directory([], agencies)
    assert agency_code(d, "32.04.05.2001") == "PUSKESMAS-CILEUNYI"
    assert agency_code(d, "32.04.01.2001") == "PUSKESMAS-SOREANG"
    assert agency_code(d, "32.04.02.2001") is None


def test_inactive_agency_is_skipped_for_the_next_rule():
    agencies = [AgencySpec("DESA", "Desa", (), active=False), AgencySpec("KAB", "Kabupaten", ())]
    d = routing_directory(
        [RuleSpec("PUSKESMAS", "32.04.05.2001", "DESA"), RuleSpec("PUSKESMAS", "32.04", "KAB")], agencies
    )
    assert agency_code(d, "32.04.05.2001") == "KAB"


def test_no_agency_is_a_warning_not_an_error():
    d = routing_directory([], [])
    result = suggest(d, ["kesehatan.layanan", "informasi"], NOTHING, VILLAGE)
    assert result.suggestions[0].agency is None
    kinds = {(w.kind, w.service_code) for w in result.warnings}
    assert kinds == {("no_agency", "PUSKESMAS"), ("no_service", None)}


# -- order ---------------------------------------------------------------------------------


def test_order_is_urgent_then_eligible_unknown_not_eligible(directory):
    facts = {**NOTHING, "desil": None, "age": 65}
    result = suggest(directory, ["ekonomi", "pangan", "lansia", "kekerasan", "dtsen.sanggah"], facts, VILLAGE)
    order = [(s.service.code, s.urgent, s.result) for s in result.suggestions]
    assert order[0] == ("UPTD-PPA", True, "eligible")
    results = [r for _, urgent, r in order if not urgent]
    rank = {"eligible": 0, "unknown": 1, "not_eligible": 2}
    assert results == sorted(results, key=rank.get)
    assert {"eligible", "unknown", "not_eligible"} <= set(results)


# -- property: random facts ----------------------------------------------------------------

fact_values = {
    "age": st.integers(0, 110),
    "sex": st.sampled_from(["L", "P"]),
    "disability": st.sampled_from(["none", "mild", "moderate", "severe"]),
    "desil": st.integers(1, 10),
    "programmes": st.lists(st.sampled_from(["PKH", "BPNT", "PBI-JK", "PIP"]), unique=True),
}
for _name, _kind in FACT_TYPES.items():
    if _name not in fact_values:
        fact_values[_name] = st.booleans() if _kind.name == "BOOLEAN" else st.integers(0, 6)

full_facts = st.fixed_dictionaries(fact_values)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(full=full_facts, hidden=st.sets(st.sampled_from(sorted(FACT_TYPES))), has_nik=st.booleans())
def test_random_facts_never_raise_and_known_results_hold_for_any_value_of_the_unknowns(
    directory, full, hidden, has_nik
):
    full = {**full, "has_nik": has_nik}
    partial = {k: (None if k in hidden else v) for k, v in full.items()}
    needs = [n["code"] for n in CATALOG["needs"]]
    with_unknowns = suggest(directory, needs, partial, VILLAGE)
    complete = suggest(directory, needs, full, VILLAGE)
    truth = {(s.need, s.service.code, s.person): s.result for s in complete.suggestions}
    for s in with_unknowns.suggestions:
        assert (
            combine((c.result for c in s.criteria), s.service.combine)
            == {
                "eligible": True,
                "not_eligible": False,
                "unknown": None,
            }[s.result]
        )
        if s.result == "unknown":
            assert s.missing and set(s.missing) <= hidden
        else:
            # A settled answer may not change once the unknown facts are known.
            key = (s.need, s.service.code, s.person)
            assert truth.get(key, s.result) == s.result
