"""Status lookups against a bare Flask endpoint, side by side in one run, same gunicorn settings.

Target (issue 6): the public status API reaches at least 50% of the bare endpoint's
throughput, with p99 under 50 ms, with 1,000,000 cases in PostgreSQL.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:54334/app \\
        python -m bench.status_lookup --cases 1000000 --duration 15s

Cases are added (never removed) until the database holds --cases of them; wrk then asks for
random codes among a sample of 2,000. Figures are only comparable within one run: the load
generator shares the machine's cores with the servers.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VILLAGES = ["32.04.05.2001", "32.04.05.2002", "32.04.05.2003", "32.04.05.2004"]


def ensure_cases(total: int, sample: int = 2000) -> list[str]:
    """Tops the database up to `total` cases and returns a sample of their codes."""
    import sqlalchemy as sa

    from slrt import create_app
    from slrt.core import tracking
    from slrt.extensions import db
    from slrt.intake import models as m

    app = create_app({"TESTING": True})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        from slrt.regions.models import Region

        if db.session.get(Region, VILLAGES[0]) is None:
            from slrt.regions.services import load_regions

            load_regions()
        have = db.session.scalar(sa.select(sa.func.count(m.Case.id)))
        now = datetime.now(UTC)
        table = m.Case.__table__
        batch = 20_000
        started = time.monotonic()
        while have < total:
            n = min(batch, total - have)
            rows = [
                {
                    "tracking_code": tracking.generate(),
                    "channel": "walk_in",
                    "type": "need",
                    "status": "open",
                    "village_code": VILLAGES[i % 4],
                    "urgent": False,
                    "consent_given": False,
                    "confidential": i % 50 == 0,
                    "anonymous": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(n)
            ]
            db.session.execute(sa.insert(table), rows)
            db.session.commit()
            have += n
            print(f"  {have:,} cases ({time.monotonic() - started:.0f} s)", file=sys.stderr)
        codes = db.session.scalars(
            sa.select(m.Case.tracking_code).where(m.Case.confidential.is_(False)).limit(sample * 20)
        ).all()
    return random.sample(list(codes), min(sample, len(codes)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(target: str, port: int, args: argparse.Namespace, env: dict[str, str]) -> subprocess.Popen:
    cmd = [str(BIN / "gunicorn"), "-w", str(args.workers), "--threads", str(args.gunicorn_threads)]
    cmd += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", target]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"{target} did not start on port {port}")


def run_wrk(url: str, script: str | None, args: argparse.Namespace) -> tuple[float, float]:
    """(requests per second, p99 latency in ms)."""
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if "Non-2xx" in out:
        print(out, file=sys.stderr)
    return rps, p99


def main() -> None:
    parser = argparse.ArgumentParser(description="status lookups vs a bare Flask endpoint")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--gunicorn-threads", type=int, default=1, help="threads per worker (gthread)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", default="10s")
    args = parser.parse_args()

    codes = ensure_cases(args.cases)
    script = Path(tempfile.mkdtemp(prefix="slrt-bench-")) / "codes.lua"
    script.write_text(
        "local codes = {" + ",".join(f'"{c}"' for c in codes) + "}\n"
        "request = function()\n"
        '  return wrk.format("GET", "/api/v1/public/status/" .. codes[math.random(#codes)])\n'
        "end\n"
    )
    env = {
        **os.environ,
        "SLRT_CONFIG": "development",
        "SLRT_STATUS_RATE_LIMIT": "100000000/minute",  # measured with the limiter on, never hit
    }
    results = {}
    for name, target, path, lua in (
        ("bare Flask /ping", "bench.bare_app:app", "/ping", None),
        ("status API lookup", "wsgi:app", "/", str(script)),
    ):
        port = free_port()
        proc = serve(target, port, args, env)
        try:
            run_wrk(
                f"http://127.0.0.1:{port}{path}", lua, argparse.Namespace(**{**vars(args), "duration": "2s"})
            )
            results[name] = run_wrk(f"http://127.0.0.1:{port}{path}", lua, args)
        finally:
            proc.terminate()
            proc.wait(10)
    bare, status = results["bare Flask /ping"], results["status API lookup"]
    print(
        f"gunicorn -w {args.workers} --threads {args.gunicorn_threads}; "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}"
    )
    print(f"{'endpoint':<20} {'req/s':>10} {'p99 ms':>8}")
    for name, (rps, p99) in results.items():
        print(f"{name:<20} {rps:>10.0f} {p99:>8.1f}")
    ratio = status[0] / bare[0]
    ok = ratio >= 0.5 and status[1] < 50
    print(
        f"status/bare throughput: {ratio:.0%} (target >= 50%), p99 {status[1]:.1f} ms (target < 50 ms): "
        f"{'OK' if ok else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
