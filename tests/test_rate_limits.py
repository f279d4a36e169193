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
    "/verifikasi": "empty form",  # every letter lookup is limited: see tests/test_letters.py
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


# -- the token API ------------------------------------------------------------------------------


def _token(world, scopes=("referrals:read",)):
    from slrt.accounts import services
    from slrt.extensions import db

    token, clear = services.issue_token(world.users["desk_a"], scopes=list(scopes))
    db.session.commit()
    return token, {"Authorization": f"Bearer {clear}"}


def test_token_requests_have_their_own_budget_not_the_anonymous_default(app, client, world):
    """An integration is not a citizen: it is held by SLRT_API_RATE_LIMIT, shared by every API
    route, and no longer by the anonymous default (it was: make bench saw 429 after 300/minute)."""
    _, headers = _token(world, scopes=("referrals:read", "routing:suggest"))
    limiter.reset()
    old = app.config["API_RATE_LIMIT"]
    app.config["API_RATE_LIMIT"] = "4/minute"
    try:
        first = client.get("/api/v1/referrals", headers=headers)
        assert first.status_code == 200 and first.headers["X-RateLimit-Limit"] == "4"
        statuses = [client.get("/api/v1/referrals", headers=headers).status_code for _ in range(2)]
        statuses.append(client.post("/api/v1/routing/suggest", json={}, headers=headers).status_code)
        assert statuses == [200, 200, 400]  # the 4th request of the budget: a bad body, answered
        refused = client.get(f"/api/v1/referrals/{world.referral_a.id}", headers=headers)
        assert refused.status_code == 429 and refused.is_json
    finally:
        app.config["API_RATE_LIMIT"] = old
        limiter.reset()


def test_refused_tokens_spend_a_small_budget_of_their_own(app, client, world):
    _token_row, headers = _token(world)
    limiter.reset()
    old = app.config["API_AUTH_FAILURE_LIMIT"]
    app.config["API_AUTH_FAILURE_LIMIT"] = "3/minute"
    try:
        bad = {"Authorization": "Bearer not-a-token"}
        assert [client.get("/api/v1/referrals", headers=bad).status_code for _ in range(3)] == [401] * 3
        assert client.get("/api/v1/referrals", headers=bad).status_code == 429
        # Spent by failures only: successful calls from another address do not count.
        ok = client.get("/api/v1/referrals", headers=headers, environ_base={"REMOTE_ADDR": "10.9.9.9"})
        assert ok.status_code == 200
    finally:
        app.config["API_AUTH_FAILURE_LIMIT"] = old
        limiter.reset()


def test_a_busy_token_records_its_use_once_a_minute(client, world):
    from datetime import timedelta

    from slrt.accounts.models import ApiToken
    from slrt.core.db import utcnow
    from slrt.extensions import db

    token, headers = _token(world)
    limiter.reset()
    assert client.get("/api/v1/referrals", headers=headers).status_code == 200
    first = db.session.get(ApiToken, token.id).last_used_at
    assert first is not None
    assert client.get("/api/v1/referrals", headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == first
    stale = db.session.get(ApiToken, token.id)
    stale.last_used_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    assert client.get("/api/v1/referrals", headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at > first
