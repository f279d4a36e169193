"""Fingerprinted static files: every `url_for('static', filename=...)` carries `v=<content hash>`,
and a request naming the current hash may be cached for a year. Village connections are slow;
a desk computer should fetch the stylesheet once, not on every page.

Templates keep writing `url_for('static', filename='css/app.css')`; the hash is added here, in
one place. Compression is left to the web server in front (nginx `gzip on;` in production).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

YEAR = 31536000
# A request without the current hash (an old page, a hand-typed URL) is revalidated soon, so a
# changed file is never stuck in a cache under a name that does not say which version it is.
SHORT = 300


class Fingerprints:
    """Content hashes of the files in one static folder, remembered per file version."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder).resolve()
        self._known: dict[str, tuple[int, int, str]] = {}

    def of(self, filename: str) -> str | None:
        """The first 10 hex digits of the file's SHA-256, or None if there is no such file.

        Keyed by modification time and size, so an edited file gets a new hash without a
        restart; reading the file again happens only when it changed."""
        path = (self.folder / filename).resolve()
        if not path.is_relative_to(self.folder):
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        known = self._known.get(filename)
        if known and known[:2] == (stat.st_mtime_ns, stat.st_size):
            return known[2]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        self._known[filename] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest


class StaticLeavesTheSession(SecureCookieSessionInterface):
    """A static file never writes the session cookie. Signed-in sessions are refreshed on every
    answer, so a stylesheet answered late would otherwise put back the cookie of the page before:
    a language just chosen, or a sign-out, undone by a slow image. (Publicly cached files should
    not carry a cookie at all.)"""

    def should_set_cookie(self, app: Flask, session: object) -> bool:
        if request.endpoint == "static":
            return False
        return super().should_set_cookie(app, session)  # type: ignore[arg-type]


def init_app(app: Flask) -> None:
    app.session_interface = StaticLeavesTheSession()
    if not app.static_folder:
        return
    prints = Fingerprints(app.static_folder)
    app.extensions["slrt_fingerprints"] = prints

    @app.url_defaults
    def add_fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values and values.get("filename"):
            digest = prints.of(values["filename"])
            if digest:
                values["v"] = digest

    @app.after_request
    def cache_static(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        current = prints.of((request.view_args or {}).get("filename", ""))
        cache = response.cache_control
        cache.no_cache = None
        cache.public = True
        if current and request.args.get("v") == current:
            cache.max_age = YEAR
            cache.immutable = True
        else:
            cache.max_age = SHORT
        return response
