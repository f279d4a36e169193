"""The route page of a case, and the directory admin pages."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from slrt.core.audit import AuditEvent
from slrt.core.workdays import local_today
from slrt.directory.models import Agency, DirectoryChange, RoutingRule, Service
from slrt.extensions import db
from slrt.intake import models as m
from slrt.referrals.models import Referral, ReferralEvent, ReferralStatus
from tests.factories import VILLAGE_A, make_case, make_person


def elderly_case(world, desil: int | None = 3) -> m.Case:
    """A grandmother of 72 without NIK, in DTSEN, asking for elderly care and health insurance."""
    person = make_person(VILLAGE_A, name="Mak Onah", birth_date=date(local_today().year - 73, 1, 1), nik=None)
    person.household.in_dtsen, person.household.desil, person.household.programmes = True, desil, []
    case = make_case(VILLAGE_A, world.office_a, need="lansia", reporter=person)
    db.session.add(m.Need(case=case, category_code="kesehatan.jaminan", person=person))
    db.session.commit()
    return case


def need_id(case: m.Case, code: str) -> int:
    return next(n.id for n in case.needs if n.category_code == code)


def test_case_page_links_to_the_route_page_while_open(client, auth, world):
    case = elderly_case(world)
    auth.login("desk.a")
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Pilih layanan rujukan" in html and f"/cases/{case.id}/route" in html


def test_route_page_shows_suggestions_with_reasons(client, auth, world):
    case = elderly_case(world)
    auth.login("desk.a")
    html = client.get(f"/cases/{case.id}/route").get_data(as_text=True)
    assert "Asistensi Rehabilitasi Sosial (ATENSI) Lansia" in html
    assert (
        "Usia 72 tahun, jadi syarat “Usia 60 tahun atau lebih” terpenuhi." in html
        or "Usia 73 tahun, jadi syarat “Usia 60 tahun atau lebih” terpenuhi." in html
    )
    assert "Desil 3, jadi syarat “Desil paling tinggi 4” terpenuhi." in html
    # ADMINDUK once, for both services that need her NIK; each of them waits for it.
    assert html.count("Prasyarat untuk PKH, PBI-JK") == 1
    # (BPNT and RUTILAHU come from household screening: in DTSEN at desil 3.)
    assert (
        "Belum punya NIK: urus KTP dan KK dulu agar PKH, PBI-JK, BPNT dan RUTILAHU dapat diusulkan." in html
    )
    assert "Menunggu dokumen kependudukan: PBI-JK diusulkan setelah NIK terbit." in html
    assert "Lembaga Dinas Sosial" in html or "Lembaga DINSOS-3204" in html


def test_route_page_says_what_to_check_when_a_fact_is_missing(client, auth, world):
    case = elderly_case(world, desil=None)
    auth.login("desk.a")
    html = client.get(f"/cases/{case.id}/route").get_data(as_text=True)
    assert "Belum dicek di DTSEN, jadi desilnya belum diketahui." in html
    assert "Perlu data tambahan" in html


def test_choosing_suggestions_creates_draft_referrals(client, auth, world):
    case = elderly_case(world)
    lansia = need_id(case, "lansia")
    me = case.reporter_id
    auth.login("desk.a")
    response = auth.post(
        f"/cases/{case.id}/route",
        {
            "choose": [f"{lansia}:ATENSI-LANSIA:{me}", f"{lansia}:PKH:{me}", f"{lansia}:ADMINDUK:{me}"],
            "manual_need_id": str(lansia),
            "manual_service": "",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.id}")
    referrals = {
        r.service.code: r for r in db.session.scalars(sa.select(Referral).where(Referral.case_id == case.id))
    }
    # PKH waits for her NIK: it is referred once ADMINDUK is done, not now.
    assert set(referrals) == {"ATENSI-LANSIA", "ADMINDUK"}
    for r in referrals.values():
        assert (
            r.status is ReferralStatus.DRAFT
            and r.village_code == VILLAGE_A
            and r.office_id == world.office_a.id
        )
        assert r.created_by_id == world.users["desk_a"].id
        (event,) = db.session.scalars(sa.select(ReferralEvent).where(ReferralEvent.referral_id == r.id)).all()
        assert event.from_status is None and event.to_status is ReferralStatus.DRAFT
    assert referrals["ATENSI-LANSIA"].agency.code == "DINSOS-3204"
    assert referrals["ADMINDUK"].agency.code == "DUKCAPIL-3204"  # default "DUKCAPIL" serving 32.04
    assert all(r.person_id == me for r in referrals.values())
    assert "jadi syarat “Usia 60 tahun atau lebih” terpenuhi." in referrals["ATENSI-LANSIA"].reason
    assert "agar PKH, PBI-JK, BPNT dan RUTILAHU dapat diusulkan." in referrals["ADMINDUK"].reason
    audits = db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "referral.draft")
    )
    assert audits == 2


def test_adding_a_service_by_hand_needs_a_reason(client, auth, world):
    case = elderly_case(world)
    lansia = need_id(case, "lansia")
    auth.login("desk.a")
    data = {"manual_need_id": str(lansia), "manual_service": "BAZNAS", "manual_reason": ""}
    response = auth.post(f"/cases/{case.id}/route", data)
    assert response.status_code == 200
    assert "Tulis alasan untuk layanan BAZNAS" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Referral.id)).where(Referral.case_id == case.id)) == 0
    data["manual_reason"] = "Rumah terbakar semalam"
    assert auth.post(f"/cases/{case.id}/route", data).status_code == 302
    referral = db.session.scalar(sa.select(Referral).where(Referral.case_id == case.id))
    assert referral.service.code == "BAZNAS" and "Rumah terbakar semalam" in referral.reason


def test_nothing_chosen_is_refused_and_a_second_identical_referral_too(client, auth, world):
    case = elderly_case(world)
    lansia = need_id(case, "lansia")
    auth.login("desk.a")
    empty = auth.post(f"/cases/{case.id}/route", {"manual_need_id": str(lansia)})
    assert "Pilih minimal satu layanan" in empty.get_data(as_text=True)
    choice = {"choose": f"{lansia}:ATENSI-LANSIA:{case.reporter_id}", "manual_need_id": str(lansia)}
    assert auth.post(f"/cases/{case.id}/route", choice).status_code == 302
    again = auth.post(f"/cases/{case.id}/route", choice)
    assert again.status_code == 200 and "sudah ada" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Referral.id)).where(Referral.case_id == case.id)) == 1


def test_closed_case_gets_no_new_referrals(client, auth, world):
    case = elderly_case(world)
    case.status = m.CaseStatus.CLOSED
    db.session.commit()
    lansia = need_id(case, "lansia")
    auth.login("desk.a")
    response = auth.post(
        f"/cases/{case.id}/route", {"choose": f"{lansia}:ATENSI-LANSIA:", "manual_need_id": lansia}
    )
    assert "Kasus sudah selesai" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Referral.id)).where(Referral.case_id == case.id)) == 0


def test_agency_and_admin_may_not_route_cases(client, auth, world):
    case = elderly_case(world)
    auth.login("dinsos")
    assert client.get(f"/cases/{case.id}/route").status_code == 403


# -- directory pages -------------------------------------------------------------------------


def service(code: str) -> Service:
    return db.session.scalar(sa.select(Service).where(Service.code == code))


def service_form(svc: Service, **changes) -> dict:
    data = {
        "name": svc.name,
        "description": svc.description or "",
        "required_documents": "\n".join(svc.required_documents),
        "needs": list(svc.needs),
        "sla_respond_days": str(svc.sla_respond_days),
        "sla_resolve_days": str(svc.sla_resolve_days),
        "default_agency_code": svc.default_agency_code or "",
        "combine": svc.combine.value,
        "active": "y",
    }
    if svc.needs_nik:
        data["needs_nik"] = "y"
    for i, c in enumerate(svc.criteria):
        data[f"criteria-{i}-name"], data[f"criteria-{i}-expression"] = c.name, c.expression
    data.update(changes)
    return data


def test_staff_read_the_directory_but_only_admins_edit(client, auth, world):
    auth.login("desk.a")
    assert "Program Keluarga Harapan" in client.get("/directory/services").get_data(as_text=True)
    assert client.get(f"/directory/services/{service('PKH').id}").status_code == 200
    assert client.get("/directory/agencies").status_code == 200
    assert client.get(f"/directory/services/{service('PKH').id}/edit").status_code == 403
    assert client.get("/directory/history").status_code == 403
    response = auth.post(
        "/directory/routing", {"service_code": "PKH", "region_code": "32.04", "agency_code": "DINSOS-3204"}
    )
    assert response.status_code == 403


def test_admin_edit_with_a_bad_criterion_shows_the_message_on_that_row(client, auth, world):
    svc = service("ATENSI-LANSIA")
    auth.login("admin")
    path = f"/directory/services/{svc.id}/edit"
    form = service_form(svc, **{"criteria-0-expression": "umur >= 60"})
    html = auth.post(path, form).get_data(as_text=True)
    assert "Kriteria &#39;Usia 60 tahun atau lebih&#39;: Fakta &#39;umur&#39; tidak dikenal" in html
    db.session.expire_all()
    assert service("ATENSI-LANSIA").criteria[0].expression == "age >= 60"


def test_admin_edits_criteria_and_the_history_shows_it(client, auth, world):
    svc = service("ATENSI-LANSIA")
    auth.login("admin")
    db.session.query(DirectoryChange).delete()
    db.session.commit()
    form = service_form(
        svc,
        **{
            "criteria-0-expression": "age >= 65",
            "criteria-1-name": "Punya NIK",
            "criteria-1-expression": "has_nik == true",
        },
    )
    response = auth.post(
        f"/directory/services/{svc.id}/edit", form, page=f"/directory/services/{svc.id}/edit"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [(c.name, c.expression) for c in service("ATENSI-LANSIA").criteria] == [
        ("Usia 60 tahun atau lebih", "age >= 65"),
        ("Punya NIK", "has_nik == true"),
    ]
    history = client.get("/directory/history").get_data(as_text=True)
    assert "ATENSI-LANSIA" in history and "age &gt;= 65" in history and "admin" in history
    # removing a criterion
    form = service_form(service("ATENSI-LANSIA"), **{"criteria-1-remove": "y"})
    auth.post(f"/directory/services/{svc.id}/edit", form)
    db.session.expire_all()
    assert [c.name for c in service("ATENSI-LANSIA").criteria] == ["Usia 60 tahun atau lebih"]


def test_admin_manages_agencies_and_routing_rules(client, auth, world):
    db.session.query(DirectoryChange).delete()  # the catalogue load of the world fixture
    db.session.commit()
    auth.login("admin")
    bad_form = {"code": "puskesmas cileunyi", "name": "Puskesmas", "service_area": "99.99"}
    bad = auth.post("/directory/agencies/new", bad_form).get_data(as_text=True)
    assert "Kode 2-40 karakter" in bad and "Kode wilayah 99.99 tidak dikenal" in bad
    response = auth.post(
        "/directory/agencies/new",
        {
            "code": "PUSKESMAS-CILEUNYI",
            "name": "Puskesmas Cileunyi",
            "service_area": "32.04.05",
            "active": "y",
        },
    )
    assert response.status_code == 302
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == "PUSKESMAS-CILEUNYI"))
    assert agency.service_area == ["32.04.05"]
    response = auth.post(
        "/directory/routing",
        {"service_code": "PUSKESMAS", "region_code": "32.04.05", "agency_code": "PUSKESMAS-CILEUNYI"},
    )
    assert response.status_code == 302
    rule = db.session.scalar(sa.select(RoutingRule))
    assert rule.region_code == "32.04.05" and rule.agency.code == "PUSKESMAS-CILEUNYI"
    assert "Puskesmas Cileunyi" in client.get("/directory/routing").get_data(as_text=True)
    assert auth.post(f"/directory/routing/{rule.id}/delete", page="/directory/routing").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(RoutingRule.id))) == 0
    fields = set(db.session.scalars(sa.select(DirectoryChange.object_type)))
    assert fields == {"agency", "routing_rule"}


def test_province_admin_manages_only_its_province(client, auth, world):
    auth.login("admin.jatim")
    response = auth.post(
        "/directory/routing", {"service_code": "PKH", "region_code": "32.04", "agency_code": "DINSOS-3204"}
    )
    assert "di luar wilayah kewenangan Anda" in response.get_data(as_text=True)
    edit = auth.post(
        f"/directory/agencies/{world.agency.id}",
        {"code": "DINSOS-3204", "name": "Dinsos", "service_area": "35.01", "active": "y"},
    )
    assert "Wilayah 32.04 di luar wilayah kewenangan Anda" in edit.get_data(as_text=True)
    svc = service("PKH")
    html = auth.post(f"/directory/services/{svc.id}/edit", service_form(svc)).get_data(as_text=True)
    assert "hanya dapat diubah administrator nasional" in html
    assert db.session.scalar(sa.select(sa.func.count(RoutingRule.id))) == 0


# -- the criteria builder and "Coba pada keluarga contoh" (issue 20 item 11) ----------------------


def test_the_builder_writes_and_reads_one_comparison(app):
    from slrt.directory import criteria_builder as b

    with app.test_request_context():
        pairs = [
            (("desil", "le", "4"), "desil <= 4"),
            (("age", "ge", "60"), "age >= 60"),
            (("in_dtsen", "yes", ""), "in_dtsen == true"),
            (("has_nik", "no", ""), "has_nik == false"),
            (("sex", "eq", "P"), "sex == 'P'"),
            (("members_70_plus", "gt", "0"), "members_70_plus > 0"),
        ]
        for (fact, op, value), expression in pairs:
            assert b.compose(fact, op, value) == expression
            assert b.parse(expression) == (fact, op, value)
        assert b.parse("children_under_6 > 0 or pregnant_members > 0") is None  # stays an expert's
        assert b.sentence("desil", "le", "4") == "Desil paling banyak 4"
        for bad in (
            ("desil", "le", "empat"),
            ("sex", "eq", "X"),
            ("in_dtsen", "le", "1"),
            ("umur", "ge", "1"),
        ):
            try:
                b.compose(*bad)
            except b.BuilderError:
                continue
            raise AssertionError(bad)


def test_the_editor_shows_a_simple_criterion_in_the_builder(client, auth, world):
    svc = service("ATENSI-LANSIA")
    auth.login("admin")
    html = client.get(f"/directory/services/{svc.id}/edit").get_data(as_text=True)
    assert '<option selected value="age">' in html and '<option selected value="ge">' in html
    assert 'id="criteria-0-value" maxlength="40" name="criteria-0-value" type="text" value="60"' in html


def test_a_criterion_made_with_the_builder_is_saved_as_its_expression_with_a_name_in_words(
    client, auth, world
):
    svc = service("ATENSI-LANSIA")
    auth.login("admin")
    form = service_form(svc, **{"criteria-1-fact": "desil", "criteria-1-op": "le", "criteria-1-value": "4"})
    assert auth.post(f"/directory/services/{svc.id}/edit", form).status_code == 302
    db.session.expire_all()
    assert [(c.name, c.expression) for c in service("ATENSI-LANSIA").criteria][-1] == (
        "Desil paling banyak 4",
        "desil <= 4",
    )


def test_a_builder_value_that_does_not_fit_is_told_at_its_field_and_nothing_is_saved(client, auth, world):
    svc = service("ATENSI-LANSIA")
    before = [(c.name, c.expression) for c in svc.criteria]
    auth.login("admin")
    form = service_form(
        svc, **{"criteria-1-fact": "desil", "criteria-1-op": "le", "criteria-1-value": "empat"}
    )
    response = auth.post(f"/directory/services/{svc.id}/edit", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Isi nilai berupa angka, misalnya 4." in html
    assert 'name="criteria-1-value" type="text" value="empat"' in html  # what was typed stays
    db.session.expire_all()
    assert [(c.name, c.expression) for c in service("ATENSI-LANSIA").criteria] == before


def test_trying_criteria_on_an_example_household_saves_nothing(client, auth, world):
    svc = service("ATENSI-LANSIA")
    before = [(c.name, c.expression) for c in svc.criteria]
    db.session.query(DirectoryChange).delete()
    db.session.commit()
    auth.login("admin")
    form = service_form(svc, **{"criteria-0-expression": "age >= 80", "example": "widow", "try": "1"})
    html = auth.post(f"/directory/services/{svc.id}/edit", form).get_data(as_text=True)
    assert "Hasil: tidak memenuhi syarat." in html  # the widow is 74: the typed 80 is what is tried
    form["criteria-0-expression"] = "age >= 70"
    html = auth.post(f"/directory/services/{svc.id}/edit", form).get_data(as_text=True)
    assert "Hasil: tidak memenuhi syarat." not in html and "✓" in html
    db.session.expire_all()
    assert [(c.name, c.expression) for c in service("ATENSI-LANSIA").criteria] == before
    assert db.session.query(DirectoryChange).count() == 0


def test_an_expert_edit_of_a_built_criterion_wins_over_the_untouched_builder(client, auth, world):
    svc = service("ATENSI-LANSIA")
    auth.login("admin")
    form = service_form(
        svc,
        **{
            "criteria-0-fact": "age",
            "criteria-0-op": "ge",
            "criteria-0-value": "60",
            "criteria-0-built": "age >= 60",
            "criteria-0-expression": "age >= 65 and has_nik == true",
        },
    )
    assert auth.post(f"/directory/services/{svc.id}/edit", form).status_code == 302
    db.session.expire_all()
    assert service("ATENSI-LANSIA").criteria[0].expression == "age >= 65 and has_nik == true"
