"""The app keeps working when its parts fail: a worker killed mid-request, PostgreSQL restarted,
Redis gone, the SMTP relay down for an hour, a full attachment disk, an upgrade, a backup restored.

The ones that start their own servers are marked slow; those that need PostgreSQL (advisory
locks, pg_dump) skip with the reason on SQLite. The soak under load is in bench/soak.py."""

from __future__ import annotations

import contextlib
import errno
import http.cookiejar
import io
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.orm

from bench import harness
from bench.dataset import pg_url
from slrt.accounts.services import issue_token
from slrt.extensions import db
from slrt.intake import models as m
from slrt.notifications import services as outbox
from slrt.notifications.models import Notification, NotificationChannel, NotificationStatus
from slrt.referrals.models import ReferralEvent
from tests.factories import PASSWORD
from tests.intake_factories import KEY_RE, intake_form, post_intake

ON_PG = os.environ.get("DATABASE_URL", "").startswith("postgresql")
pg_only = pytest.mark.skipif(not ON_PG, reason="needs PostgreSQL (DATABASE_URL): row locks and pg_dump")
slow = pytest.mark.slow
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 2000


def _test_db_url() -> str:
    return db.engine.url.render_as_string(hide_password=False)


def _gunicorn_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **harness.env_for(_test_db_url(), str(tmp_path / "instance")),
        "SLRT_UPLOAD_DIR": str(tmp_path / "uploads"),
        **extra,
    }


class _CookiesForTheVisit(urllib.request.HTTPCookieProcessor):
    """Keeps each cookie for the client's whole life, whatever its Expires or Max-Age. The server
    runs on the real clock (`harness.real_clock`); under libfaketime this process's clock may be
    months ahead, where the session cookie's eight hours have long run out."""

    EXPIRY = re.compile(r";\s*(expires|max-age)=[^;]*", re.IGNORECASE)

    def http_response(self, request, response):
        cookies = response.headers.get_all("Set-Cookie") or []
        del response.headers["Set-Cookie"]
        for cookie in cookies:
            response.headers["Set-Cookie"] = self.EXPIRY.sub("", cookie)
        return super().http_response(request, response)

    https_response = http_response


