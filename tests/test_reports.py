"""Reports: figures that add up at every level, lists behind every number, safe exports."""

from __future__ import annotations

import csv
import io
import re
import statistics
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slrt.core import tracking
from slrt.core.audit import AuditEvent
from slrt.core.workdays import JAKARTA, working_days_between
from slrt.directory.catalog import load_catalog
from slrt.directory.models import Agency, Service
from slrt.extensions import db
from slrt.intake import models as m
from slrt.public.models import SurveyResponse
from slrt.referrals.models import Referral, ReferralEvent, ReferralStatus
from slrt.reports import tally
from slrt.reports.exports import neutralise
from slrt.reports.models import RegionTally, ReportTally, ReportVillage
from slrt.reports.rollup import Figures, rollup
from slrt.reports.tally import CODE_WIDTH, REGION_LEVELS
from tests import factories

S = ReferralStatus
# Two villages in one district, one in another district of the same regency, one in another
# regency of the same province, one in another province.
VILLAGES = ["32.04.05.2001", "32.04.05.2002", "32.04.06.1001", "32.73.01.1001", "35.78.01.1001"]
NEEDS = ["pangan", "lansia", "adminduk"]
SERVICES = {"pangan": "BPNT", "lansia": "ATENSI-LANSIA", "adminduk": "ADMINDUK"}
STATUSES = [S.DRAFT, S.SENT, S.ACCEPTED, S.IN_PROGRESS, S.RESOLVED, S.REJECTED, S.CANCELLED]
START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)

record = st.fixed_dictionaries(
    {
        "village": st.sampled_from(VILLAGES),
        "need": st.sampled_from(NEEDS),
        "channel": st.sampled_from(list(m.Channel)),
        "created_day": st.integers(0, 300),
        "status": st.sampled_from(STATUSES),
        "accept_after": st.integers(0, 12),
        "resolve_after": st.integers(0, 40),
        "closed_case": st.booleans(),
        "rating": st.none() | st.integers(1, 5),
        "referred": st.booleans(),
    }
)


def _wipe() -> None:
    for model in (
        ReportTally,
        RegionTally,
        ReportVillage,
        SurveyResponse,
        ReferralEvent,
        Referral,
        m.Need,
        m.Case,
        m.Person,
    ):
        db.session.execute(sa.delete(model))
    db.session.execute(sa.delete(m.Household))
    db.session.commit()


def _agency() -> Agency:
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == "DINSOS-3204"))
    return agency or factories.make_agency("DINSOS-3204")


def _make(rec: dict, agency: Agency) -> dict:
    """One case (and maybe one referral and a survey answer); returns the facts the test expects."""
    created = START + timedelta(days=rec["created_day"], hours=rec["created_day"] % 20)
    person = factories.make_person(rec["village"])
    case = m.Case(
        tracking_code=tracking.generate(),
        channel=rec["channel"],
        type=m.CaseType.NEED,
        village_code=rec["village"],
        reporter=person,
        household=person.household,
        created_at=created,
        status=m.CaseStatus.CLOSED if rec["closed_case"] else m.CaseStatus.OPEN,
    )
    need = m.Need(case=case, category_code=rec["need"], person=person)
    db.session.add_all([case, need])
    facts = {"village": rec["village"], "accept": None, "resolve": None, "referral": False}
    if rec["referred"]:
        service = db.session.scalar(sa.select(Service).where(Service.code == SERVICES[rec["need"]]))
        status = rec["status"]
        sent = created + timedelta(hours=3) if status is not S.DRAFT else None
        referral = Referral(
            case=case,
            need=need,
            service=service,
            agency=agency,
            status=status,
            village_code=rec["village"],
            created_at=created,
            sent_at=sent,
        )
        db.session.add(referral)
        facts["referral"] = True
        if sent:
            db.session.add(ReferralEvent(referral=referral, from_status=S.DRAFT, to_status=S.SENT, at=sent))
            if status in (S.ACCEPTED, S.IN_PROGRESS, S.RESOLVED):
                accepted = sent + timedelta(days=rec["accept_after"])
                db.session.add(
                    ReferralEvent(referral=referral, from_status=S.SENT, to_status=S.ACCEPTED, at=accepted)
                )
                facts["accept"] = working_days_between(
                    sent.astimezone(JAKARTA).date(), accepted.astimezone(JAKARTA).date()
                )
            if status in (S.RESOLVED, S.REJECTED, S.CANCELLED):
                referral.closed_at = sent + timedelta(days=rec["accept_after"] + rec["resolve_after"])
                if status is S.RESOLVED:
                    facts["resolve"] = working_days_between(
                        sent.astimezone(JAKARTA).date(), referral.closed_at.astimezone(JAKARTA).date()
                    )
    if rec["rating"] and rec["closed_case"]:
        db.session.flush()
        db.session.add(SurveyResponse(case_id=case.id, village_code=rec["village"], rating=rec["rating"]))
    return facts


