"""SLRT referral desk: the Flask application factory."""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, g, request, session
from flask_login import current_user

from config import CONFIGS, Config
from slrt.extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent

# Feature packages, each with an `init_app(app)` that registers its blueprints and CLI commands.
FEATURES = (
    "core",
    "accounts",
    "regions",
    "directory",
    "routing",
    "intake",
    "referrals",
    "queue",
    "public",
    "privacy",
    "reports",
    "api",
    "dtsen",
    "open311",
    "demo",
)


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("SLRT_INSTANCE_PATH", str(ROOT / "instance")),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config_cls = CONFIGS[os.environ.get("SLRT_CONFIG", "development")]
    if isinstance(config, type):
        config_cls = config
    app.config.from_object(config_cls)
    if isinstance(config, dict):
        app.config.update(config)
    if not app.config.get("TESTING"):
        config_cls.check()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'slrt.sqlite'}"
    if not app.config.get("UPLOAD_DIR"):
        app.config["UPLOAD_DIR"] = str(Path(app.instance_path) / "uploads")
    logging.basicConfig(level=logging.INFO)

    import slrt.models  # noqa: F401 - every model known to SQLAlchemy and Alembic

    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories=str(ROOT / "translations")
    )
    login_manager.init_app(app)
    _sqlite_pragmas(app)
    with app.app_context():
        from slrt.core.db import ping_idle_connections

        ping_idle_connections(db.engine, app.config["DB_PING_IDLE_SECONDS"])

    for name in FEATURES:
        importlib.import_module(f"slrt.{name}").init_app(app)

    @app.before_request
    def remember_locale() -> None:
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"]:
            session["lang"] = lang
        g.locale = select_locale()

    return app


def select_locale() -> str:
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = session.get("lang", "")
    if lang in languages:
        return lang
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _sqlite_pragmas(app: Flask) -> None:
    """SQLite enforces foreign keys only when asked, per connection."""
    from sqlalchemy import event

    from slrt.intake.names import trigram_similarity

    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            # Deleted or overwritten values (anonymised names, old ciphertexts) are zeroed on
            # disk, not left in free pages of the file.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()
            # pg_trgm's similarity(), which the forgiving name search ranks by (intake.search).
            dbapi_connection.create_function("similarity", 2, trigram_similarity, deterministic=True)