class Browser:
    """A cookie-keeping HTTP client over urllib, for a real gunicorn server."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(_CookiesForTheVisit(http.cookiejar.CookieJar()))

    def request(self, path: str, data: dict | None = None, headers: dict | None = None, timeout=20):
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(req, timeout=timeout) as response:
                return response.status, response.read().decode(), response.url
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), exc.url

    def login(self, username: str) -> None:
        _, page, _ = self.request("/login")
        token = harness.CSRF_RE.search(page).group(1)
        _, home, _ = self.request("/login", {"username": username, "password": PASSWORD, "csrf_token": token})
        assert "logout" in home.lower() or "keluar" in home.lower(), "login failed"


def _workers(master: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        harness.pause(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def _table_locked(table: str):
    """Holds an EXCLUSIVE lock on `table` from another connection: a request that writes a row
    there (a referral event, a new case's audit row) stalls with its other rows written but not
    committed."""
    engine = sa.create_engine(_test_db_url(), poolclass=sa.pool.NullPool)
    conn = engine.connect()
    conn.execute(sa.text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()
        engine.dispose()


def _blocked_backends(conn) -> list[int]:
    return (
        conn.execute(
            sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
        )
        .scalars()
        .all()
    )


def _alive(conn, pids: list[int]) -> bool:
    return bool(
        conn.execute(sa.text("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(:p)"), {"p": pids}).first()
    )


def _kill_worker_inside(server: subprocess.Popen, table: str, send):
    """Sends a request that stalls on a lock on `table`, SIGKILLs the worker serving it, lets go
    of the lock and waits for PostgreSQL to roll the dead worker's transaction back."""
    # pg_stat_activity is read from its own autocommit connection: inside a transaction it is
    # one snapshot that never changes.
    probe = sa.create_engine(_test_db_url(), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with probe.connect() as watch:
            with _table_locked(table):
                result: dict = {}
                thread = threading.Thread(target=lambda: result.update(answer=send()), daemon=True)
                thread.start()
                stalled = _wait(lambda: _blocked_backends(watch), 20, "the request to stall on the lock")
                for pid in _workers(server):
                    os.kill(pid, signal.SIGKILL)
                thread.join(20)
                assert not thread.is_alive()
            # The dead worker's backend gets the lock, finds its client gone and rolls back.
            _wait(lambda: not _alive(watch, stalled), 20, "the dead worker's transaction to end")
    finally:
        probe.dispose()
    return result.get("answer")


def _safe(call):
    try:
        return call()
    except (OSError, urllib.error.URLError) as exc:  # the connection dies with the worker
        return exc


@pg_only
@slow
def test_worker_killed_in_a_referral_transition_writes_nothing_and_the_retry_is_safe(tmp_path, world):
    referral = world.referral_a
    _, clear = issue_token(world.users["agency"])
    db.session.commit()
    before = (referral.status, referral.version)
    server, base = harness.serve("wsgi:app", _gunicorn_env(tmp_path), workers=1)
    try:
        body = {"to": "accepted", "version": referral.version, "note": "Diterima"}
        headers = {"Authorization": f"Bearer {clear}", "Content-Type": "application/json"}
        url = f"{base}/api/v1/referrals/{referral.id}/transitions"

        def send():
            import json

            req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)  # noqa: S310
            try:
                with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310 - loopback
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code

        answer = _kill_worker_inside(server, "referral_events", lambda: _safe(send))
        assert isinstance(answer, Exception)  # the client saw the connection drop, no answer
        db.session.expire_all()
        assert (referral.status, referral.version) == before  # nothing half-written
        events = (
            sa.select(sa.func.count())
            .select_from(ReferralEvent)
            .where(ReferralEvent.referral_id == referral.id)
        )
        events_before = db.session.scalar(events)
        # The client retries with the same version: the master has started a new worker.
        assert _wait(lambda: _safe(send) == 200 or None, 30, "the retry to succeed")
        db.session.expire_all()
        assert referral.status.value == "accepted" and referral.version == before[1] + 1
        assert db.session.scalar(events) == events_before + 1
        # A second retry of the same request is refused as stale: the transition happened once.
        assert send() == 409
        assert db.session.scalar(events) == events_before + 1
    finally:
        harness.stop(server)


@pg_only
@slow
def test_worker_killed_in_an_intake_submit_writes_nothing_and_the_retry_files_one_case(tmp_path, world):
    server, base = harness.serve("wsgi:app", _gunicorn_env(tmp_path), workers=1)
    try:
        browser = Browser(base)
        browser.login("desk.a")
        _, page, _ = browser.request("/cases/new?new=1")
        key = KEY_RE.search(page).group(1)
        form = intake_form(idempotency_key=key, csrf_token=harness.CSRF_RE.search(page).group(1))
        cases = sa.select(sa.func.count(m.Case.id))
        people = sa.select(sa.func.count(m.Person.id))
        before = (db.session.scalar(cases), db.session.scalar(people))

        answer = _kill_worker_inside(
            server, "audit_events", lambda: _safe(lambda: browser.request("/cases/new", form))
        )
        assert isinstance(answer, Exception)
        assert (db.session.scalar(cases), db.session.scalar(people)) == before  # no half case
        status, _html, final = _wait(
            lambda: (
                (r := _safe(lambda: browser.request("/cases/new", form)))
                and not isinstance(r, Exception)
                and r
            ),
            30,
            "the retry",
        )
        assert status == 200 and "/receipt" in final
        assert db.session.scalar(cases) == before[0] + 1
        # The same form once more (a double click): the same case, not a second one.
        status, _, again = browser.request("/cases/new", form)
        assert status == 200 and again == final
        assert db.session.scalar(cases) == before[0] + 1
        assert db.session.scalar(sa.select(m.Case.id).where(m.Case.idempotency_key == key)) is not None
    finally:
        harness.stop(server)


# --- PostgreSQL restarted under load ------------------------------------------------------------


@pg_only
@slow
def test_postgresql_restart_errors_only_while_down_and_recovers_by_itself(tmp_path, world):
    if harness.pg_tool("initdb") is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    dump = tmp_path / "test.dump"
    harness.run(
        [harness.pg_tool("pg_dump"), "-Fc", "-f", str(dump), pg_url(_test_db_url())], check=True, timeout=120
    )
    with harness.private_postgres() as pg:
        harness.run(
            [harness.pg_tool("pg_restore"), "--no-owner", "-d", pg_url(pg.url), str(dump)],
            check=True,
            timeout=120,
        )
        server, base = harness.serve("wsgi:app", _gunicorn_env(tmp_path, DATABASE_URL=pg.url), workers=2)
        try:
            browser = Browser(base)
            browser.login("desk.a")
            case_page = f"/cases/{world.case_a.id}"
            log: list[tuple[float, str, int]] = []
            stop = threading.Event()

            def load():
                while not stop.is_set():
                    for path in ("/", case_page, "/directory/agencies"):
                        answer = _safe(lambda p=path: browser.request(p, timeout=10))
                        status = answer[0] if isinstance(answer, tuple) else 0
                        log.append((time.monotonic(), path, status))

            thread = threading.Thread(target=load, daemon=True)
            thread.start()
            harness.pause(1.5)
            down = time.monotonic()
            pg.stop("fast")
            harness.pause(2)
            pg.start()
            up = time.monotonic()

            def recovered():
                last = [(p, st) for t, p, st in log[-6:] if t > up]
                return len(last) == 6 and {st for _p, st in last} == {200}

            try:
                _wait(recovered, 30, "every page to answer again")
            except AssertionError:
                raise AssertionError([(round(t - up, 1), p, st) for t, p, st in log[-15:]]) from None
            recovery = log[-6][0] - up
            harness.pause(1)
            stop.set()
            thread.join(20)
        finally:
            harness.stop(server)
    before = [s for t, _p, s in log if t < down]
    during = [s for t, _p, s in log if down <= t < up]
    after = [(p, s) for t, p, s in log if t >= up + recovery]
    assert before and set(before) == {200}
    assert any(s != 200 for s in during), "the outage was not seen"
    assert recovery < 15  # seconds after PostgreSQL is back (about 1 s here)
    assert {s for _p, s in after} == {200}, after  # and no page stays broken
    assert {p for p, _s in after} == {"/", case_page, "/directory/agencies"}


# --- Redis (rate limits) unreachable -------------------------------------------------------------

LOOKUP = "/status?code=AAAA-AAAA-AAAA"  # answered 400 before any database work, but counted


@slow
def test_redis_down_the_app_serves_with_a_warning_and_limits_return_with_redis(tmp_path):
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: .ci/run installs it")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = harness.free_port()  # nothing listens there yet
    log = tmp_path / "app.log"
    env = {
        **os.environ,
        "SLRT_CONFIG": "development",
        "SLRT_INSTANCE_PATH": str(tmp_path),
        "SLRT_STATUS_RATE_LIMIT": "3/minute",
        "SLRT_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{port}/0",
    }
    server, base = harness.serve("wsgi:app", env, workers=1, log=log)
    redis = None
    try:
        browser = Browser(base)
        # Redis down: served, and still limited per worker (the in-memory fallback).
        assert [browser.request(LOOKUP)[0] for _ in range(4)] == [400, 400, 400, 429]
        assert "Rate limit storage unreachable" in log.read_text()
        redis = harness.start_redis(port, tmp_path)
        import redis as redis_client

        store = redis_client.Redis(port=port)
        # Back on Redis once a ping answers (the limiter retries 1, 2, 4 ... s apart).
        _wait(lambda: browser.request(LOOKUP) and store.keys("LIMITS*"), 40, "the limiter to use Redis again")
        assert "Rate limit storage recovered" in log.read_text()
        statuses = [browser.request(LOOKUP)[0] for _ in range(4)]
        assert statuses[-1] == 429 and 429 in statuses
        assert max(int(store.get(k) or 0) for k in store.keys("LIMITS*")) >= 3  # counted in Redis
    finally:
        harness.stop(server)
        if redis is not None:
            harness.stop(redis)


# --- the SMTP relay down for an hour ------------------------------------------------------------


def test_smtp_down_for_an_hour_the_outbox_keeps_every_message_and_delivers_each_once(app, world, monkeypatch):
    from aiosmtpd.controller import Controller

    port = harness.free_port()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    recipients = [f"petugas{i}@example.go.id" for i in range(5)]
    for address in recipients:
        outbox.enqueue(
            address, NotificationChannel.EMAIL, "referral_new", {"service": "PKH", "letter": address}
        )
    db.session.commit()
    start = outbox.utcnow()
    # cron runs `flask notifications send` every minute; the relay is down for 60 of them.
    for minute in range(61):
        outbox.send_due(now=start + timedelta(minutes=minute))
    notes = db.session.scalars(sa.select(Notification)).all()
    assert len(notes) == 5 and {n.status for n in notes} == {NotificationStatus.PENDING}
    assert all(n.attempts >= 6 and "Error" in n.last_error for n in notes)

    class Inbox:
        def __init__(self):
            self.received: list[str] = []

        async def handle_DATA(self, _server, _session, envelope):
            self.received.extend(envelope.rcpt_tos)
            return "250 OK"

    inbox = Inbox()
    relay = Controller(inbox, hostname="127.0.0.1", port=port)
    relay.start()
    try:
        later = start + timedelta(minutes=61)
        for minute in range(0, 121, 1):  # the relay is back; cron goes on every minute
            outbox.send_due(now=later + timedelta(minutes=minute))
    finally:
        relay.stop()
    assert sorted(inbox.received) == sorted(recipients)  # every message, each once
    db.session.expire_all()
    assert {n.status for n in db.session.scalars(sa.select(Notification))} == {NotificationStatus.SENT}


# --- the attachment disk full -------------------------------------------------------------------


@contextlib.contextmanager
def _tiny_disk(folder: Path, monkeypatch):
    """A real 64 KiB tmpfs when this process may mount one (root in CI), else a write that
    raises ENOSPC once the folder holds 48 KiB."""
    folder.mkdir()
    mounted = (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True, check=False
        ).returncode
        == 0
    )
    if not mounted:
        real = Path.write_bytes

        def write_bytes(path, data):
            used = sum(p.stat().st_size for p in folder.iterdir() if p != path)
            if path.parent == folder and used + len(data) > 48 * 1024:
                path.touch()  # a real full disk leaves the file it failed to write
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(path, data)

        monkeypatch.setattr(Path, "write_bytes", write_bytes)
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=False)


