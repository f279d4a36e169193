"""The audit trail page in words (issue 20 item 12): translated labels instead of codes and
JSON, choice filters, a link to the object."""

from __future__ import annotations

import ast
from pathlib import Path

from slrt.accounts.audit_text import ACTION_GROUPS, ACTION_LABELS, OBJECT_TYPES
from slrt.core.audit import audit
from slrt.extensions import db

ROOT = Path(__file__).resolve().parent.parent
# Written with an f-string (slrt.intake.records, slrt.privacy.revealing): their possible values.
DYNAMIC_ACTIONS = {"person.update", "household.update", "person.reveal_nik", "household.reveal_kk_number"}


def _actions_written_in_slrt() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "slrt").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "audit" and node.args):
                continue
            first = node.args[0]
            options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            found |= {o.value for o in options if isinstance(o, ast.Constant) and isinstance(o.value, str)}
    return found


def test_every_action_written_anywhere_has_a_label_and_a_filter_group():
    actions = _actions_written_in_slrt() | DYNAMIC_ACTIONS
    assert len(actions) > 40
    assert sorted(actions - ACTION_LABELS.keys()) == []
    assert sorted(a for a in actions if not any(a.startswith(g) for g in ACTION_GROUPS)) == []


def test_a_referral_transition_reads_as_a_status_change_with_a_link(client, auth, world):
    referral = world.referral_a
    audit(
        "referral.transition",
        referral,
        actor=world.users["agency"],
        detail={"from": "in_progress", "to": "resolved", "outcome": "granted"},
    )
    db.session.commit()
    auth.login("admin")
    page = client.get("/admin/audit?action=referral").get_data(as_text=True)
    assert "Rujukan: Sedang ditangani → Selesai" in page
    assert "Bantuan disetujui" in page and '"from"' not in page and "in_progress" not in page
    assert f'href="/referrals/{referral.id}"' in page
    english = client.get("/admin/audit?action=referral&lang=en").get_data(as_text=True)
    assert "Referral: In progress → Resolved" in english and "Aid approved" in english


def test_the_filters_are_choices_and_a_prefix_in_the_url_still_filters(client, auth, world):
    audit("case.view", world.case_a, actor=world.users["desk_a"])
    audit("login.success", world.users["desk_a"], actor=world.users["desk_a"])
    db.session.commit()
    auth.login("admin")
    page = client.get("/admin/audit?action=case&object_type=cases").get_data(as_text=True)
    assert '<select id="action" name="action">' in page and '<select id="object_type"' in page
    assert '<option selected value="case">Kasus</option>' in page
    assert "Kasus dibuka" in page and "Masuk berhasil" not in page
    assert f'href="/cases/{world.case_a.id}"' in page
    assert all(f'value="{key}"' in page for key in OBJECT_TYPES)


def test_details_show_labels_and_values_not_json(client, auth, world):
    audit(
        "user.create",
        world.users["desk_b"],
        actor=world.users["admin"],
        detail={"role": "desk", "active": True},
    )
    db.session.commit()
    auth.login("admin")
    page = client.get("/admin/audit?action=user").get_data(as_text=True)
    assert "Pengguna dibuat" in page and "<dt>Peran</dt><dd>Petugas Puskesos</dd>" in page
    assert "<dt>Aktif</dt><dd>ya</dd>" in page and '{"role"' not in page
