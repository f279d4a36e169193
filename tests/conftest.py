"""Test fixtures: one migrated database per session (SQLite, or PostgreSQL when DATABASE_URL
points at one), emptied between tests except for the region list, which is loaded once.

Under pytest-xdist (`make test` runs `-n auto`) each worker has a database of its own: a SQLite
file in its own temporary folder, or on PostgreSQL a database named after DATABASE_URL's and the
worker (`app_gw0`), made afresh at session start. Browser tests all run on one worker, in order."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from config import TestConfig
from slrt import create_app
from slrt.extensions import db
from tests import factories

KEEP_TABLES = {"regions", "alembic_version"}
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _database_url(tmp: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp / 'test.sqlite'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, ... only under pytest -n
    return _fresh_worker_database(sa.make_url(url), worker) if worker else url


def _fresh_worker_database(url: sa.URL, worker: str) -> str:
    """Drops and creates `<database>_<worker>` through the server's maintenance database."""
    assert re.fullmatch(r"gw\d+", worker), worker
    name = f"{url.database}_{worker}"
    maintenance = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as conn:
            quoted = conn.dialect.identifier_preparer.quote(name)
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
    finally:
        maintenance.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # One Chromium at a time, as before xdist: under `--dist loadgroup` one worker takes them all.
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    tmp = Path(tempfile.mkdtemp(prefix="slrt-test-"))
    url = _database_url(tmp)
    os.environ["SLRT_INSTANCE_PATH"] = str(tmp)
    app = create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_DIR": str(tmp / "uploads"),
            "TESTING": True,
        }
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        from flask_migrate import upgrade

        upgrade()  # the schema is made only by migrations, in tests too
        from slrt.regions.services import load_regions

        load_regions()
    yield app


@pytest.fixture(autouse=True)
def _clean_db(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE")
                )
            else:
                for table in tables:
                    conn.execute(table.delete())
        from slrt.extensions import limiter

        limiter.reset()


class FreshGlobalsClient(FlaskClient):
    """Each test holds an app context open for its own database work; a request would otherwise
    share that context's `g` (Flask-Login's user, Flask-WTF's token) with the next request."""

    def open(self, *args, **kwargs):
        from flask import g

        g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    app.test_client_class = FreshGlobalsClient
    return app.test_client()


@pytest.fixture()
def runner(app: Flask):
    return app.test_cli_runner()


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Auth:
    def __init__(self, client: FlaskClient):
        self.client = client

    def login(self, username: str, password: str = factories.PASSWORD):
        page = self.client.get("/login")
        return self.client.post(
            "/login",
            data={
                "username": username,
                "password": password,
                "csrf_token": csrf_from(page.get_data(as_text=True)),
            },
        )

    def csrf(self, path: str = "/") -> str:
        return csrf_from(self.client.get(path).get_data(as_text=True))

    def post(self, path: str, data: dict | None = None, page: str | None = None, **kwargs):
        """POSTs a form with a CSRF token taken from `page` (default: the same path)."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf(page or path))
        return self.client.post(path, data=data, **kwargs)


@pytest.fixture()
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


@pytest.fixture()
def world(app: Flask) -> factories.World:
    """Two villages in one regency, a second regency, users of every role, a case in each village."""
    return factories.make_world()
