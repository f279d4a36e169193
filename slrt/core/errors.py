"""Domain errors: what a service raises when it refuses, answered in one place (`init_app`).

A service raises; the request's transaction is rolled back (slrt.core.transaction) and the
caller gets the matching answer: JSON `{"error", "status", "problems"?}` under /api/ (the
shape of slrt.api.auth.api_error), the error page (or its JSON form) everywhere else. A view
that answers a refusal its own way (a flash message and a redirect, the form shown again with
its errors) catches the exception and calls `slrt.core.transaction.discard()`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request


class DomainError(Exception):
    """A refusal with an HTTP status; `problems` lists what was wrong, field by field."""

    status = 400

    def __init__(self, message: str | None = None, problems: list[dict[str, Any]] | None = None):
        super().__init__(*(() if message is None else (message,)))
        self.message = message
        self.problems = problems


class Invalid(DomainError):
    status = 422


class NotAllowed(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Stale(DomainError):
    """Someone else changed the record first (optimistic locking)."""

    status = 409


def answer(exc: DomainError) -> Any:
    from slrt.core.web import error_response

    if request.path.startswith("/api/"):
        body: dict[str, Any] = {"error": str(exc), "status": exc.status}
        if exc.problems is not None:
            body["problems"] = exc.problems
        return jsonify(body), exc.status
    return error_response(exc.status, exc.message)


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, answer)
