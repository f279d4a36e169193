"""Database base class, naming convention, timezone-aware timestamps and enum columns."""

from __future__ import annotations

import contextlib
import enum
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and refuses naive ones (a naive time is a bug waiting)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        # SQLite hands back naive values; they were stored as UTC.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A string-valued enum column with a CHECK constraint, stored by value (stable codes)."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=lambda cls: [m.value for m in cls],
    )


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


def streamed(session: Any, query: sa.Select, per: int = 1000) -> Any:
    """The objects `query` selects, fetched `per` at a time, for reading all of them (exports).

    On PostgreSQL rows are streamed through a server-side cursor, which the planner plans for
    its first 10% of rows by default: for an export of 20,000 referrals of a district it chose
    to walk the whole table's date index (23 s instead of 6 s at 1,000,000 referrals). Set for
    this transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL cursor_tuple_fraction = 1.0"))
    query = query.execution_options(yield_per=per)
    return session.scalars(query)


def upsert_insert(session_or_engine: Any) -> Any:
    """The dialect's INSERT (PostgreSQL or SQLite), the one that has `on_conflict_do_update`."""
    bind = session_or_engine.get_bind() if hasattr(session_or_engine, "get_bind") else session_or_engine
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


def ping_idle_connections(engine: sa.Engine, idle_seconds: float) -> None:
    """Pings a pooled connection before use only when it sat idle longer than `idle_seconds`.

    Connections that go stale (database restart, failover, a firewall dropping idle sockets) are
    the ones that waited in the pool; under load connections are reused within milliseconds and
    need no ping. A dead one raises DisconnectionError, on which the pool discards it and
    checks out another (SQLAlchemy retries up to three times), so no request sees the error.
    """

    @sa.event.listens_for(engine, "checkin")
    def _stamp(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("checked_in_at")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            with contextlib.closing(dbapi_connection.cursor()) as cursor:
                cursor.execute("SELECT 1")
            # A driver outside autocommit (psycopg) opened a transaction for the ping; left open,
            # the connection could not be switched to autocommit (the public status lookup).
            dbapi_connection.rollback()
        except Exception as exc:  # any driver's way of saying the connection is gone
            raise sa.exc.DisconnectionError() from exc