def test_a_full_attachment_disk_says_so_and_saves_no_half_case(
    app, client, auth, world, tmp_path, monkeypatch
):
    folder = tmp_path / "disk"
    cases_before = db.session.scalar(sa.select(sa.func.count(m.Case.id)))
    with _tiny_disk(folder, monkeypatch):
        monkeypatch.setitem(app.config, "UPLOAD_DIR", str(folder))
        filler = folder / "filler"
        filler.write_bytes(b"x" * 40 * 1024)
        auth.login("desk.a")
        data = intake_form(
            file_ktp=(io.BytesIO(PNG), "ktp.png"),  # fits
            file_house=[(io.BytesIO(PNG * 12), "rumah.png")],  # 24 KB: the disk is full
        )
        response = post_intake(auth, data, content_type="multipart/form-data")
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "penyimpanan server penuh" in html and "Tidak ada yang tersimpan" in html
        assert db.session.scalar(sa.select(sa.func.count(m.Case.id))) == cases_before
        assert db.session.scalar(sa.select(sa.func.count(m.Attachment.id))) == 0
        assert not db.session.scalar(sa.select(m.Person.id).where(m.Person.name == "Wati Suryani"))
        assert sorted(p.name for p in folder.iterdir()) == ["filler"]  # no orphan file either
        # Space freed: the same form (same idempotency key) goes through, once.
        filler.unlink()
        data = intake_form(
            file_ktp=(io.BytesIO(PNG), "ktp.png"), file_house=[(io.BytesIO(PNG * 12), "rumah.png")]
        )
        assert post_intake(auth, data, content_type="multipart/form-data").status_code == 302
        case = db.session.scalar(sa.select(m.Case).where(m.Case.idempotency_key == "key-1"))
        assert len(case.attachments) == 2 and len(list(folder.iterdir())) == 2


