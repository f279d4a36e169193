"""An in-process rate-limit storage that never starts a thread on the request path.

limits' MemoryStorage cleans expired counters with a 10 ms `threading.Timer` that it starts
again on the next hit once the last one has run: on a public endpoint hit more than 10 ms
apart per worker, nearly every request started (and waited for) a new thread, a quarter of the
status lookup's time under load. Counters are already expired when read (`get`), so the
cleanup only frees memory; here it runs inline, at most once a second.

Selected with ``SLRT_RATELIMIT_STORAGE_URI=slrt-memory://`` (the default for one app server);
several app servers share ``redis://`` instead (see the README, "Production").
"""

from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage

CLEANUP_EVERY = 1.0  # seconds


class InlineExpiryMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = ["slrt-memory"]  # registered with limits by this class statement

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._cleaned_at = time.monotonic()
        self._cleanup_lock = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # overrides the name-mangled private hook
        now = time.monotonic()
        if now - self._cleaned_at < CLEANUP_EVERY or not self._cleanup_lock.acquire(blocking=False):
            return
        try:
            self._cleaned_at = now
            # limits' private cleanup, reached by its mangled name; mypy does not mangle it
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        finally:
            self._cleanup_lock.release()