def _in(code: str | None, village: str) -> bool:
    return not code or village == code or village.startswith(code + ".")


ADDITIVE = (
    [
        ("case", "total", ""),
        ("case", "desk_resolved", ""),
        ("referral", "total", ""),
        ("referral", "outcome", "open"),
    ]
    + [("case", "need", n) for n in NEEDS]
    + [("referral", "status", s.value) for s in STATUSES]
    + [("referral", "channel", c.value) for c in m.Channel]
    + [("survey", "rating", str(r)) for r in range(1, 6)]
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(record, min_size=1, max_size=25))
def test_every_level_sums_its_children_and_medians_are_those_of_the_records(app, records):
    _wipe()
    load_catalog()
    agency = _agency()
    facts = [_make(rec, agency) for rec in records]
    db.session.commit()  # the commit itself refreshes the tallies of the villages touched

    levels = {
        None: ["32", "35"],
        "32": ["32.04", "32.73"],
        "32.04": ["32.04.05", "32.04.06"],
        "32.04.05": ["32.04.05.2001", "32.04.05.2002"],
    }
    for parent, kids in levels.items():
        up = rollup(parent)
        by_code = {r.code: f for r, f in up.children}
        # The children shown add up to the total row, figure by figure.
        summed = sum((f for _r, f in up.children), Figures())
        assert summed.counts == +up.total.counts
        for kid in kids:
            # A child's own dashboard shows what its parent's breakdown row shows.
            own = rollup(kid).total
            for figure in ADDITIVE:
                assert own.n(*figure) == by_code[kid].n(*figure), (parent, kid, figure)
            assert own.histogram("accept_days") == by_code[kid].histogram("accept_days")

    for code in [None, "32", "35", "32.04", "32.73", "32.04.05", "32.04.06", *VILLAGES]:
        total = rollup(code).total
        mine = [f for f in facts if _in(code, f["village"])]
        assert total.n("case") == len(mine)
        assert total.n("referral") == sum(f["referral"] for f in mine)
        accept = [f["accept"] for f in mine if f["accept"] is not None]
        resolve = [f["resolve"] for f in mine if f["resolve"] is not None]
        assert total.median_days("accept_days") == (statistics.median(accept) if accept else None)
        assert total.median_days("resolve_days") == (statistics.median(resolve) if resolve else None)

    # The district, regency and province sums (what dashboards above a district read) are kept
    # in step with the villages by adding each commit's change: true after the first commit, and
    # after a second that moves counts down as well as up.
    _assert_region_sums_match_the_villages()
    for referral in db.session.scalars(sa.select(Referral).where(Referral.id % 2 == 0)):
        referral.status = S.CANCELLED
    for answer in db.session.scalars(sa.select(SurveyResponse).limit(1)):
        db.session.delete(answer)
    # A record moved to another month: both months' rows are recomputed.
    for referral in db.session.scalars(sa.select(Referral).limit(1)):
        referral.created_at -= timedelta(days=40)
    db.session.commit()
    _assert_region_sums_match_the_villages()
    _assert_tallies_are_those_of_a_rebuild()


def _assert_tallies_are_those_of_a_rebuild() -> None:
    """What the commits left equals a recomputation from scratch."""
    columns = [ReportTally.village_code, ReportTally.month, ReportTally.subject, ReportTally.figure]
    query = sa.select(*columns, ReportTally.key, ReportTally.count)
    kept = {tuple(row[:5]): row[5] for row in db.session.execute(query)}
    tally.rebuild()
    rebuilt = {tuple(row[:5]): row[5] for row in db.session.execute(query)}
    db.session.rollback()
    assert kept == rebuilt


