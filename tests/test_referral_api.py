"""The referrals JSON API: scope, filters, pagination, transitions with 200/400/404/409/422."""

from __future__ import annotations

import sqlalchemy as sa

from slrt.accounts.services import issue_token
from slrt.extensions import db
from slrt.referrals.models import Referral
from slrt.referrals.models import ReferralStatus as S
from tests.referral_factories import referral_in


def _token(world, key):
    _, clear = issue_token(world.users[key])
    db.session.commit()
    return {"Authorization": f"Bearer {clear}"}


def test_list_shows_only_what_the_token_user_may_see(client, world):
    draft = referral_in(world, S.DRAFT)
    db.session.commit()
    body = client.get("/api/v1/referrals", headers=_token(world, "agency")).get_json()
    ids = {item["id"] for item in body["items"]}
    assert ids == {world.referral_a.id}  # not village B's (other agency), not the draft
    assert draft.id not in ids
    desk = client.get("/api/v1/referrals", headers=_token(world, "desk_a")).get_json()
    assert {i["id"] for i in desk["items"]} == {world.referral_a.id, draft.id}


def test_list_filters_and_pages(client, world):
    for _ in range(4):
        referral_in(world, S.ACCEPTED)
    db.session.commit()
    headers = _token(world, "agency")
    body = client.get("/api/v1/referrals?status=accepted&per_page=3", headers=headers).get_json()
    assert body["total"] == 4 and len(body["items"]) == 3 and body["next_page"] == 2
    assert all(i["status"] == "accepted" for i in body["items"])
    page2 = client.get("/api/v1/referrals?status=accepted&per_page=3&page=2", headers=headers).get_json()
    assert len(page2["items"]) == 1 and page2["next_page"] is None
    future = client.get("/api/v1/referrals?updated_since=2999-01-01T00:00:00Z", headers=headers).get_json()
    assert future["total"] == 0
    bad = client.get("/api/v1/referrals?status=nope&per_page=1000&updated_since=kemarin", headers=headers)
    assert bad.status_code == 400
    assert {p["field"] for p in bad.get_json()["problems"]} == {"status", "per_page", "updated_since"}


def test_detail_and_404_outside_scope(client, world):
    headers = _token(world, "agency")
    body = client.get(f"/api/v1/referrals/{world.referral_a.id}", headers=headers).get_json()
    assert body["status"] == "sent" and body["version"] == world.referral_a.version
    assert client.get(f"/api/v1/referrals/{world.referral_b.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/referrals/{world.referral_a.id}").status_code == 401


def test_transition_200_then_409_for_the_stale_version_then_422(client, world):
    headers = _token(world, "agency")
    url = f"/api/v1/referrals/{world.referral_a.id}/transitions"
    version = world.referral_a.version
    ok = client.post(
        url,
        json={"to": "accepted", "note": "Diterima", "message": "Kami proses", "version": version},
        headers=headers,
    )
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["status"] == "accepted" and ok.get_json()["version"] == version + 1
    stale = client.post(url, json={"to": "in_progress", "version": version}, headers=headers)
    assert stale.status_code == 409 and "diubah orang lain" in stale.get_json()["error"]
    wrong = client.post(url, json={"to": "sent", "version": version + 1}, headers=headers)
    assert wrong.status_code == 422
    missing = client.post(url, json={"to": "resolved", "version": version + 1}, headers=headers)
    assert missing.status_code == 422 and missing.get_json()["problems"][0]["field"] == "outcome"
    db.session.expire_all()
    assert db.session.get(Referral, world.referral_a.id).status is S.ACCEPTED


def test_the_409_for_a_stale_version_is_in_english_when_english_is_asked(client, world):
    headers = _token(world, "agency")
    url = f"/api/v1/referrals/{world.referral_a.id}/transitions?lang=en"
    version = world.referral_a.version
    assert client.post(url, json={"to": "accepted", "version": version}, headers=headers).status_code == 200
    stale = client.post(url, json={"to": "in_progress", "version": version}, headers=headers)
    assert stale.status_code == 409
    assert stale.get_json()["error"] == "Someone else just changed this referral; reload the page."


def test_transition_422_for_a_role_that_may_not_and_404_outside_scope(client, world):
    desk = _token(world, "desk_a")
    assert (
        client.post(
            f"/api/v1/referrals/{world.referral_a.id}/transitions", json={"to": "accepted"}, headers=desk
        ).status_code
        == 422
    )
    agency = _token(world, "agency")
    assert (
        client.post(
            f"/api/v1/referrals/{world.referral_b.id}/transitions", json={"to": "accepted"}, headers=agency
        ).status_code
        == 404
    )


def test_malformed_transition_requests_get_400_with_problems(client, world):
    headers = _token(world, "agency")
    url = f"/api/v1/referrals/{world.referral_a.id}/transitions"
    assert client.post(url, data="not json", headers=headers).status_code == 400
    bad = client.post(url, json={"to": 5, "version": "3", "colour": "red"}, headers=headers)
    assert bad.status_code == 400
    assert {p["field"] for p in bad.get_json()["problems"]} == {"to", "version", "colour"}
    assert client.post(url, json={"to": "nonsense"}, headers=headers).status_code == 422


def test_openapi_document_describes_the_referral_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    post = doc["paths"]["/api/v1/referrals/{referral_id}/transitions"]["post"]
    assert {"200", "409", "422", "404"} <= set(post["responses"])
    assert "Referral" in doc["components"]["schemas"]
    assert "/api/v1/referrals" in doc["paths"]
    assert db.session.scalar(sa.select(sa.func.count(Referral.id))) == 0
