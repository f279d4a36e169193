"""The agency loop (issue 17): 'today' in the office's own time zone, deadlines in working days on
every list, at risk two working days ahead, overdue first, the inbox search; reminders and
escalation (each once, received on loopback SMTP); bulk approval and bulk submission."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from slrt.core.workdays import calendar_for, local_today, zone_name
from slrt.extensions import db
from slrt.notifications.models import Notification, NotificationChannel
from slrt.referrals.breaches import sweep
from slrt.referrals.deadlines import deadline_status, deadline_words, risk_from
from slrt.referrals.models import DeadlineStatus, Referral, ReferralEvent
from slrt.referrals.models import ReferralStatus as S
from slrt.referrals.reminders import ReferralReminder
from tests.factories import VILLAGE_A
from tests.referral_factories import referral_in
from tests.test_referral_sla import smtp_server  # noqa: F401 - the loopback SMTP fixture


def test_today_is_the_office_own_day_wib_wita_wit():
    late_evening_utc = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)  # 23.30 WIB, 00.30 WITA
    assert local_today("32.04.05.2001", late_evening_utc) == date(2026, 12, 1)
    assert local_today("51.71", late_evening_utc) == date(2026, 12, 2)  # Denpasar
    assert local_today("91.71", late_evening_utc) == date(2026, 12, 2)  # Jayapura
    assert local_today(None, datetime(2026, 12, 1, 23, 30, tzinfo=UTC)) == date(2026, 12, 2)
    assert [zone_name(c) for c in ("32.04", "51", "73.71", "81", "96")] == [
        "WIB",
        "WITA",
        "WITA",
        "WIT",
        "WIT",
    ]


def _due_in(world, working_days: int, status: S = S.SENT):
    """A referral whose running clock is due `working_days` working days from the office's today
    (negative: that many working days overdue)."""
    cal = calendar_for(VILLAGE_A)
    today = local_today(VILLAGE_A)
    referral = referral_in(world, status)
    if working_days >= 0:
        due = cal.add(today, working_days)
    else:
        due = today
        while cal.between(due, today) < -working_days:
            due -= timedelta(days=1)
    start = due - timedelta(days=30)
    if status is S.SENT:
        referral.respond_due, referral.respond_risk_from = due, risk_from(cal, start, due)
    else:
        referral.resolve_due, referral.resolve_risk_from = due, risk_from(cal, start, due)
    db.session.flush()
    return referral


def test_due_tomorrow_is_at_risk_not_on_track(world, app):
    with app.test_request_context():
        tomorrow = _due_in(world, 1)
        later = _due_in(world, 10)
        assert deadline_status(tomorrow) is DeadlineStatus.AT_RISK
        assert deadline_status(later) is DeadlineStatus.ON_TRACK
        assert deadline_words(tomorrow).startswith("sisa 1 hari kerja · batas ")


def test_at_risk_days_are_configurable(world, app):
    app.config["AT_RISK_WORKING_DAYS"] = 5
    try:
        cal = calendar_for(VILLAGE_A)
        mon = date(2026, 11, 2)
        due = cal.add(mon, 20)
        assert cal.between(risk_from(cal, mon, due), due) == 5
    finally:
        app.config["AT_RISK_WORKING_DAYS"] = 2


def test_inbox_counts_at_risk_says_working_days_and_sorts_overdue_first(world, client, auth):
    on_track = _due_in(world, 10)
    tomorrow = _due_in(world, 1)
    late = _due_in(world, -4)
    db.session.commit()
    auth.login("dinsos")
    html = client.get("/referrals/inbox").get_data(as_text=True)
    assert "terlambat 4 hari kerja · batas" in html
    assert "sisa 1 hari kerja · batas" in html and "sisa 10 hari kerja" in html
    # Overdue first, then by due date.
    rows = [html.index(f'/referrals/{r.id}"') for r in (late, tomorrow, on_track)]
    assert rows == sorted(rows)
    stats = html.split('class="stats"')[1].split("</div>")[0]
    at_risk = stats.split("Hampir jatuh tempo")[0].rsplit('stat-num">', 1)[1].split("<")[0]
    assert at_risk == "1"
    detail = client.get(f"/referrals/{tomorrow.id}").get_data(as_text=True)
    assert "Hampir jatuh tempo" in detail and "sisa 1 hari kerja" in detail


def test_inbox_searches_by_letter_number_tracking_code_and_name(world, client, auth):
    from slrt.core import tracking

    mine = referral_in(world, S.SENT)
    other = referral_in(world, S.SENT, case=world.case_b) if world.case_b.village_code == VILLAGE_A else None
    db.session.commit()
    auth.login("dinsos")
    by_letter = client.get("/referrals/inbox", query_string={"q": mine.letter_number}).get_data(as_text=True)
    assert f'/referrals/{mine.id}"' in by_letter and "1 rujukan" in by_letter
    code = tracking.display(world.case_a.tracking_code)
    by_code = client.get("/referrals/inbox", query_string={"q": code}).get_data(as_text=True)
    assert f'/referrals/{mine.id}"' in by_code
    if other is not None:
        assert f'/referrals/{other.id}"' not in by_code
    name = world.case_a.reporter.name.split()[0]
    by_name = client.get("/referrals/inbox", query_string={"q": name}).get_data(as_text=True)
    assert f'/referrals/{mine.id}"' in by_name
    nothing = client.get("/referrals/inbox", query_string={"q": "zzqx"}).get_data(as_text=True)
    assert "0 rujukan" in nothing


def test_inbox_search_by_personal_number_leaves_the_url(world, client, auth):
    auth.login("dinsos")
    response = client.get("/referrals/inbox", query_string={"q": "3204051234560001"})
    assert response.status_code == 302
    assert "3204051234560001" not in response.headers["Location"]
    assert "held=1" in response.headers["Location"]


# --- reminders and escalation ---------------------------------------------------------------


def _contacts(world):
    world.users["agency"].email = "dinsos@example.go.id"
    world.agency.phone = "+62227000001"
    world.agency.head_name = "Kepala Dinas Sosial"
    world.agency.head_email = "kadis@example.go.id"
    world.agency.head_phone = "+62811000002"


def _mail_to(received, address):
    return [m for m in received if m["To"] == address]


def test_sweep_reminds_once_at_risk_and_escalates_once_at_breach(world, smtp_server, runner):  # noqa: F811
    _contacts(world)
    at_risk = _due_in(world, 1)
    late = _due_in(world, -3)
    on_track = _due_in(world, 10)
    db.session.commit()
    for _ in range(3):  # the sweep runs every few minutes
        sweep()
        db.session.commit()
    kinds = db.session.execute(sa.select(ReferralReminder.referral_id, ReferralReminder.kind)).all()
    assert sorted((r, k.value) for r, k in kinds) == sorted(
        [(at_risk.id, "at_risk"), (late.id, "escalation")]
    )
    assert on_track.id not in {r for r, _k in kinds}
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0
    to_head = _mail_to(smtp_server, "kadis@example.go.id")
    assert len(to_head) == 1 and "Eskalasi rujukan terlambat" in " ".join(to_head[0]["Subject"].split())
    reminders_to_agency = [
        m
        for m in _mail_to(smtp_server, "dinsos@example.go.id")
        if "Pengingat" in " ".join(m["Subject"].split())
    ]
    assert len(reminders_to_agency) == 1
    sms = db.session.scalars(
        sa.select(Notification.recipient).where(
            Notification.channel == NotificationChannel.SMS,
            Notification.template.in_(("referral_reminder", "referral_escalation")),
        )
    ).all()
    assert sorted(sms) == ["+62227000001", "+62811000002"]
    trail = db.session.scalars(
        sa.select(ReferralEvent.note).where(ReferralEvent.referral_id == late.id)
    ).all()
    assert any("Eskalasi ke pimpinan lembaga" in (n or "") for n in trail)


def test_no_escalation_when_switched_off(world, app):
    _contacts(world)
    late = _due_in(world, -3)
    db.session.commit()
    app.config["ESCALATE_TO_AGENCY_HEAD"] = False
    try:
        sweep()
    finally:
        app.config["ESCALATE_TO_AGENCY_HEAD"] = True
    assert not db.session.scalars(
        sa.select(ReferralReminder).where(ReferralReminder.referral_id == late.id)
    ).all()


def test_slrt_sends_a_reminder_from_the_overdue_list(world, client, auth, smtp_server, runner):  # noqa: F811
    _contacts(world)
    late = _due_in(world, -2)
    db.session.commit()
    auth.login("slrt.bdg")
    page = client.get("/referrals/overdue").get_data(as_text=True)
    assert "Kirim pengingat" in page and "terlambat 2 hari kerja" in page
    response = auth.post(
        f"/referrals/{late.id}/remind",
        {"version": late.version, "next": "/referrals/overdue"},
        page="/referrals/overdue",
    )
    assert response.status_code == 302
    assert runner.invoke(args=["notifications", "send"]).exit_code == 0
    assert len(_mail_to(smtp_server, "dinsos@example.go.id")) == 1
    detail = client.get(f"/referrals/{late.id}").get_data(as_text=True)
    assert "Pengingat dikirim ke lembaga: dinsos@example.go.id, +62227000001." in detail
    from slrt.core.audit import AuditEvent

    assert db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "referral.remind"))


# --- bulk ---------------------------------------------------------------------------------------


def test_coordinator_approves_several_at_once_and_one_refused_says_why(world, client, auth):
    world.office_a.requires_approval = True
    first = referral_in(world, S.AWAITING_APPROVAL)
    second = referral_in(world, S.AWAITING_APPROVAL)
    no_agency = referral_in(world, S.AWAITING_APPROVAL)
    no_agency.agency_id = None
    db.session.commit()
    auth.login("koor.a")
    page = client.get("/referrals/approvals").get_data(as_text=True)
    assert 'form="bulk-approve"' in page and "Setujui dan kirim yang dipilih" in page
    data = {"referral": [first.id, second.id, no_agency.id]}
    for r in (first, second, no_agency):
        data[f"version-{r.id}"] = r.version
    response = auth.post("/referrals/approvals/bulk", data, page="/referrals/approvals")
    assert response.status_code == 302
    db.session.expire_all()
    statuses = {r.id: r.status for r in db.session.scalars(sa.select(Referral))}
    assert statuses[first.id] is S.SENT and statuses[second.id] is S.SENT
    assert statuses[no_agency.id] is S.AWAITING_APPROVAL
    html = client.get("/referrals/approvals").get_data(as_text=True)
    assert "2 rujukan disetujui dan dikirim ke lembaga." in html
    assert f"(#{no_agency.id}) tidak diproses: Tentukan dulu lembaga penerima" in html
    assert db.session.get(Referral, first.id).letter_number  # each went as if alone


def test_desk_submits_all_drafts_of_a_case_at_once(world, client, auth):
    drafts = [referral_in(world, S.DRAFT, service=code) for code in ("BPNT", "PKH")]
    db.session.commit()
    auth.login("desk.a")
    case_page = client.get(f"/cases/{world.case_a.id}").get_data(as_text=True)
    assert "Ajukan semua draf" in case_page
    response = auth.post(f"/cases/{world.case_a.id}/send-drafts", {}, page=f"/cases/{world.case_a.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Referral, d.id).status for d in drafts] == [S.SENT, S.SENT]


# --- what the agency needs ----------------------------------------------------------------------


def test_agency_page_shows_contact_address_desk_note_and_reasons(world, client, auth):
    from slrt.referrals.transitions import transition

    reporter = world.case_a.reporter
    reporter.phone = "+6281311112222"
    referral = referral_in(world, S.DRAFT)
    transition(referral, "sent", world.users["desk_a"], note="Warga hanya bisa ditemui sore hari.")
    db.session.commit()
    auth.login("dinsos")
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "+6281311112222" in html and "Warga hanya bisa ditemui sore hari." in html
    assert "Kontak warga" in html
    world.case_a.anonymous = True
    db.session.commit()
    hidden = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "+6281311112222" not in hidden and "Kontak warga" not in hidden


def test_not_granted_needs_a_coded_reason_and_partly_delivered_exists(world):
    import pytest

    from slrt.accounts.services import ValidationFailed
    from slrt.referrals.transitions import transition

    referral = referral_in(world, S.IN_PROGRESS)
    with pytest.raises(ValidationFailed) as refused:
        transition(referral, "resolved", world.users["agency"], outcome="not_granted", note="Kuota habis")
    assert "reason" in refused.value.errors
    transition(
        referral,
        "resolved",
        world.users["agency"],
        outcome="not_granted",
        reason="quota_full",
        note="Kuota habis",
    )
    assert referral.outcome_reason == "quota_full"
    other = referral_in(world, S.IN_PROGRESS, service="PKH")
    transition(other, "resolved", world.users["agency"], outcome="partly_delivered")
    assert other.outcome == "partly_delivered" and other.outcome_reason is None


def test_what_the_agency_sees_of_the_citizens_contact_follows_the_referrals_service(world, client, auth):
    """A violence case's agency gets the phone, not the home address; a service set to 'name only'
    shows neither, nor the scans, in the page, the inbox export or the attachment's own URL."""
    from slrt.directory.models import AgencyContact, Service
    from slrt.intake import models as m
    from slrt.intake import uploads as attachments

    reporter = world.case_a.reporter
    reporter.phone = "+6281311112222"
    world.case_a.household.street, world.case_a.household.rt = "Jl. Melati 7", "003"
    scan = m.Attachment(
        case=world.case_a,
        kind=m.AttachmentKind.KTP,
        original_name="ktp.jpg",
        stored_name="ktp-a.jpg",
        content_type="image/jpeg",
        size=3,
    )
    db.session.add(scan)
    db.session.flush()
    path = attachments.attachment_path(scan)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff")
    referral = referral_in(world, S.SENT)
    service = db.session.scalar(sa.select(Service).where(Service.code == "BPNT"))
    db.session.commit()
    auth.login("dinsos")

    def seen() -> tuple[str, str]:
        page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
        export = client.get("/reports/export/inbox.csv").get_data().decode("utf-8-sig")
        return page, export

    page, export = seen()
    assert "+6281311112222" in page and "Jl. Melati 7, RT 003" in page and "ktp.jpg" in page
    assert "+6281311112222" in export and "Jl. Melati 7" in export
    assert client.get(f"/attachments/{scan.id}").status_code == 200

    service.agency_contact = AgencyContact.PHONE
    db.session.commit()
    page, export = seen()
    assert "+6281311112222" in page and "Jl. Melati 7" not in page and "ktp.jpg" in page
    assert "hubungi desk pengirim untuk mengatur pertemuan" in page
    assert "+6281311112222" in export and "Jl. Melati 7" not in export

    service.agency_contact = AgencyContact.NAME
    db.session.commit()
    page, export = seen()
    assert "+6281311112222" not in page and "Jl. Melati 7" not in page and "ktp.jpg" not in page
    assert "+6281311112222" not in export and "Jl. Melati 7" not in export
    assert client.get(f"/attachments/{scan.id}").status_code == 404
    assert reporter.name in page  # the name stays: the agency acts on the person


def test_the_catalogue_gives_the_violence_service_the_phone_not_the_address(world):
    from slrt.directory.models import AgencyContact, Service

    uptd = db.session.scalar(sa.select(Service).where(Service.code == "UPTD-PPA"))
    assert uptd.agency_contact is AgencyContact.PHONE
    assert (
        db.session.scalar(sa.select(Service).where(Service.code == "PKH")).agency_contact
        is AgencyContact.FULL
    )
