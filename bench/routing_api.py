"""Throughput of POST /api/v1/routing/suggest against a bare Flask JSON endpoint, side by side
under the same gunicorn settings, in one run (the machine is shared: only the ratio counts).

    .venv/bin/python -m bench.routing_api [--seconds 10] [--workers 2]

Builds a throw-away SQLite instance with the demo regency (migrations, regions, demo seed), a
bearer token, then runs wrk against each server in turn. Target (issue 4): the suggest endpoint
reaches at least 40% of the bare endpoint's requests per second.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BODY = {
    "village_code": "32.04.05.2001",
    "needs": ["lansia", "kesehatan.jaminan"],
    "person": {"birth_date": "1950-02-01", "sex": "P", "nik": None, "pregnant": False, "disability": "none"},
    "household": {
        "in_dtsen": True,
        "desil": 3,
        "receives": ["BPNT"],
        "house_uninhabitable": None,
        "members": [{"birth_date": "2015-06-01", "sex": "L", "disability": "none", "in_school": False}],
    },
}
BARE_APP = """
from flask import Flask, jsonify, request
app = Flask(__name__)

@app.post("/bare")
def bare():
    return jsonify({"received": request.get_json(silent=True) is not None})
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, token: str, timeout: float = 60) -> None:
    """Until a worker answers the real request (gunicorn binds the port before workers boot)."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(  # noqa: S310 - a loopback http URL built here
        url,
        data=json.dumps(BODY).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def wrk(url: str, script: Path, seconds: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} failed responses\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    if not rps:
        raise RuntimeError(f"{url}: no answers\n{out}")
    return rps


def serve(module: str, port: int, env: dict, workers: int, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            module,
        ],
        cwd=cwd,
        env=env,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="slrt-bench-"))
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "SLRT_INSTANCE_PATH": str(tmp),
        "SLRT_CONFIG": "development",
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite'}",
        "SLRT_RATELIMIT_STORAGE_URI": "memory://",
    }
    flask = [str(BIN / "flask")]
    for command in (["db", "upgrade"], ["regions", "load"], ["demo", "seed"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    created = subprocess.run(
        [*flask, "tokens", "create", "--username", "desk", "--days", "1"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    token = re.search(r"slrt_[\w-]+", created).group(0)
    (tmp / "bare_app.py").write_text(BARE_APP)
    headers = (
        f'wrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer {token}"'
    )
    script = tmp / "post.lua"
    script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(json.dumps(BODY))}\n{headers}\n')
    results = {}
    for label, module, cwd, path in (
        ("bare Flask JSON", "bare_app:app", tmp, "/bare"),
        ("routing suggest", "wsgi:app", ROOT, "/api/v1/routing/suggest"),
    ):
        port = free_port()
        server = serve(module, port, env, args.workers, cwd)
        try:
            wait_for(f"http://127.0.0.1:{port}{path}", token)
            wrk(f"http://127.0.0.1:{port}{path}", script, 2)  # warm up
            results[label] = wrk(f"http://127.0.0.1:{port}{path}", script, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)
    for label, rps in results.items():
        print(f"{label:16} {rps:9.1f} requests/s")
    ratio = results["routing suggest"] / results["bare Flask JSON"]
    print(f"ratio {ratio:.0%} (target >= 40%: {'ok' if ratio >= 0.4 else 'UNDER TARGET'})")


if __name__ == "__main__":
    main()