def test_two_commits_in_one_village_at_once_both_count(app):
    """Every commit recomputes its village's tallies. Two at once in one village collided on
    PostgreSQL: the second INSERT met the rows the first had just written (a 500 for the second
    desk officer). The village's row in report_villages now makes them take turns."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time on its own")
    load_catalog()
    db.session.commit()
    barrier, errors = threading.Barrier(2), []

    def desk() -> None:
        with app.app_context():
            try:
                for _ in range(3):
                    factories.make_case(factories.VILLAGE_A)  # flushed, not yet committed
                    barrier.wait(timeout=20)
                    db.session.commit()  # both commits now recompute the same village
            except Exception as exc:
                errors.append(exc)
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=desk) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert rollup(factories.VILLAGE_A).total.n("case") == 6
    _assert_region_sums_match_the_villages()


def _assert_region_sums_match_the_villages() -> None:
    village_rows = db.session.execute(
        sa.select(
            ReportTally.village_code,
            ReportTally.month,
            ReportTally.subject,
            ReportTally.figure,
            ReportTally.key,
            ReportTally.count,
        )
    ).all()
    expected: Counter = Counter()
    for village, *key, n in village_rows:
        for level in REGION_LEVELS:
            expected[(level, village[: CODE_WIDTH[level]], *key)] += n
    stored = db.session.execute(
        sa.select(
            RegionTally.level,
            RegionTally.region_code,
            RegionTally.month,
            RegionTally.subject,
            RegionTally.figure,
            RegionTally.key,
            RegionTally.count,
        )
    ).all()
    assert Counter({tuple(row[:6]): row[6] for row in stored if row[6]}) == +expected
    assert all(row[6] > 0 for row in stored), "no region row is left at zero or below"


def test_tallies_follow_a_referral_through_its_transitions(world, app):
    from slrt.referrals import transitions

    referral = world.referral_a
    referral.sent_at = datetime.now(UTC)
    db.session.commit()
    assert rollup(factories.VILLAGE_A).total.n("referral", "status", "sent") == 1
    transitions.transition(referral, S.ACCEPTED, world.users["agency"])
    db.session.commit()
    total = rollup(factories.VILLAGE_A).total
    assert total.n("referral", "status", "sent") == 0
    assert total.n("referral", "status", "accepted") == 1
    assert total.median_days("accept_days") == 0


def _numbers_and_links(html: str) -> list[tuple[int, str]]:
    found = re.findall(r'<a class="rep-num" href="([^"]+)">([\d.]+)</a>', html)
    return [(int(n.replace(".", "")), href.replace("&amp;", "&")) for href, n in found]


def test_every_number_on_the_dashboard_links_to_that_many_records(client, auth, world):
    from slrt.referrals import transitions

    transitions.transition(world.referral_b, S.ACCEPTED, world.users["other_agency"])
    extra = factories.make_case(factories.VILLAGE_B, world.office_b, need="lansia")
    extra.channel = m.Channel.PHONE
    extra.status = m.CaseStatus.CLOSED
    db.session.commit()
    auth.login("slrt.bdg")
    html = client.get("/reports/").get_data(as_text=True)
    links = _numbers_and_links(html)
    assert len(links) > 30
    for number, href in links:
        page = client.get(href)
        assert page.status_code == 200, href
        shown = re.search(r'data-total="(\d+)"', page.get_data(as_text=True))
        assert int(shown.group(1)) == number, href


def test_dashboard_breakdown_lists_districts_of_the_regency_with_a_total_row(client, auth, world):
    auth.login("slrt.bdg")
    html = client.get("/reports/").get_data(as_text=True)
    assert "Kabupaten Bandung" in html or "BANDUNG" in html.upper()
    assert "Cileunyi" in html and "Jumlah" in html
    assert "<svg" in html and "style=" not in html.split("<main", 1)[1]


@pytest.mark.parametrize(
    ("username", "region"),
    [
        ("desk.a", factories.VILLAGE_B),
        ("desk.a", "32.04"),
        ("slrt.bdg", "32.73"),
        ("slrt.bdg", "32"),
        ("admin.jabar", "35"),
        ("admin.jabar", "99.99"),
    ],
)
def test_region_outside_the_users_scope_is_not_found(client, auth, world, username, region):
    auth.login(username)
    for path in ("/reports/", "/reports/records", "/reports/records.csv", "/reports/monthly.xlsx"):
        assert client.get(path, query_string={"region": region}).status_code == 404, path


def test_records_list_never_leaves_the_users_scope(client, auth, world):
    auth.login("desk.a")
    body = client.get("/reports/records.csv", query_string={"subject": "case"}).get_data(as_text=True)
    # Tracking codes as printed on the receipt, with their dashes (issue 20 item 14).
    assert tracking.display(world.case_a.tracking_code) in body
    assert tracking.display(world.case_b.tracking_code) not in body
    assert tracking.display(world.case_other.tracking_code) not in body


def test_agency_officers_have_no_dashboard(client, auth, world):
    auth.login("dinsos")
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/monthly.csv").status_code == 403


def test_bad_filters_answer_400_with_a_message(client, auth, world):
    auth.login("slrt.bdg")
    for query in (
        {"figure": "nope"},
        {"figure": "status", "key": "nope"},
        {"from": "2026-13"},
        {"subject": "x"},
    ):
        response = client.get("/reports/records", query_string=query)
        assert response.status_code == 400, query
        assert "tidak dikenal" in response.get_data(as_text=True) or "Bulan" in response.get_data(
            as_text=True
        )


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_that_start_like_a_formula_get_an_apostrophe(start):
    assert neutralise(start + "1+1") == "'" + start + "1+1"
    assert neutralise("Siti " + start) == "Siti " + start
    assert neutralise(42) == 42


def _formula_case(world):
    person = factories.make_person(factories.VILLAGE_A, name='=HYPERLINK("http://evil.example","klik")')
    person.phone = "+6281234567890"
    person.household.street = "@SUM(1+1)"
    case = factories.make_case(factories.VILLAGE_A, world.office_a, reporter=person)
    db.session.commit()
    return case


def test_csv_export_has_a_bom_and_neutralises_formulas(client, auth, world):
    case = _formula_case(world)
    auth.login("desk.a")
    response = client.get("/reports/records.csv", query_string={"subject": "case"})
    assert response.status_code == 200
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    row = next(r for r in rows if r[0] == tracking.display(case.tracking_code))
    assert '\'=HYPERLINK("http://evil.example","klik")' in row
    assert "'+6281234567890" in row
    assert "'@SUM(1+1)" in row
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_xlsx_export_stores_formula_like_text_as_text(client, auth, world):
    _formula_case(world)
    auth.login("desk.a")
    response = client.get("/reports/records.xlsx", query_string={"subject": "case"})
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    cells = [c for row in book.active.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    # A text cell, which no spreadsheet runs, without the CSV's visible apostrophe (issue 20 item 14).
    hyperlink = next(c for c in cells if c.value == '=HYPERLINK("http://evil.example","klik")')
    assert hyperlink.data_type == "s"
    phone = next(c for c in cells if c.value == "+6281234567890")
    assert phone.data_type == "s"


def test_every_export_is_audited_with_list_filters_and_row_count(client, auth, world):
    auth.login("slrt.bdg")
    client.get(
        "/reports/records.csv", query_string={"subject": "referral", "figure": "status", "key": "sent"}
    )
    client.get("/reports/export/overdue.xlsx")
    client.get("/reports/monthly.csv")
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "report.export")).all()
    assert [e.detail["list"] for e in events] == ["records", "overdue", "monthly"]
    assert events[0].detail["rows"] == 2 and events[0].detail["filters"]["key"] == "sent"
    assert events[0].actor_id == world.users["slrt"].id


def test_administrators_export_no_personal_fields(client, auth, world):
    auth.login("admin.jabar")
    body = client.get("/reports/records.csv", query_string={"subject": "referral"}).get_data(as_text=True)
    assert "Siti Aminah" not in body and "Budi Santoso" not in body
    assert "Nama pelapor" not in body and tracking.display(world.case_a.tracking_code) in body


def test_agency_export_hides_the_reporter_of_an_anonymous_case(client, auth, world):
    world.case_a.anonymous = True
    other = factories.make_case(
        factories.VILLAGE_B,
        world.office_b,
        reporter=factories.make_person(factories.VILLAGE_B, name="Wati Lestari"),
    )
    factories.make_referral(other, agency=world.agency)
    db.session.commit()
    auth.login("dinsos")
    body = client.get("/reports/export/inbox.csv").get_data(as_text=True)
    assert "Wati Lestari" in body
    assert world.case_a.reporter.name not in body
    assert "Budi Santoso" not in body  # another agency's referral


def test_no_export_carries_nik_or_family_card_numbers(client, auth, world):
    world.case_a.reporter.nik = "3204054101900001"
    world.case_a.household.kk_number = "3204050101090001"
    db.session.commit()
    auth.login("slrt.bdg")
    for path in ("/reports/records.csv?subject=case", "/reports/records.csv", "/reports/export/cases.csv"):
        body = client.get(path).get_data(as_text=True)
        assert "3204054101900001" not in body and "3204050101090001" not in body


def test_list_pages_offer_downloads(client, auth, world):
    auth.login("desk.a")
    assert "/reports/export/cases.csv" in client.get("/").get_data(as_text=True)
    assert "/reports/export/overdue.xlsx" in client.get("/referrals/overdue").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    auth.login("dinsos")
    inbox = client.get("/referrals/inbox?status=sent").get_data(as_text=True)
    assert "/reports/export/inbox.csv?status=sent" in inbox
    assert client.get("/reports/export/inbox.csv?status=sent").status_code == 200
    assert client.get("/reports/export/overdue.csv").status_code == 403


def test_monthly_report_sums_child_regions_into_the_total_row(client, auth, world):
    auth.login("slrt.bdg")
    body = client.get("/reports/monthly.csv").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    cases = [r for r in rows if r["Indikator"] == "Kasus"]
    total = next(r for r in cases if r["Kode wilayah"] == "32.04")
    assert int(total["Nilai"]) == sum(int(r["Nilai"]) for r in cases if r["Kode wilayah"] != "32.04") == 2


def test_refresh_command_rebuilds_tallies_written_around_the_app(runner, world):
    db.session.execute(sa.delete(ReportTally))
    db.session.execute(sa.delete(RegionTally))
    db.session.commit()
    assert rollup("32.04").total.n("case") == 0
    result = runner.invoke(args=["reports", "refresh"])
    assert result.exit_code == 0, result.output
    assert rollup("32.04").total.n("case") == 2
    _assert_region_sums_match_the_villages()


def test_the_dashboard_folds_away_regions_without_data_and_can_show_them(client, auth, world):
    """Most districts of a regency are all zeros: folded away with a count, shown on request
    (issue 20 item 6). The total row stays the whole regency's."""
    from slrt.regions.models import Region

    districts = db.session.scalars(sa.select(Region.name).where(Region.parent_code == "32.04")).all()
    with_data = {"Cileunyi"}
    assert len(districts) > len(with_data)
    auth.login("slrt.bdg")
    folded = client.get("/reports/").get_data(as_text=True)
    table = folded.split('class="card table-wrap rep-regions"', 1)[1].split("</section>", 1)[0]
    assert "Cileunyi" in table
    assert f"{len(districts) - len(with_data)} wilayah tanpa data disembunyikan." in table
    shown = client.get("/reports/", query_string={"kosong": "tampil"}).get_data(as_text=True)
    table = shown.split('class="card table-wrap rep-regions"', 1)[1].split("</section>", 1)[0]
    assert all(name in table for name in districts)
    assert "Sembunyikan wilayah tanpa data" in table


