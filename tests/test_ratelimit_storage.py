"""The in-process rate-limit storage counts like limits' own, without a thread per hit."""

import threading

from limits.storage import MemoryStorage, storage_from_string

from bench.harness import pause
from slrt.core.ratelimit import InlineExpiryMemoryStorage


def test_the_app_counts_limits_in_the_inline_storage(app):
    from slrt.extensions import limiter

    assert isinstance(limiter.storage, InlineExpiryMemoryStorage)


def test_hits_add_up_within_the_window_and_reset_after_it():
    storage = storage_from_string("slrt-memory://")
    for _ in range(5):
        storage.incr("ip", expiry=0.2)
    assert storage.get("ip") == 5
    pause(0.25)
    assert storage.get("ip") == 0


def _threads_started_by(storage, hits: int) -> int:
    started = []
    original = threading.Thread.start

    def counting_start(thread):
        started.append(thread)
        return original(thread)

    threading.Thread.start = counting_start
    try:
        for _ in range(hits):
            storage.incr("ip", expiry=60)
            pause(0.05)  # hits further apart than limits' 10 ms cleanup timer
    finally:
        threading.Thread.start = original
    return len(started)


def test_no_thread_is_started_on_the_request_path():
    assert _threads_started_by(InlineExpiryMemoryStorage("slrt-memory://"), 10) == 0


def test_limits_own_memory_storage_starts_threads_on_the_request_path():
    # The cost the inline storage removes; fails if a limits upgrade fixes it (then drop ours).
    assert _threads_started_by(MemoryStorage("memory://"), 10) > 0


def test_expired_counters_are_cleaned_up_inline():
    storage = InlineExpiryMemoryStorage("slrt-memory://")
    storage.incr("old", expiry=0.01)
    pause(1.1)
    storage.incr("new", expiry=60)
    assert "old" not in storage.storage
