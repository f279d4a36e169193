"""Facts from people and households; criteria checked when saved and when a catalogue loads."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from slrt.accounts.services import ValidationFailed
from slrt.directory import services as ops
from slrt.directory.catalog import CatalogError, load_catalog
from slrt.directory.models import Criterion, DirectoryChange, Service
from slrt.extensions import db
from slrt.intake import models as m
from slrt.routing.expressions import check_expression
from slrt.routing.facts import FACT_TYPES, PersonData, build_facts
from tests.factories import make_person

TODAY = date(2026, 11, 22)


def born(age: int) -> date:
    return date(TODAY.year - age, 1, 1)


# -- facts -----------------------------------------------------------------------------------


def test_facts_from_orm_person_household_and_members(app):
    head = make_person(
        nik="3204054101500001", birth_date=born(72), sex=m.Sex.FEMALE, disability=m.Disability.NONE
    )
    household = head.household
    household.in_dtsen, household.desil, household.programmes = True, 3, ["bpnt", "PKH"]
    household.house_uninhabitable = None
    members = [
        make_person(household=household, name="Anak", birth_date=born(4), sex=m.Sex.MALE),
        make_person(
            household=household,
            name="Cucu",
            birth_date=born(15),
            sex=m.Sex.MALE,
            schooling=m.Schooling.NOT_IN_SCHOOL,
        ),
        make_person(
            household=household,
            name="Ibu",
            birth_date=born(30),
            sex=m.Sex.FEMALE,
            pregnant=True,
            disability=m.Disability.SEVERE,
        ),
    ]
    facts = build_facts(head, household, members, today=TODAY)
    assert set(facts) == set(FACT_TYPES)
    assert facts["age"] == 72 and facts["sex"] == "P" and facts["has_nik"] is True
    assert facts["pregnant"] is False  # a woman of 72
    assert facts["in_dtsen"] is True and facts["desil"] == 3
    assert facts["programmes"] == ["BPNT", "PKH"] and facts["programme_count"] == 2
    assert facts["receives_pkh"] and facts["receives_bpnt"] and not facts["receives_pip"]
    assert facts["house_uninhabitable"] is None
    assert facts["household_size"] == 4
    assert facts["children_under_6"] == 1
    assert facts["school_age_not_in_school"] == 1 and facts["school_age_in_school"] == 0
    assert facts["school_age_not_finished"] == 1
    assert facts["members_60_plus"] == 1 and facts["members_70_plus"] == 1
    assert facts["severe_disability_members"] == 1 and facts["pregnant_members"] == 1


def test_unknown_facts_are_none_never_a_guess():
    person = PersonData(birth_date=None, sex="P", nik=None)
    member = PersonData(birth_date=born(12), sex="L", disability="none")  # schooling unknown
    facts = build_facts(person, None, [member], today=TODAY)
    assert facts["age"] is None and facts["desil"] is None and facts["in_dtsen"] is None
    assert facts["has_nik"] is False  # no NIK recorded: the person has none
    assert facts["pregnant"] is None  # a woman of unknown age
    assert facts["children_under_6"] is None  # the person's own age is unknown
    assert facts["school_age_in_school"] is None
    assert facts["programmes"] is None and facts["receives_pkh"] is None


def test_nik_not_asked_yet_is_unknown():
    facts = build_facts(PersonData(nik=None, has_nik=None, nik_known=False), None, today=TODAY)
    assert facts["has_nik"] is None


def test_no_person_and_no_household_gives_all_unknown():
    assert set(build_facts(None, None, today=TODAY).values()) == {None}


# -- expressions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("desil <=", "Penulisan ekspresi salah"),
        ("income < 1000000", "Fakta 'income' tidak dikenal"),
        ("desil > 'tinggi'", "Jenis data tidak cocok"),
        ("desil + 1", "harus menghasilkan benar atau salah"),
        ("   ", "Ekspresi kosong"),
    ],
)
def test_bad_expressions_are_refused_with_a_clear_message(app, expression, words):
    assert words in (check_expression(expression) or "")


@pytest.mark.parametrize("expression", ["desil <= 4", "age >= 18 and age <= 59", "'PKH' in programmes"])
def test_good_expressions_pass(app, expression):
    assert check_expression(expression) is None


# -- saving a service ------------------------------------------------------------------------


def service_values(service: Service, **changes):
    values = {
        "code": service.code,
        "name": service.name,
        "description": service.description,
        "required_documents": service.required_documents,
        "urgent": service.urgent,
        "active": service.active,
        "needs": service.needs,
        "sla_respond_days": service.sla_respond_days,
        "sla_resolve_days": service.sla_resolve_days,
        "needs_nik": service.needs_nik,
        "combine": service.combine.value,
        "default_agency_code": service.default_agency_code,
        "criteria": [(c.name, c.expression) for c in service.criteria],
    }
    values.update(changes)
    return values


def pkh() -> Service:
    return db.session.scalar(sa.select(Service).where(Service.code == "PKH"))


def test_saving_a_bad_criterion_names_it_and_changes_nothing(app):
    load_catalog()
    db.session.commit()
    before = [(c.name, c.expression) for c in pkh().criteria]
    criteria = [*before, ("Penghasilan rendah", "income < 1000000"), ("Desil", "desil <=")]
    with pytest.raises(ValidationFailed) as failed:
        ops.save_service(pkh(), **service_values(pkh(), criteria=criteria))
    db.session.rollback()
    errors = failed.value.errors
    assert "Penghasilan rendah" in errors["criteria.4.expression"][0]
    assert "income" in errors["criteria.4.expression"][0]
    assert "Desil" in errors["criteria.5.expression"][0]
    assert [(c.name, c.expression) for c in pkh().criteria] == before


def test_saving_criteria_records_old_and_new_values(app, world):
    db.session.query(DirectoryChange).delete()
    criteria = [("Desil paling tinggi 3", "desil <= 3")]
    ops.save_service(pkh(), **service_values(pkh(), criteria=criteria), actor=world.users["admin"])
    db.session.commit()
    assert [(c.name, c.expression, c.position) for c in pkh().criteria] == [
        ("Desil paling tinggi 3", "desil <= 3", 0)
    ]
    assert (
        db.session.scalar(sa.select(sa.func.count(Criterion.id)).where(Criterion.service_id == pkh().id)) == 1
    )
    (change,) = db.session.scalars(sa.select(DirectoryChange)).all()
    assert change.field == "criteria" and change.actor_id == world.users["admin"].id
    assert "desil <= 4" in change.old and change.new == '["Desil paling tinggi 3: desil <= 3"]'


# -- catalogue file --------------------------------------------------------------------------


def test_catalog_load_is_idempotent_and_loads_criteria(app, runner):
    assert runner.invoke(args=["catalog", "load"]).exit_code == 0
    changes = db.session.scalar(sa.select(sa.func.count(DirectoryChange.id)))
    assert db.session.scalar(sa.select(sa.func.count(Criterion.id))) == 23  # no "Punya NIK" on PBI-JK
    again = runner.invoke(args=["catalog", "load"])
    assert again.exit_code == 0 and "0 new needs, 0 new services" in again.output
    assert db.session.scalar(sa.select(sa.func.count(DirectoryChange.id))) == changes


def test_catalog_with_errors_reports_every_place_and_changes_nothing(app, runner, tmp_path):
    from slrt.directory.catalog import DEFAULT_PATH

    data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["services"][3]["criteria"][1]["expression"] = "desil <= 4 or"
    data["services"][0]["criteria"].append({"name": "Penghasilan", "expression": "income < 5"})
    data["services"][5]["combine"] = "most"
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(args=["catalog", "load", str(path)])
    assert result.exit_code == 1
    assert "services[3] (PIP).criteria[1] (Desil paling tinggi 4 atau peserta PKH):" in result.output
    assert "services[0] (PKH).criteria[4] (Penghasilan): Fakta 'income' tidak dikenal" in result.output
    assert "services[5] (ATENSI-DISABILITAS): 'combine'" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Service.id))) == 0
    with pytest.raises(CatalogError):
        load_catalog(path)


def test_demo_seed_keeps_an_administrators_edit_but_catalog_load_applies_the_file(app, world):
    criteria = [("Desil paling tinggi 3", "desil <= 3")]
    ops.save_service(pkh(), **service_values(pkh(), criteria=criteria), actor=world.users["admin"])
    db.session.commit()
    load_catalog(keep_edited=True)
    db.session.commit()
    assert [c.expression for c in pkh().criteria] == ["desil <= 3"]
    load_catalog()
    db.session.commit()
    assert "desil <= 4" in [c.expression for c in pkh().criteria]
