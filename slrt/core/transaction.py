"""One transaction per request, in the shape of indico's `RH.process` (indico/web/rh.py).

The request's session (`db.session`) is committed once, by `finish`, after the view has built
its response (templates rendered, JSON serialised): a view never commits, so committing cannot
expire the rows a template still needs. The answer decides the outcome:

- a 2xx or 3xx answer commits;
- a 4xx or 5xx answer, or any exception, rolls back (an exception becomes a 500 answer first,
  and `teardown_request` rolls back whatever escapes even that).

Services only `flush()`. What may commit besides `finish`: CLI commands, demo seeding and the
bulk jobs that commit batch by batch (DTSEN import, retention, SLA sweep, notification sending,
tally rebuild), none of which runs inside a web request.

Three tools for views:

- `no_commit()` opts a request out: it is rolled back even when it answers 2xx (indico's
  `self.commit = False`), for a view whose writes are only scaffolding for its answer.
- `discard()` undoes what a failed attempt wrote when the view catches the domain error and
  still answers 2xx/3xx (the form shown again, a flash message and a redirect): the answer
  alone would otherwise commit the half-done attempt.
- `write_apart(fn)` is THE way to write something that must stay even when the request fails:
  the audit row of a refused request, a failed login counted towards the lockout, the audit
  of an expired session. `fn` runs at once in the request's transaction (so the view sees its
  effect, and a request that commits writes it with everything else, no extra statement); if
  the request rolls back instead, `fn` runs again after the rollback, alone, in its own short
  transaction. `fn` must only write to the session (it may run twice, the first run undone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy.exc import SQLAlchemyError

from slrt.extensions import db

log = logging.getLogger(__name__)

_KEPT = "_tx_kept_writes"
_NO_COMMIT = "_tx_no_commit"


def no_commit() -> None:
    """This request's session is rolled back at its end whatever it answers."""
    setattr(g, _NO_COMMIT, True)


def write_apart(fn: Callable[[], Any]) -> None:
    """Writes `fn`'s rows whether or not the request succeeds (see the module docstring).

    Outside a request (a CLI command, a test calling a service) `fn` simply runs in the
    current session, and the caller commits as it would anyway."""
    fn()
    if has_request_context():
        g.setdefault(_KEPT, []).append(fn)


def discard() -> None:
    """Rolls back what the request wrote so far, keeping what went through `write_apart`."""
    db.session.rollback()
    for fn in g.get(_KEPT, ()):
        fn()


def finish(response: Any) -> Any:
    """The request's single commit, or its rollback (registered as the last `after_request`)."""
    kept = g.pop(_KEPT, [])
    if response.status_code < 400 and not g.pop(_NO_COMMIT, False):
        db.session.commit()
        return response
    db.session.rollback()
    if kept:
        try:
            for fn in kept:
                fn()
            db.session.commit()
        except SQLAlchemyError:  # the answer still goes out; the log says what was lost
            db.session.rollback()
            log.exception("could not keep the writes of a failed request to %s", request.path)
    return response


def _rollback_on_exception(exc: BaseException | None) -> None:
    if exc is not None:
        db.session.rollback()


def init_app(app: Flask) -> None:
    # Registered before every other after_request function, so it runs after all of them
    # (Flask runs them in reverse order): the denial audit and the like are queued by then.
    app.after_request(finish)
    app.teardown_request(_rollback_on_exception)
