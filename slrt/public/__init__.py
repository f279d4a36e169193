"""The public side: status by tracking code, online reports, satisfaction survey."""

import os

from flask import Flask


def init_app(app: Flask) -> None:
    from slrt.api.openapi import add_paths
    from slrt.extensions import csrf
    from slrt.public.openapi import PATHS, SCHEMAS
    from slrt.public.views import api, bp

    # Per IP address; Flask-Limiter's storage (memory://, or redis:// for several servers)
    # comes from RATELIMIT_STORAGE_URI.
    app.config.setdefault("SLRT_STATUS_RATE_LIMIT", os.environ.get("SLRT_STATUS_RATE_LIMIT", "20/minute"))
    app.config.setdefault(
        "SLRT_REPORT_RATE_LIMIT", os.environ.get("SLRT_REPORT_RATE_LIMIT", "5/minute;30/day")
    )
    # A person needs more than a few seconds to fill the report form; a script does not.
    app.config.setdefault("SLRT_REPORT_MIN_SECONDS", 5)
    app.config.setdefault("SLRT_REPORT_MAX_AGE", 24 * 3600)
    # Told to the reporter in the consent text (UU PDP): a default the regency may change.
    app.config.setdefault("SLRT_REPORT_RETENTION_YEARS", 5)

    from slrt.public.landing import serve_guests_at_the_staff_home

    csrf.exempt(api)  # read-only and needs no token: SMS gateways and chat bots call it
    serve_guests_at_the_staff_home(app)  # the public page at `/` (intake registers `/`)
    app.register_blueprint(bp)
    app.register_blueprint(api)
    add_paths(PATHS, SCHEMAS)
