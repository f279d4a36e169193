"""Bearer-token authentication for the JSON API (`Authorization: Bearer <token>`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, jsonify, request

from slrt.accounts.services import token_for
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.extensions import db, login_manager


def api_error(status: int, message: str, problems: list[Any] | None = None) -> Any:
    body: dict[str, Any] = {"error": message, "status": status}
    if problems is not None:
        body["problems"] = problems
    return jsonify(body), status


def token_required(scope: str | Callable | None = None) -> Callable:
    """The request must carry a valid, unexpired, unrevoked token holding `scope`
    (`@token_required("referrals:read")`); `g.api_user` is its user, `g.api_token` the token.

    A missing, unknown, expired or revoked token answers 401; a token without the scope 403.
    The user is current_user for this request only (no session cookie), so the same access
    rules (`slrt.core.access`) apply to the API as to the pages. Used bare (`@token_required`)
    any live token passes: only for routes that every token may use.
    """
    if callable(scope):
        return token_required(None)(scope)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            kind, _, clear = header.partition(" ")
            clear = clear.strip()
            token = token_for(clear) if kind.lower() == "bearer" and clear else None
            if token is None:
                audit("api.denied", detail={"path": request.path[:300], "status": 401})
                db.session.commit()
                response, status = api_error(401, "missing, invalid, expired or revoked bearer token")
                response.headers["WWW-Authenticate"] = 'Bearer realm="slrt"'
                return response, status
            token.last_used_at = utcnow()
            db.session.commit()
            # current_user for this request only: login_user() would also write the user into
            # the session cookie, turning one API call into a signed-in browser session.
            login_manager._update_request_context_with_user(token.user)
            g.api_user = token.user
            g.api_token = token
            g.api_request_started = utcnow()
            if scope is not None and scope not in (token.scopes or []):
                # Recorded as a denial by slrt.core.web.audit_denial, like every 403.
                return api_error(403, f"this token lacks the scope {scope}")
            return view(*args, **kwargs)

        return wrapped

    return decorator