# --- backup and restore, and an upgrade on the restored copy -------------------------------------

ROUND_1_HEAD = "0011_region_tallies"  # the last migration on main when round 2 started


def _populate(world) -> None:
    from tests.factories import make_case, make_person

    for i in range(20):
        person = make_person(name=f"Warga {i}", nik=f"32040141078500{i:02d}")
        make_case(person.village_code, world.office_a, reporter=person)
    db.session.commit()


def _snapshot(url: str) -> tuple[dict[str, int], list[str]]:
    """Rows per table, and the NIKs decrypted with the app's keys (never stored in the database)."""
    from slrt.core.crypto import decrypt

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            counts = {t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar() for t in names}  # noqa: S608
            counts.pop("alembic_version", None)
            tokens = conn.execute(
                sa.text("SELECT nik_encrypted FROM persons WHERE nik_encrypted IS NOT NULL ORDER BY id")
            ).scalars()
            return counts, [decrypt(t) for t in tokens]
    finally:
        engine.dispose()


def _flask(url: str, tmp_path: Path, *args: str) -> str:
    env = {**harness.env_for(url, str(tmp_path / "instance")), "FLASK_APP": "wsgi"}
    done = harness.run(
        [str(harness.BIN / "flask"), *args],
        env=env,
        cwd=harness.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout + done.stderr


@contextlib.contextmanager
def _restored_copy(tmp_path: Path):
    """The test database backed up and restored into an empty one, as deploy/backup.md says."""
    url = _test_db_url()
    if not ON_PG:
        copy = tmp_path / "restored.sqlite"
        with sqlite3.connect(db.engine.url.database) as src, sqlite3.connect(copy) as dst:
            src.backup(dst)  # the online backup API: safe while the app writes
        yield f"sqlite:///{copy}"
        return
    dump = tmp_path / "slrt.dump"
    harness.run([harness.pg_tool("pg_dump"), "-Fc", "-f", str(dump), pg_url(url)], check=True, timeout=300)
    with _scratch_postgres("restore") as target:
        harness.run(
            [harness.pg_tool("pg_restore"), "--no-owner", "-d", pg_url(target), str(dump)],
            check=True,
            timeout=300,
        )
        yield target


@contextlib.contextmanager
def _scratch_postgres(purpose: str):
    """An empty PostgreSQL database beside the test database, dropped afterwards."""
    url = _test_db_url()
    name = f"slrt_{purpose}_{os.getpid()}_{time.monotonic_ns()}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@slow
def test_backup_restored_into_an_empty_database_starts_with_the_same_records(tmp_path, world):
    if ON_PG and harness.pg_tool("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    _populate(world)
    before = _snapshot(_test_db_url())
    assert len(before[1]) >= 20
    with _restored_copy(tmp_path) as copy:
        assert _snapshot(copy) == before  # every row, and the NIKs decrypt with the kept keys
        server, base = harness.serve("wsgi:app", _gunicorn_env(tmp_path, DATABASE_URL=copy), workers=1)
        try:
            browser = Browser(base)
            browser.login("desk.a")
            status, html, _ = browser.request(f"/cases/{world.case_a.id}")
            assert status == 200 and world.case_a.tracking_code in html.replace("-", "")
        finally:
            harness.stop(server)


# Round 1's own code fills a database at its own schema (its migrations, its demo, its factories): the
# upgrade then meets rows written the way the previous release wrote them, not rows today's
# models wrote and a downgrade squeezed back. Among them, what round 1 allowed and round 2
# forbids: two open referrals of one person for one service (migration 0014 keeps the oldest).
ROUND_1_COMMIT = "ec2e11e"
ROUND_1_POPULATE = """
import sqlalchemy as sa
from wsgi import app
from slrt.extensions import db

with app.app_context():
    from flask_migrate import upgrade
    from slrt.demo import run_steps
    from slrt.directory.models import Agency, Office
    from slrt.regions.services import load_regions
    from tests import factories

    upgrade()
    load_regions()
    run_steps()  # round 1's demo, as `flask demo seed` made it
    db.session.commit()
    office = db.session.scalars(sa.select(Office).order_by(Office.id)).first()
    agency = db.session.scalars(sa.select(Agency).order_by(Agency.id)).first()
    for i in range(20):
        person = factories.make_person(office.region_code, name=f"Warga {i}", nik=f"32040141078500{i:02d}")
        case = factories.make_case(office.region_code, office, reporter=person)
        factories.make_referral(case, "BPNT", agency)
    factories.make_referral(case, "BPNT", agency)  # the copy round 1 let through
    db.session.commit()
"""


def _round_1_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "round1"
    tree.mkdir()
    archive = harness.run(
        ["git", "archive", ROUND_1_COMMIT], cwd=harness.ROOT, capture_output=True, timeout=120
    )
    if archive.returncode != 0:
        pytest.skip(f"round 1's code ({ROUND_1_COMMIT}) is not in this clone's history")
    harness.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True, timeout=120)
    return tree


@contextlib.contextmanager
def _empty_database(tmp_path: Path):
    if not ON_PG:
        yield f"sqlite:///{tmp_path / 'round1.sqlite'}"
        return
    with _scratch_postgres("upgrade") as url:
        yield url


@slow
def test_upgrade_runs_forward_on_a_database_round_1_filled_and_every_record_stays_readable(app, tmp_path):
    tree = _round_1_tree(tmp_path)
    with _empty_database(tmp_path) as url:
        env = {**harness.env_for(url, str(tmp_path / "instance")), "PYTHONPATH": str(tree)}
        filled = harness.run(
            [str(harness.BIN / "python"), "-c", ROUND_1_POPULATE],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert filled.returncode == 0, filled.stderr[-3000:]
        before = _snapshot(url)
        assert len(before[1]) >= 20 and before[0]["referrals"] >= 21  # the demo's, and ours
        assert f"{ROUND_1_HEAD} (head)" not in _flask(url, tmp_path, "db", "current")
        assert ROUND_1_HEAD in _flask(url, tmp_path, "db", "current")
        _flask(url, tmp_path, "db", "upgrade")
        after = _snapshot(url)
        assert after[1] == before[1]  # the same NIKs, still decrypting with the kept keys
        assert {t: n for t, n in after[0].items() if t in before[0]} == before[0]
        _every_record_reads_with_todays_models(url)


def _every_record_reads_with_todays_models(url: str) -> None:
    from slrt.directory.models import Service
    from slrt.intake.models import Case, Household, Need, Person
    from slrt.referrals.models import Referral

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with sa.orm.Session(engine) as session:
            for model in (Person, Household, Case, Need, Referral, Service):
                rows = session.scalars(sa.select(model)).all()
                assert rows, model.__name__
                for row in rows:  # every column of every row loads into today's model
                    sa.inspect(row).attrs.keys()
            referrals = session.scalars(sa.select(Referral).order_by(Referral.id)).all()[-21:]
            # 0014: whom each referral concerns, from its case; of the two open copies the oldest
            # keeps the person and the later one waits, unlinked, for the desk to cancel it.
            assert [r.person_id is not None for r in referrals] == [True] * 20 + [False]
            assert referrals[19].person_id == referrals[19].case.reporter_id
            assert all(s.screen is not None for s in session.scalars(sa.select(Service)))
    finally:
        engine.dispose()
