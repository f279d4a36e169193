"""The visitor queue (antrean): numbers per office and local day, fast track first, calling the
next visitor (never the same one twice), the 80 mm ticket, and the public display (no names)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from slrt.extensions import db
from slrt.intake import models as m
from slrt.queue import services as queue
from slrt.queue.models import QueueTicket, TicketStatus
from tests import factories
from tests.intake_factories import intake_form, post_intake
from tests.letter_factories import pdf_text

VISITOR = "Zulaikha Wiryawangsa"


def ticket_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(QueueTicket)) or 0


def issue(office, fast_track=False, **kwargs) -> QueueTicket:
    ticket = queue.issue(queue.today_queue(office), None, fast_track=fast_track, **kwargs)
    db.session.commit()
    return ticket


def test_numbers_run_per_kind_and_fast_track_is_called_first(world):
    numbers = [issue(world.office_a, fast).number for fast in (False, False, True, False, True)]
    assert numbers == ["001", "002", "P-01", "003", "P-02"]
    today = queue.today_queue(world.office_a)
    called = [queue.call_next(today, world.users["desk_a"], "1").number for _ in range(5)]
    assert called == ["P-01", "P-02", "001", "002", "003"]
    assert queue.call_next(today, world.users["desk_a"]) is None
    # Each office counts its own visitors.
    assert issue(world.office_b).number == "001"


def test_numbers_restart_on_the_offices_own_day_not_utc(world, monkeypatch):
    bali = factories.make_office("PKS-BALI", "51.71.01.2007")  # Denpasar: WITA, UTC+8
    db.session.commit()
    # 16.30 UTC on 2 December: 23.30 in Bandung (WIB), already 00.30 on 3 December in Bali.
    monkeypatch.setattr(queue, "utcnow", lambda: datetime(2026, 12, 2, 16, 30, tzinfo=UTC))
    assert [issue(world.office_a).number, issue(world.office_a).number] == ["001", "002"]
    assert issue(bali).day.isoformat() == "2026-12-03"
    assert queue.today_queue(world.office_a).day.isoformat() == "2026-12-02"
    # 17.00 UTC: midnight in Bandung, a new day and a new run of numbers.
    monkeypatch.setattr(queue, "utcnow", lambda: datetime(2026, 12, 2, 17, 0, tzinfo=UTC))
    fresh = issue(world.office_a)
    assert (fresh.number, fresh.day.isoformat()) == ("001", "2026-12-03")
    # Yesterday's waiting visitors are not called today.
    assert queue.call_next(queue.today_queue(world.office_a), None).id == fresh.id


def test_a_desk_gives_a_number_prints_it_and_calls_it(client, auth, world, monkeypatch):
    monkeypatch.setattr(queue, "utcnow", lambda: datetime(2026, 12, 2, 1, 5, tzinfo=UTC))
    auth.login("desk.a")
    response = auth.post(
        "/antrean/nomor", {"fast_track": "y", "reason": "lansia", "visitor_name": VISITOR}, page="/antrean/"
    )
    assert response.status_code == 302
    ticket = db.session.scalar(sa.select(QueueTicket))
    assert (ticket.number, ticket.fast_track_reason, ticket.visitor_name) == ("P-01", "lansia", VISITOR)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nomor P-01 diberikan." in page and VISITOR in page  # the staff page knows the name
    pdf = client.get(f"/antrean/{ticket.id}/tiket.pdf")
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "P-01" in text and "Kantor PKS-A" in text and "JALUR CEPAT" in text
    assert "2 Desember 2026 08.05 WIB" in text  # the office's clock
    assert VISITOR not in text  # a ticket is left on chairs
    called = auth.post("/antrean/panggil", {"counter": "2"}, page="/antrean/")
    assert called.status_code == 302
    db.session.expire_all()
    ticket = db.session.get(QueueTicket, ticket.id)
    assert (ticket.status, ticket.counter, ticket.called_by_id) == (
        TicketStatus.CALLED,
        "2",
        world.users["desk_a"].id,
    )
    assert "Nomor P-01 dipanggil ke loket 2." in client.get("/antrean/").get_data(as_text=True)
    assert (
        auth.post(f"/antrean/{ticket.id}/selesai", {"outcome": "served"}, page="/antrean/").status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(QueueTicket, ticket.id).status is TicketStatus.SERVED


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"fast_track": "y", "reason": "bukan-kode"}, "Pilih alasan jalur cepat dari daftar."),
        ({"reason": "hamil"}, "Alasan jalur cepat hanya diisi bila pengunjung masuk jalur cepat."),
        ({"visitor_name": "x" * 121}, "Nama paling panjang 120 huruf."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(client, auth, world, fields, message):
    auth.login("desk.a")
    response = auth.post("/antrean/nomor", fields, page="/antrean/")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert ticket_count() == 0


def test_a_ticket_cannot_be_served_twice_or_served_before_it_is_called(client, auth, world):
    ticket = issue(world.office_a)
    auth.login("desk.a")
    page = client.get("/antrean/")
    response = auth.post(f"/antrean/{ticket.id}/selesai", {"outcome": "served"}, page="/antrean/")
    assert response.status_code == 302 and page.status_code == 200
    assert "sudah berubah" in client.get("/antrean/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(QueueTicket, ticket.id).status is TicketStatus.WAITING
    assert (
        auth.post(f"/antrean/{ticket.id}/selesai", {"outcome": "waiting"}, page="/antrean/").status_code
        == 400
    )


def test_another_desk_cannot_call_or_end_this_desks_tickets(client, auth, world):
    ticket = issue(world.office_a)
    auth.login("desk.b")  # the next village, same regency
    assert (
        auth.post(f"/antrean/{ticket.id}/selesai", {"outcome": "left"}, page="/antrean/").status_code == 404
    )
    assert client.get(f"/antrean/{ticket.id}/tiket.pdf").status_code == 404
    auth.post("/antrean/panggil", {"counter": "1"}, page="/antrean/")  # calls village B's queue
    db.session.expire_all()
    assert db.session.get(QueueTicket, ticket.id).status is TicketStatus.WAITING
    # Who may use the queue at all (desk roles; no agency, no administrator): test_authz_matrix.


def test_open_case_serves_the_ticket_and_links_the_case_saved_next(client, auth, world):
    ticket = issue(world.office_a)
    queue.call_next(queue.today_queue(world.office_a), world.users["desk_a"])
    db.session.commit()
    auth.login("desk.a")
    response = auth.post(f"/antrean/{ticket.id}/buka-kasus", page="/antrean/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/cases/new")
    assert post_intake(auth, intake_form()).status_code == 302
    db.session.expire_all()
    ticket = db.session.get(QueueTicket, ticket.id)
    assert ticket.status is TicketStatus.SERVED
    assert ticket.case is not None and ticket.case.reporter.name == "Wati Suryani"
    # The next case this officer saves is someone else's: the ticket keeps its own.
    post_intake(auth, intake_form(name="Orang Lain", idempotency_key="key-2"))
    db.session.expire_all()
    assert db.session.get(QueueTicket, ticket.id).case_id == ticket.case_id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(m.Case)) == 5


def test_the_display_shows_called_numbers_and_desks_never_names(client, world):
    issue(world.office_a, visitor_name=VISITOR)
    issue(world.office_a, fast_track=True, reason="korban_kekerasan", visitor_name="Siti Aminah")
    queue.call_next(queue.today_queue(world.office_a), world.users["desk_a"], "3")
    db.session.commit()
    response = client.get("/antrean/layar/PKS-A")  # no login
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "P-01" in html and "Silakan ke loket 3" in html and "1 pengunjung menunggu" in html
    for secret in (VISITOR, "Siti Aminah", "Korban kekerasan", "Desk.A"):
        assert secret not in html
    assert 'src="/static/js/queue-display.js' in html and 'data-refresh="10"' in html
    assert client.get("/antrean/layar/NO-SUCH").status_code == 404


def test_the_desk_home_panel_shows_the_waiting_and_the_next_numbers(client, auth, world):
    for fast in (False, True, False):
        issue(world.office_a, fast)
    auth.login("desk.a")
    home = client.get("/").get_data(as_text=True)
    assert 'data-queue-panel="/antrean/ringkas"' in home
    panel = client.get("/antrean/ringkas").get_data(as_text=True)
    assert "3</span> pengunjung menunggu" in panel
    assert panel.index("P-01") < panel.index("001") < panel.index("002")
    assert "Panggil berikutnya" in panel


def _call_in_thread(app, office_id: int, barrier: threading.Barrier, got: list, errors: list) -> None:
    with app.app_context():
        try:
            from slrt.directory.models import Office

            office = db.session.get(Office, office_id)
            ticket = queue.call_next(queue.today_queue(office), None, "1")
            got.append(ticket.id if ticket else None)
            barrier.wait(timeout=10)  # both transactions open at once, each holding its ticket
            db.session.commit()
        except Exception as exc:  # reported by the test
            errors.append(exc)
            barrier.abort()
        finally:
            db.session.remove()


def test_two_officers_calling_at_once_never_get_the_same_ticket(app, world):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL's row locks")
    first, second = issue(world.office_a), issue(world.office_a)
    barrier = threading.Barrier(2)
    got: list = []
    errors: list = []
    threads = [
        threading.Thread(target=_call_in_thread, args=(app, world.office_a.id, barrier, got, errors))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert sorted(got) == sorted([first.id, second.id])
    db.session.expire_all()
    statuses = db.session.scalars(sa.select(QueueTicket.status)).all()
    assert statuses == [TicketStatus.CALLED, TicketStatus.CALLED]


def test_a_ticket_taken_between_reading_and_updating_is_skipped(world, monkeypatch):
    """The conditional UPDATE: another officer called the chosen ticket after this officer read
    it (SQLite has no SKIP LOCKED; on PostgreSQL, a row read just before the other's commit)."""
    first, second = issue(world.office_a), issue(world.office_a)
    real_scalar = db.session.scalar
    reads: list = []

    def read_then_lose_the_race(*args, **kwargs):
        chosen = real_scalar(*args, **kwargs)
        if not reads:
            db.session.execute(
                sa.update(QueueTicket).where(QueueTicket.id == chosen).values(status=TicketStatus.CALLED)
            )
        reads.append(chosen)
        return chosen

    monkeypatch.setattr(db.session, "scalar", read_then_lose_the_race)
    ticket = queue.call_next(queue.today_queue(world.office_a), None)
    assert reads == [first.id, second.id]
    assert ticket.id == second.id


def test_demo_seed_fills_todays_queue_at_the_demo_village_desk(runner):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    rows = db.session.execute(
        sa.select(QueueTicket.number, QueueTicket.status).order_by(QueueTicket.id)
    ).all()
    assert ("001", TicketStatus.CALLED) in rows and ("P-01", TicketStatus.WAITING) in rows
    assert sum(1 for _n, status in rows if status is TicketStatus.WAITING) == 4
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QueueTicket)) == len(rows)
