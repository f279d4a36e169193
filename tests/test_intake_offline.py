"""The server side of an intake that survives a lost connection: a script gets its redirect as
JSON (the flash stays for the receipt), a retry with the same key saves once, and the pages carry
what static/js/draft.js needs."""

from __future__ import annotations

import sqlalchemy as sa

from slrt.extensions import db
from slrt.intake import models as m
from tests.intake_factories import intake_form, post_intake

FETCH = {"X-Requested-With": "fetch"}


def count_cases(key: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(m.Case).where(m.Case.idempotency_key == key)
    )


def test_a_script_gets_the_receipt_address_as_json_and_the_flash_waits_for_it(auth, client, world):
    auth.login("desk.a")
    response = post_intake(auth, intake_form(idempotency_key="fetch-1"), headers=FETCH)
    assert response.status_code == 200 and response.is_json
    target = response.get_json()["redirect"]
    assert target.endswith("/receipt") and "Location" not in response.headers
    receipt = client.get(target).get_data(as_text=True)
    assert "Kunjungan tersimpan" in receipt


def test_a_retry_after_a_lost_answer_saves_once_and_points_to_the_same_receipt(auth, client, world):
    auth.login("desk.a")
    first = post_intake(auth, intake_form(idempotency_key="lost-1"), headers=FETCH)
    retry = post_intake(auth, intake_form(idempotency_key="lost-1"), headers=FETCH)
    assert first.get_json()["redirect"] == retry.get_json()["redirect"]
    assert count_cases("lost-1") == 1
    assert "sudah tersimpan" in client.get(retry.get_json()["redirect"]).get_data(as_text=True)


def test_a_plain_form_post_still_redirects(auth, world):
    auth.login("desk.a")
    response = post_intake(auth, intake_form(idempotency_key="plain-1"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/receipt")


def test_problems_answer_the_form_as_html_to_a_script_too(auth, world):
    auth.login("desk.a")
    response = post_intake(auth, intake_form(idempotency_key="bad-1", consent=None), headers=FETCH)
    assert response.status_code in (400, 422) and response.mimetype == "text/html"
    assert 'id="problems"' in response.get_data(as_text=True)
    assert count_cases("bad-1") == 0


def test_the_form_says_a_draft_is_kept_on_this_computer(auth, client, world):
    auth.login("desk.a")
    html = client.get("/cases/new?new=1").get_data(as_text=True)
    assert "data-draft=" in html and "disimpan sementara di komputer ini" in html
    assert "Koneksi terputus." in html and "Coba kirim lagi" in html
    assert "js/draft.js" in html


def test_logging_out_is_marked_to_clear_drafts(auth, client, world):
    auth.login("desk.a")
    html = client.get("/").get_data(as_text=True)
    assert "data-clear-drafts" in html