def test_the_dashboard_offers_this_month_and_last_month_from_the_office_day(client, auth, world):
    from datetime import timedelta

    from slrt.core.workdays import local_today

    this = local_today().replace(day=1)
    last = (this - timedelta(days=1)).replace(day=1)
    auth.login("slrt.bdg")
    html = client.get("/reports/").get_data(as_text=True)
    for label, month in (("Bulan ini", this), ("Bulan lalu", last)):
        m = month.strftime("%Y-%m")
        assert re.search(rf'href="/reports/\?region=32.04&amp;from={m}&amp;to={m}">{label}</a>', html), label
    chosen = client.get(
        "/reports/", query_string={"from": last.strftime("%Y-%m"), "to": last.strftime("%Y-%m")}
    )
    html = chosen.get_data(as_text=True)
    assert re.search(r'aria-current="true"\s+href="[^"]+">Bulan lalu</a>', html)
    assert f'<option value="{last.strftime("%Y-%m")}" selected>' in html
    assert 'type="month"' not in html  # no "--------- ----" in an empty month field


def test_not_granted_referrals_are_counted_by_their_reason(client, auth, world):
    from slrt.referrals import transitions

    referral = world.referral_a
    for to in (S.ACCEPTED, S.IN_PROGRESS):
        transitions.transition(referral, to, world.users["agency"])
    transitions.transition(
        referral,
        S.RESOLVED,
        world.users["agency"],
        outcome="not_granted",
        reason="quota_full",
        note="Kuota habis",
    )
    db.session.commit()
    assert rollup("32.04").total.breakdown("referral", "not_granted_reason") == [("quota_full", 1)]
    auth.login("slrt.bdg")
    html = client.get("/reports/").get_data(as_text=True)
    assert "Rujukan yang tidak dapat diberikan, menurut alasan" in html
    assert "Kuota sudah penuh" in html
    (href,) = [h for _n, h in _numbers_and_links(html) if "not_granted_reason" in h]
    page = client.get(href).get_data(as_text=True)
    assert 'data-total="1"' in page
    body = client.get("/reports/monthly.csv").get_data().decode("utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(body)) if r["Kode wilayah"] == "32.04"]
    row = next(r for r in rows if r["Indikator"] == "Rujukan tidak dapat diberikan menurut alasan")
    assert "Kuota sudah penuh" in row.values() and row["Nilai"] == "1"
