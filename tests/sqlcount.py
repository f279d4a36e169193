"""Counting the SQL statements a request runs (query discipline: no N+1 queries)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa

from slrt.extensions import db


@contextlib.contextmanager
def counting() -> Iterator[list[str]]:
    """Collects every statement sent to the database inside the block (SAVEPOINTs included)."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def statements_for(client, path: str, **kwargs) -> tuple[int, list[str]]:
    """(HTTP status, statements) of one request, with the test's own session emptied first so
    that nothing the test created can answer a lazy load from the identity map."""
    db.session.remove()
    with counting() as statements:
        response = client.open(path, **kwargs)
    return response.status_code, statements
