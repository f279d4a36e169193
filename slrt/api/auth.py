"""Bearer-token authentication for the JSON API (`Authorization: Bearer <token>`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request

from slrt.accounts.services import token_for
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.core.transaction import write_apart
from slrt.extensions import limiter, login_manager

# `last_used_at` is a "still in use?" hint for the administrator, not a log (the audit trail is):
# written at most once a minute, so a busy integration does not write a row per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def limited(bp: Blueprint) -> Blueprint:
    """Rate limits of the token API, for every route of `bp`, per client address.

    Token requests are not signed in when the limiter looks, so without this they would fall
    under the anonymous default meant for citizens' pages. All API blueprints share one budget
    (SLRT_API_RATE_LIMIT); refused tokens (401) also spend a small one of their own
    (SLRT_API_AUTH_FAILURE_LIMIT), since each is recorded in the audit trail.
    """
    limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api")(bp)
    limiter.shared_limit(
        lambda: current_app.config["API_AUTH_FAILURE_LIMIT"],
        scope="api-auth-failures",
        deduct_when=lambda response: response.status_code == 401,
    )(bp)
    return bp


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
                # A 401 rolls the request back; the refusal is recorded all the same.
                detail = {"path": request.path[:300], "status": 401}
                write_apart(lambda: audit("api.denied", detail=detail))
                response, status = api_error(401, "missing, invalid, expired or revoked bearer token")
                response.headers["WWW-Authenticate"] = 'Bearer realm="slrt"'
                return response, status
            now = utcnow()
            if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
                # Kept whatever the request answers, like the refusals.
                write_apart(lambda: setattr(token, "last_used_at", now))
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
