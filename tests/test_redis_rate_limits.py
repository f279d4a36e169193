"""Several app servers behind a load balancer share one rate-limit budget through Redis
(SLRT_RATELIMIT_STORAGE_URI=redis://...): two real gunicorn servers and a real redis-server on
loopback. With the default in-process storage each server counts alone, which the first test
shows (and which is why production with several servers configures Redis)."""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from bench import harness

LIMIT = 5
# A lookup with a wrong check symbol: answered 400 before any database work, but counted.
LOOKUP = "/status?code=AAAA-AAAA-AAAA"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: .ci/run installs it")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = harness.free_port()
    proc = harness.start_redis(port, tmp_path_factory.mktemp("redis"))
    yield f"redis://127.0.0.1:{port}/0"
    harness.stop(proc)


def _two_servers(tmp_path, storage: str) -> list[tuple[subprocess.Popen, str]]:
    env = {
        **os.environ,
        "SLRT_CONFIG": "development",
        "SLRT_INSTANCE_PATH": str(tmp_path),
        "SLRT_STATUS_RATE_LIMIT": f"{LIMIT}/minute",
        "SLRT_RATELIMIT_STORAGE_URI": storage,
    }
    return [harness.serve("wsgi:app", env, workers=1) for _ in range(2)]


def _status(base: str) -> int:
    try:
        with urllib.request.urlopen(base + LOOKUP, timeout=10) as response:  # noqa: S310 - loopback
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _alternate(servers, requests: int) -> list[int]:
    return [_status(servers[i % 2][1]) for i in range(requests)]


def test_without_redis_each_server_counts_alone(tmp_path):
    servers = _two_servers(tmp_path, "slrt-memory://")
    try:
        # 2 x LIMIT lookups, alternating: each server saw only LIMIT of them.
        assert _alternate(servers, 2 * LIMIT) == [400] * (2 * LIMIT)
    finally:
        for proc, _base in servers:
            harness.stop(proc)


def test_with_redis_two_servers_share_one_budget(tmp_path, redis_url):
    servers = _two_servers(tmp_path, redis_url)
    try:
        statuses = _alternate(servers, LIMIT + 2)
        assert statuses[:LIMIT] == [400] * LIMIT
        assert statuses[LIMIT:] == [429, 429]  # refused by both servers, whichever answers
    finally:
        for proc, _base in servers:
            harness.stop(proc)
