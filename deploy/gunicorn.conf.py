"""gunicorn settings for the SLRT app (and, in `make bench`, for the bare Flask yardstick too).

    gunicorn -c deploy/gunicorn.conf.py wsgi:app

Every value can be overridden from the environment (see deploy/slrt.env.example).
"""

import multiprocessing
import os
import re

from gunicorn.glogging import Logger

bind = os.environ.get("SLRT_BIND", "127.0.0.1:8000")  # nginx in front; never exposed directly
# Sync workers: requests are short and CPU-bound (templates, routing engine); the classic
# 2 x cores + 1 keeps the cores busy while one worker waits on PostgreSQL.
workers = int(os.environ.get("SLRT_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("SLRT_TIMEOUT", "30"))  # a PDF letter takes < 1 s; 30 s means stuck
graceful_timeout = 30
keepalive = 5  # nginx keeps upstream connections open
# Imported once in the master, then forked: faster worker start and shared memory pages. The
# database pool is created lazily in each worker (no connection is opened at import time).
preload_app = True
# Recycle workers now and then so a slow leak can never grow unbounded; jitter avoids all
# workers restarting at once.
max_requests = int(os.environ.get("SLRT_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
limit_request_line = 4094
forwarded_allow_ips = os.environ.get("SLRT_FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = os.environ.get("SLRT_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("SLRT_LOG_LEVEL", "info")
# Path without the query string (%(U)s): queries carry search terms (names, NIK) and tracking
# codes. The tracking code in the public status API's path is masked by the logger below.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms "%(a)s"'

_CODE_IN_PATH = re.compile(r"(/api/v1/public/status/)[^/?\s]+")


class RedactingLogger(Logger):
    """Masks the tracking code in public status API paths: a code lets anyone read a case's
    status, so it must not sit in log files kept for months."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = _CODE_IN_PATH.sub(r"\1****", atoms["U"])
        return atoms


logger_class = RedactingLogger


def post_fork(server, worker):
    """With preload_app the engine object was built in the master: drop any pooled connection it
    may hold so that no two workers ever share a PostgreSQL socket (SQLAlchemy's fork advice)."""
    from slrt.extensions import db

    app = server.app.wsgi()
    if "sqlalchemy" in getattr(app, "extensions", {}):  # not the bare yardstick app
        with app.app_context():
            db.engine.dispose(close=False)
