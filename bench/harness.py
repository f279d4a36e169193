"""Helpers shared by the benchmarks: free ports, gunicorn servers with deploy/'s settings, wrk
runs with latency percentiles, a logged-in session cookie, and a SQL statement counter."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(
    target: str, env: dict[str, str], workers: int | None = None, log: Path | None = None
) -> tuple[subprocess.Popen, str]:
    """Starts `gunicorn -c deploy/gunicorn.conf.py target` on a free loopback port; returns the
    process and its base URL once a worker answers. `log`: a file for its stderr (the app's log)."""
    port = free_port()
    env = {
        **real_clock(env),
        "SLRT_BIND": f"127.0.0.1:{port}",
        "SLRT_ACCESS_LOG": "",
        "SLRT_LOG_LEVEL": "warning",
    }
    if workers:
        env["SLRT_WORKERS"] = str(workers)
    stderr = log.open("ab") if log is not None else None
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), target], cwd=ROOT, env=env, stderr=stderr
    )
    if stderr is not None:
        stderr.close()  # the child holds its own copy
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/", timeout=2):  # noqa: S310 - loopback URL built here
                return proc, base
        except urllib.error.HTTPError:
            return proc, base  # a 404 from the bare app still means a worker answers
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn {target} exited") from None
            pause(0.3)
    proc.terminate()
    raise RuntimeError(f"{target} did not start")


def real_clock(env: dict[str, str]) -> dict[str, str]:
    """`env` without libfaketime's preload, for a server a test starts (gunicorn, redis-server):
    under libfaketime 0.9.10 with FAKETIME_DONT_FAKE_MONOTONIC=1 their sleeps fail with EINVAL,
    and faking their monotonic clock too breaks redis-server."""
    return {k: v for k, v in env.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}


def pause(seconds: float) -> None:
    """time.sleep that also works under libfaketime 0.9.10 with FAKETIME_DONT_FAKE_MONOTONIC=1 (how
    the suite proves it does not depend on the day): there time.sleep's clock_nanosleep on the
    monotonic clock fails with EINVAL, while a timed wait on an event keeps the real clock."""
    threading.Event().wait(seconds)


def run(
    cmd: list[str],
    *,
    timeout: float,
    check: bool = False,
    input: str | bytes | None = None,
    capture_output: bool = False,
    **popen: Any,
) -> subprocess.CompletedProcess:
    """subprocess.run with a timeout that also holds under libfaketime: subprocess's own timeout
    waits with time.sleep (EINVAL there, see `pause`); here a timer thread kills the child."""
    if capture_output:
        popen.update(stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if input is not None:
        popen["stdin"] = subprocess.PIPE
    proc = subprocess.Popen(cmd, **popen)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        stdout, stderr = proc.communicate(input)
    finally:
        timer.cancel()
    done = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    if check:
        done.check_returncode()
    return done


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    deadline = time.monotonic() + 20
    while proc.poll() is None and time.monotonic() < deadline:  # Popen.wait(timeout) sleeps
        pause(0.1)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx/3xx answers plus socket errors

    @classmethod
    def parse(cls, out: str) -> WrkResult:
        def ms(label: str) -> float:
            value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out).groups()
            return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        socket_errors = re.search(
            r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
        )
        errors = int(non_2xx.group(1)) if non_2xx else 0
        if socket_errors:
            errors += sum(int(x) for x in socket_errors.groups())
        return cls(
            rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            p50_ms=ms("50%"),
            p99_ms=ms("99%"),
            requests=int(re.search(r"(\d+) requests in", out).group(1)),
            errors=errors,
        )


def wrk(url: str, duration: str, script: Path | None = None, connections: int = 8) -> WrkResult:
    """One wrk run (2 threads) with latency percentiles."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    return WrkResult.parse(out)


def login_cookie(base: str, username: str, password: str) -> str:
    """Logs in over HTTP like a browser (CSRF token from the form) and returns the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = CSRF_RE.search(page).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token}).encode()
    opener.open(base + "/login", data=data).read()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookies:
        raise RuntimeError(f"login as {username} failed")
    return cookies


@contextlib.contextmanager
def count_statements(engine: sa.Engine) -> Iterator[list[tuple[str, object]]]:
    """Collects (statement, parameters) of every SQL statement run on `engine` inside the block."""
    seen: list[tuple[str, object]] = []

    def listener(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


# Measured with the limiter on (its bookkeeping costs are real), limits never hit.
LIMITS_OUT_OF_REACH = {
    "SLRT_STATUS_RATE_LIMIT": "100000000/minute",
    "SLRT_API_RATE_LIMIT": "100000000/minute",
}


def env_for(database_url: str, instance: str) -> dict[str, str]:
    """The environment the app runs with in the benchmarks (production-like, limits out of reach)."""
    return {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database_url,
        "SLRT_INSTANCE_PATH": instance,
        "SLRT_CONFIG": "development",
        **LIMITS_OUT_OF_REACH,
    }


def referral_bench(description: str, fill: Callable, measure: Callable) -> None:
    """The frame of a bench over N referrals in an empty PostgreSQL database (DATABASE_URL):
    migrate, `fill(db, n)` once when there are no referrals yet, then `measure(app, db)`."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--referrals", type=int, default=1_000_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        raise SystemExit("set DATABASE_URL to an empty PostgreSQL database")

    from flask_migrate import upgrade

    from slrt import create_app
    from slrt.extensions import db
    from slrt.referrals.models import Referral

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
        if not db.session.scalar(sa.select(sa.func.count(Referral.id))):
            fill(db, args.referrals)
        measure(app, db)


def pg_tool(name: str) -> str | None:
    """The newest PostgreSQL server binary of that name (initdb, pg_ctl, pg_dump, ...), or None."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    return str(found[-1]) if found else None


def _as_postgres(cmd: list[str]) -> list[str]:
    # The server refuses to run as root; .ci/run and bench/run.sh do the same with runuser.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class PrivatePostgres:
    """A throw-away PostgreSQL cluster on a free loopback port (see `private_postgres`)."""

    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off"
        subprocess.run(
            _as_postgres(
                [
                    pg_tool("pg_ctl"),
                    "-D",
                    str(self.data),
                    "-w",
                    "-t",
                    "30",
                    "-l",
                    str(self.data / "log"),
                    "-o",
                    options,
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=60,
        )

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            _as_postgres([pg_tool("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )


@contextlib.contextmanager
def private_postgres(parent: Path | None = None) -> Iterator[PrivatePostgres]:
    """initdb + pg_ctl start on a free port (trust auth, no fsync), stopped and removed on exit."""
    import shutil
    import tempfile

    if pg_tool("initdb") is None:
        raise RuntimeError("PostgreSQL server binaries are missing (apt-get install postgresql)")
    data = Path(tempfile.mkdtemp(prefix="slrt-pg-", dir=parent))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    subprocess.run(
        _as_postgres([pg_tool("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]),
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )
    server = PrivatePostgres(data, free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(data, ignore_errors=True)


def start_redis(port: int, folder: Path) -> subprocess.Popen:
    """A throw-away redis-server on a loopback port (no persistence); returns once it answers PING."""
    import shutil

    proc = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        env=real_clock(dict(os.environ)),
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return proc
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("redis-server did not start") from None
            pause(0.2)
