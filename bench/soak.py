"""Soak: 50 simulated users (desk officers, agency staff, citizens) for N minutes on a private
PostgreSQL with the demo data, behind gunicorn with deploy/'s settings. Passes with 0 errors and
the workers' memory (RSS) at the end within 20% of the start.

    python -m bench.soak --minutes 10

Locust is used as a library (no web UI); the figures go to stdout for bench/RESULTS.md ("Soak").
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import harness

DEMO_PASSWORD = "demo12345"  # noqa: S105 - the demo's published password (slrt.demo.foundation)
CODE_RE = re.compile(r"/cases/(\d+)")


def _rss_kib(pids: list[int]) -> dict[int, int]:
    out = {}
    for pid in pids:
        match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
        out[pid] = int(match.group(1)) if match else 0
    return out


def _workers(master: subprocess.Popen) -> list[int]:
    return [int(p) for p in Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()]


def _user_classes():
    from locust import HttpUser, between, task

    class Staff(HttpUser):
        abstract = True
        wait_time = between(0.5, 2)
        username = ""

        def on_start(self) -> None:
            page = self.client.get("/login").text
            token = harness.CSRF_RE.search(page).group(1)
            self.client.post(
                "/login", {"username": self.username, "password": DEMO_PASSWORD, "csrf_token": token}
            )
            self.cases = [int(c) for c in CODE_RE.findall(self.client.get("/").text)] or [1]

    class Desk(Staff):
        weight = 3
        username = "desk"

        @task(4)
        def home(self) -> None:
            self.client.get("/")

        @task(3)
        def case(self) -> None:
            self.client.get(f"/cases/{random.choice(self.cases)}", name="/cases/<id>")

        @task(2)
        def new_case_form(self) -> None:
            self.client.get("/cases/new?new=1", name="/cases/new")

        @task(1)
        def directory(self) -> None:
            self.client.get("/directory/agencies")

    class Agency(Staff):
        weight = 2
        username = "dinsos"

        @task(3)
        def inbox(self) -> None:
            self.client.get("/")

        @task(2)
        def case(self) -> None:
            self.client.get(f"/cases/{random.choice(self.cases)}", name="/cases/<id>")

    class Citizen(HttpUser):
        weight = 2
        wait_time = between(1, 3)

        @task(3)
        def status(self) -> None:
            # A well-formed code that matches no case: answered 404 by design, not an error.
            with self.client.get("/status?code=AAAA-AAAA-AAAA", catch_response=True, name="/status") as r:
                if r.status_code in (200, 400, 404):
                    r.success()

        @task(1)
        def public_home(self) -> None:
            self.client.get("/lapor", name="/lapor")

    return [Desk, Agency, Citizen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    import gevent
    from locust.env import Environment

    with harness.private_postgres() as pg:
        url = pg.url
        instance = tempfile.mkdtemp(prefix="slrt-soak-")
        # No worker recycling (max_requests) during the soak: a leak must show, not be reset.
        env = {**harness.env_for(url, instance), "SLRT_MAX_REQUESTS": "0"}
        for step in (["db", "upgrade"], ["regions", "load"], ["demo", "seed"]):
            subprocess.run(
                [str(harness.BIN / "flask"), *step],
                env=env,
                cwd=harness.ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        server, base = harness.serve("wsgi:app", env, workers=args.workers)
        try:
            locust_env = Environment(user_classes=_user_classes(), host=base)
            runner = locust_env.create_local_runner()
            runner.start(args.users, spawn_rate=10)
            gevent.sleep(30)  # warm-up: every user logged in, every worker has served each page
            start_rss = _rss_kib(_workers(server))
            started = time.monotonic()
            gevent.sleep(args.minutes * 60)
            end_rss = _rss_kib(_workers(server))
            runner.quit()
            stats = locust_env.stats.total
            print(
                f"soak: {args.users} users, {args.minutes:g} min after a 30 s warm-up, {args.workers} workers"
            )
            print(
                f"requests {stats.num_requests}, failures {stats.num_failures}, "
                f"{stats.total_rps:.1f} req/s, p50 {stats.get_response_time_percentile(0.5):.0f} ms, "
                f"p99 {stats.get_response_time_percentile(0.99):.0f} ms, "
                f"over {time.monotonic() - started:.0f} s"
            )
            for name, entry in sorted(locust_env.stats.entries.items()):
                print(
                    f"  {name[1]:>4} {name[0]:<22} {entry.num_requests:>7} req, {entry.num_failures} failures"
                )
            start_total, end_total = sum(start_rss.values()), sum(end_rss.values())
            growth = (end_total - start_total) / start_total
            print(
                f"worker RSS: start {start_total / 1024:.0f} MiB, end {end_total / 1024:.0f} MiB "
                f"({growth:+.1%}; per worker {sorted(start_rss.values())} -> {sorted(end_rss.values())} KiB)"
            )
            ok = stats.num_failures == 0 and abs(growth) <= 0.20 and set(start_rss) == set(end_rss)
            print("PASS" if ok else "FAIL")
            sys.exit(0 if ok else 1)
        finally:
            harness.stop(server)


if __name__ == "__main__":
    main()
