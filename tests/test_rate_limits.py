"""Every route an anonymous visitor can reach is rate limited: the URL map is walked, so routes
added later (Open311, reports, ...) are covered without touching this test."""

from __future__ import annotations

import re

from slrt.extensions import limiter
from tests.conftest import csrf_from

# Values for route arguments that have no record behind them on a public route.
SAMPLE_ARGS = {"code": "7K4Q-X9MZ-P3CA", "hsds_id": "x", "filename": "css/app.css", "lang": "id"}


def _url(rule) -> str:
    values = {arg: SAMPLE_ARGS.get(arg, "1") for arg in rule.arguments}
    values = {k: (1 if rule._converters[k].regex == r"\d+" else v) for k, v in values.items()}
    return rule.build(values)[1]


# Public routes deliberately without a limit, and why. Keep this list short.
UNLIMITED = {
    # The empty status form is not a lookup (a static page); every lookup, /status?code=..., is
    # limited: see test_status_lookups_are_limited.
    "/status": "empty form",
}


def _anonymous_response(client, rule):
    url = _url(rule)
    if "GET" in rule.methods:
        return client.get(url)
    # With a valid CSRF token, so the request reaches the route's own checks and limits.
    token = csrf_from(client.get("/login").get_data(as_text=True))
    limiter.reset()
    return client.post(url, data={"csrf_token": token})


def _is_public(response) -> bool:
    """Not turned away for lack of a login: no redirect to /login, no 401."""
    if response.status_code == 401:
        return False
    return not (response.status_code == 302 and "/login" in response.headers.get("Location", ""))


def test_every_route_open_to_anonymous_visitors_has_a_rate_limit(app, client):
    public, unlimited = [], []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue  # files, cached by the browser; the web server in front limits them
        limiter.reset()
        response = _anonymous_response(client, rule)
        if not _is_public(response):
            continue
        public.append(rule.rule)
        if rule.rule in UNLIMITED:
            continue
        if "X-RateLimit-Limit" not in response.headers and response.status_code != 429:
            unlimited.append(f"{sorted(rule.methods - {'HEAD', 'OPTIONS'})} {rule.rule}")
    assert not unlimited, "public routes without a rate limit: " + ", ".join(unlimited)
    assert {"/status", "/lapor", "/hsds/services", "/regions/search", "/login"} <= set(public)


def test_the_default_limit_answers_429_to_a_flood(app, client):
    app_limit = app.config["RATELIMIT_DEFAULT"]
    count = int(re.match(r"\d+", app_limit).group(0))
    statuses = {client.get("/hsds/organizations").status_code for _ in range(count + 1)}
    assert 429 in statuses


def test_signed_in_staff_are_not_held_by_the_anonymous_default_limit(app, client, auth, world):
    app_limit = app.config["RATELIMIT_DEFAULT"]
    auth.login("desk.a")
    count = int(re.match(r"\d+", app_limit).group(0))
    statuses = {client.get("/directory/services").status_code for _ in range(count + 1)}
    assert statuses == {200}


def test_status_lookups_are_limited(client):
    assert "X-RateLimit-Limit" in client.get("/status?code=7K4Q-X9MZ-P3CA").headers


def test_behind_a_proxy_each_forwarded_address_has_its_own_budget(monkeypatch):
    """With SLRT_PROXY_HOPS=1 (nginx in front) the limit counts per citizen, not per proxy;
    without it a forged X-Forwarded-For changes nothing."""
    from slrt import create_app

    for hops, expected in ((1, [200, 200, 429, 200]), (0, [200, 200, 429, 429])):
        app = create_app(
            {
                "TESTING": True,
                "PROXY_HOPS": hops,
                "SLRT_STATUS_RATE_LIMIT": "2/minute",
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
            }
        )
        client = app.test_client()
        seen = []
        for address in ("10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2"):
            response = client.get("/api/v1/public/status/7K4QX9MZP3CA", headers={"X-Forwarded-For": address})
            seen.append(429 if response.status_code == 429 else 200)
        assert seen == expected, (hops, seen)
