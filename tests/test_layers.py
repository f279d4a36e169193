"""The ground floor stays a ground floor: models load without any page, and the permission
table answers without a database (slrt/core/permissions.py)."""

import subprocess
import sys

import pytest

from slrt.core.permissions import Permission, Role, has, roles_with


def test_models_import_without_any_views_module():
    script = (
        "import sys, slrt.models; "
        "print(','.join(m for m in sys.modules if m.startswith('slrt.') and m.endswith('views')))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


class _User:
    def __init__(self, role, authenticated=True):
        self.role, self.is_authenticated = role, authenticated


def test_a_misspelt_permission_fails_loudly_instead_of_hiding_an_action():
    with pytest.raises(ValueError):
        has(_User(Role.ADMIN), "manage_user")


def test_a_signed_out_visitor_holds_no_permission():
    assert not has(_User(Role.ADMIN, authenticated=False), Permission.MANAGE_USERS)
    assert not has(None, Permission.SEE_REPORTS)


def test_administrators_never_see_people_or_their_numbers():
    assert Role.ADMIN not in roles_with(Permission.SEE_PERSONAL_DATA)
    assert Role.ADMIN not in roles_with(Permission.REVEAL_IDENTITY)
