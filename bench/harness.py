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
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(target: str, env: dict[str, str], workers: int | None = None) -> tuple[subprocess.Popen, str]:
    """Starts `gunicorn -c deploy/gunicorn.conf.py target` on a free loopback port; returns the
    process and its base URL once a worker answers."""
    port = free_port()
    env = {**env, "SLRT_BIND": f"127.0.0.1:{port}", "SLRT_ACCESS_LOG": "", "SLRT_LOG_LEVEL": "warning"}
    if workers:
        env["SLRT_WORKERS"] = str(workers)
    proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), target], cwd=ROOT, env=env)
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
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"{target} did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


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
