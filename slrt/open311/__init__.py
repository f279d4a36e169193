"""Open311 GeoReport v2 at /open311/v2/ (JSON and XML, discovery at /open311/discovery.json):
the need categories as services, cases as requests, and reports filed by civic apps with an
API token."""

import os

from flask import Flask


def init_app(app: Flask) -> None:
    from slrt.extensions import csrf
    from slrt.open311.views import bp

    # Per API key: a chat bot files for many citizens from one address.
    app.config.setdefault(
        "SLRT_OPEN311_POST_RATE_LIMIT", os.environ.get("SLRT_OPEN311_POST_RATE_LIMIT", "60/minute")
    )
    # Reads carrying an api_key, per key: a city app polls requests.json for updates every few
    # seconds, far beyond the anonymous budget per address (SLRT_STATUS_RATE_LIMIT).
    app.config.setdefault(
        "SLRT_OPEN311_KEY_READ_RATE_LIMIT", os.environ.get("SLRT_OPEN311_KEY_READ_RATE_LIMIT", "600/minute")
    )
    csrf.exempt(bp)  # no cookies: reads are public, reports carry an api_key
    app.register_blueprint(bp)
