"""Static files carry a content hash in their URL and are cached for a year under it."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import url_for


def _hash(app, filename: str) -> str:
    return hashlib.sha256((Path(app.static_folder) / filename).read_bytes()).hexdigest()[:10]


def test_static_urls_carry_the_content_hash(app):
    with app.test_request_context():
        url = url_for("static", filename="css/app.css")
    assert url == f"/static/css/app.css?v={_hash(app, 'css/app.css')}"


def test_pages_link_fingerprinted_assets(client):
    html = client.get("/login").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert links and all(re.search(r"\?v=[0-9a-f]{10}$", link) for link in links), links


def test_a_changed_file_gets_a_new_url(app, tmp_path, monkeypatch):
    from slrt.core.assets import Fingerprints

    (tmp_path / "x.css").write_text("a { color: red }")
    prints = Fingerprints(str(tmp_path))
    first = prints.of("x.css")
    (tmp_path / "x.css").write_text("a { color: blue; }")
    second = prints.of("x.css")
    assert first and second and first != second
    assert second == hashlib.sha256(b"a { color: blue; }").hexdigest()[:10]


def test_fingerprints_stay_inside_the_static_folder(tmp_path):
    from slrt.core.assets import Fingerprints

    (tmp_path / "static").mkdir()
    (tmp_path / "secret.txt").write_text("x")
    assert Fingerprints(str(tmp_path / "static")).of("../secret.txt") is None


def test_current_hash_is_cached_for_a_year(app, client):
    with app.test_request_context():
        url = url_for("static", filename="css/app.css")
    response = client.get(url)
    assert response.status_code == 200
    cache = response.cache_control
    assert cache.public and cache.max_age == 31536000 and cache.immutable
    assert not cache.no_cache


def test_missing_or_old_hash_is_cached_only_briefly(client):
    for url in ("/static/css/app.css", "/static/css/app.css?v=0000000000"):
        cache = client.get(url).cache_control
        assert cache.max_age == 300 and not cache.immutable, url


def test_revalidation_keeps_the_long_cache(app, client):
    with app.test_request_context():
        url = url_for("static", filename="js/intake.js")
    etag = client.get(url).headers["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.cache_control.max_age == 31536000


def test_a_static_file_never_writes_the_session_cookie(client, auth, world):
    """A stylesheet answered late must not put back an older session (a language just chosen);
    a page still refreshes the signed-in session."""
    auth.login("desk.a")
    assert "session=" in client.get("/?lang=en").headers.get("Set-Cookie", "")
    static = client.get("/static/css/app.css")
    assert static.status_code == 200 and "Set-Cookie" not in static.headers
    assert "Beranda" not in client.get("/").get_data(as_text=True)  # still English
